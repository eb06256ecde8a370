#include "rules/template/parser.h"

#include <cerrno>
#include <cstring>
#include <deque>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "rules/template/functions.h"
#include "rules/template/lexer.h"
#include "storage/ingest/go_float.h"
#include "storage/model/labels.h"
#include "storage/util/utf8.h"

namespace tally::rules::tmpl {
namespace {

int HexVal(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Go's strconv.UnquoteChar for one escape or character at s[*i] inside a literal quoted
// with `quote`. Appends the bytes; false on invalid syntax.
bool UnquoteChar(absl::string_view s, size_t* i, char quote, std::string* out,
                 uint32_t* rune = nullptr) {
  const char c = s[*i];
  if (c == quote && (quote == '\'' || quote == '"')) return false;
  if (c != '\\') {
    if (rune != nullptr) {
      // Decode one UTF-8 rune (character constants only).
      const unsigned char u = static_cast<unsigned char>(c);
      int n = u < 0x80 ? 1 : u < 0xE0 ? 2 : u < 0xF0 ? 3 : 4;
      uint32_t r = n == 1 ? u : n == 2 ? (u & 0x1F) : n == 3 ? (u & 0x0F) : (u & 0x07);
      for (int k = 1; k < n && *i + k < s.size(); ++k) r = (r << 6) | (s[*i + k] & 0x3F);
      *rune = r;
      absl::StrAppend(out, s.substr(*i, n));
      *i += n;
      return true;
    }
    out->push_back(c);
    ++*i;
    return true;
  }
  if (*i + 1 >= s.size()) return false;
  const char e = s[*i + 1];
  *i += 2;
  uint32_t r = 0;
  switch (e) {
    case 'a': r = '\a'; break;
    case 'b': r = '\b'; break;
    case 'f': r = '\f'; break;
    case 'n': r = '\n'; break;
    case 'r': r = '\r'; break;
    case 't': r = '\t'; break;
    case 'v': r = '\v'; break;
    case '\\': r = '\\'; break;
    case '\'':
    case '"':
      if (e != quote) return false;
      r = static_cast<uint32_t>(e);
      break;
    case 'x':
    case 'u':
    case 'U': {
      const int n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
      if (*i + n > s.size()) return false;
      for (int k = 0; k < n; ++k) {
        const int h = HexVal(s[*i + k]);
        if (h < 0) return false;
        r = (r << 4) | static_cast<uint32_t>(h);
      }
      *i += n;
      if (e == 'x') {  // a single byte, not a rune
        if (rune != nullptr) *rune = r;
        out->push_back(static_cast<char>(r));
        return true;
      }
      if (r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) return false;
      break;
    }
    case '0':
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
    case '6':
    case '7': {
      r = static_cast<uint32_t>(e - '0');
      if (*i + 2 > s.size()) return false;
      for (int k = 0; k < 2; ++k) {
        const char d = s[*i + k];
        if (d < '0' || d > '7') return false;
        r = (r << 3) | static_cast<uint32_t>(d - '0');
      }
      *i += 2;
      if (r > 255) return false;
      if (rune != nullptr) *rune = r;
      out->push_back(static_cast<char>(r));
      return true;
    }
    default: return false;
  }
  if (rune != nullptr) *rune = r;
  storage::AppendUtf8(r, out);
  return true;
}

// Go's strconv.Unquote for "..." and `...` literals.
bool Unquote(absl::string_view lit, std::string* out) {
  if (lit.size() < 2) return false;
  if (lit.front() == '`') {
    if (lit.back() != '`') return false;
    for (char c : lit.substr(1, lit.size() - 2)) {
      if (c != '\r') out->push_back(c);  // Go drops carriage returns from raw strings
    }
    return true;
  }
  if (lit.front() != '"' || lit.back() != '"') return false;
  absl::string_view body = lit.substr(1, lit.size() - 2);
  size_t i = 0;
  while (i < body.size()) {
    if (body[i] == '\n') return false;
    if (!UnquoteChar(body, &i, '"', out)) return false;
  }
  return true;
}

// strconv.ParseInt/ParseUint(text, 0, 64) without underscores: decimal, 0x, 0o, 0b and
// leading-0 octal, optional sign.
bool ParseGoInt(absl::string_view s, bool is_unsigned, int64_t* i_out, uint64_t* u_out) {
  bool neg = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    if (is_unsigned) return false;
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  int base = 10;
  if (s.size() >= 2 && s[0] == '0') {
    const char p = s[1] | 0x20;
    if (p == 'x') {
      base = 16;
      s.remove_prefix(2);
    } else if (p == 'o') {
      base = 8;
      s.remove_prefix(2);
    } else if (p == 'b') {
      base = 2;
      s.remove_prefix(2);
    } else {
      base = 8;
      s.remove_prefix(1);
    }
  }
  if (s.empty()) return false;
  unsigned __int128 v = 0;
  for (char c : s) {
    const int d = HexVal(c);
    if (d < 0 || d >= base) return false;
    v = v * base + static_cast<unsigned>(d);
    if (v > (static_cast<unsigned __int128>(1) << 64)) return false;
  }
  if (is_unsigned) {
    if (v > UINT64_MAX) return false;
    *u_out = static_cast<uint64_t>(v);
    return true;
  }
  if (neg) {
    if (v > static_cast<unsigned __int128>(INT64_MAX) + 1) return false;
    *i_out = static_cast<int64_t>(-static_cast<__int128>(v));
  } else {
    if (v > INT64_MAX) return false;
    *i_out = static_cast<int64_t>(v);
  }
  return true;
}

class Parser {
 public:
  Parser(absl::string_view name, absl::string_view text) : name_(name), lexer_(text) {}

  absl::StatusOr<NodePtr> Run() {
    vars_ = {"$"};
    NodePtr root = NewNode(NodeType::kList, 0);
    while (ok() && Peek().type != Tok::kEOF) {
      if (Peek().type == Tok::kLeftDelim) {
        const size_t mark = idx_;
        Next();
        const Tok t = NextNonSpace().type;
        if (t == Tok::kDefine || t == Tok::kBlock || t == Tok::kTemplate) {
          Errorf("{{define}}, {{template}} and {{block}} are not supported in alert templates");
          break;
        }
        idx_ = mark;
      }
      NodePtr n = TextOrAction();
      if (!ok()) break;
      if (n->type == NodeType::kEnd || n->type == NodeType::kElse) {
        Errorf("unexpected " + n->String());
        break;
      }
      root->nodes.push_back(std::move(n));
    }
    if (!ok()) return absl::InvalidArgumentError(error_);
    return root;
  }

 private:
  bool ok() const { return error_.empty(); }

  // Token stream with unlimited backup: tokens are kept once lexed.
  const Token& Next() {
    if (idx_ == toks_.size()) toks_.push_back(lexer_.Next());
    return toks_[idx_++];
  }
  void Backup() { --idx_; }
  const Token& Peek() {
    const Token& t = Next();
    Backup();
    return t;
  }
  const Token& NextNonSpace() {
    while (true) {
      const Token& t = Next();
      if (t.type != Tok::kSpace) return t;
    }
  }
  const Token& PeekNonSpace() {
    const Token& t = NextNonSpace();
    Backup();
    return t;
  }

  // Go's Tree.errorf: the line is that of the furthest token read.
  void Errorf(const std::string& msg) {
    if (!ok()) return;
    const int line = toks_.empty() ? 1 : toks_.back().line;
    error_ = absl::StrCat("template: ", name_, ":", line, ": ", msg);
  }

  void Unexpected(const Token& t, absl::string_view context) {
    if (t.type == Tok::kError) {
      std::string extra;
      if (action_line_ != 0 && action_line_ != t.line) {
        extra = absl::StrCat(" in action started at ", name_, ":", action_line_);
        if (absl::EndsWith(t.error, " action")) extra = extra.substr(strlen(" in action"));
      }
      Errorf(t.error + extra);
      return;
    }
    Errorf(absl::StrCat("unexpected ", t.String(), " in ", context));
  }

  NodePtr NewNode(NodeType type, int pos, int line = 0) {
    auto n = std::make_unique<Node>();
    n->type = type;
    n->pos = pos;
    n->line = line;
    return n;
  }

  NodePtr TextOrAction() {
    const Token& t = NextNonSpace();
    switch (t.type) {
      case Tok::kText: {
        NodePtr n = NewNode(NodeType::kText, t.pos, t.line);
        n->text = std::string(t.val);
        return n;
      }
      case Tok::kLeftDelim: {
        action_line_ = t.line;
        NodePtr n = Action();
        action_line_ = 0;
        return n;
      }
      default: Unexpected(t, "input"); return nullptr;
    }
  }

  NodePtr Action() {
    const Token& t = NextNonSpace();
    switch (t.type) {
      case Tok::kBreak: return BreakOrContinue(NodeType::kBreak, t.pos, t.line, "{{break}}");
      case Tok::kContinue:
        return BreakOrContinue(NodeType::kContinue, t.pos, t.line, "{{continue}}");
      case Tok::kElse: return ElseControl();
      case Tok::kEnd: return EndControl();
      case Tok::kIf: return Control(NodeType::kIf, "if");
      case Tok::kRange: return Control(NodeType::kRange, "range");
      case Tok::kWith: return Control(NodeType::kWith, "with");
      case Tok::kBlock:
      case Tok::kTemplate:
        Errorf("{{define}}, {{template}} and {{block}} are not supported in alert templates");
        return nullptr;
      default: break;
    }
    Backup();
    const Token& p = Peek();
    NodePtr n = NewNode(NodeType::kAction, p.pos, p.line);
    n->pipe = Pipeline("command", Tok::kRightDelim);
    if (!ok()) return nullptr;
    return n;
  }

  NodePtr BreakOrContinue(NodeType type, int pos, int line, const char* what) {
    const Token& t = NextNonSpace();
    if (t.type != Tok::kRightDelim) {
      Unexpected(t, what);
      return nullptr;
    }
    if (range_depth_ == 0) {
      Errorf(absl::StrCat(what, " outside {{range}}"));
      return nullptr;
    }
    return NewNode(type, pos, line);
  }

  NodePtr Pipeline(absl::string_view context, Tok end) {
    const Token& first = PeekNonSpace();
    NodePtr pipe = NewNode(NodeType::kPipe, first.pos, first.line);
  decls:
    if (PeekNonSpace().type == Tok::kVariable) {
      const size_t v_idx = idx_;
      // PeekNonSpace left idx_ at the variable; Next() reads it.
      const Token v = NextNonSpace();
      const size_t after_v = idx_;
      const Tok token_after = Peek().type;
      const Token next = PeekNonSpace();
      if (next.type == Tok::kAssign || next.type == Tok::kDeclare) {
        pipe->is_assign = next.type == Tok::kAssign;
        NextNonSpace();
        pipe->decl.push_back(NewVariable(v.pos, v.val));
        vars_.emplace_back(v.val);
      } else if (next.type == Tok::kChar && next.val == ",") {
        NextNonSpace();
        pipe->decl.push_back(NewVariable(v.pos, v.val));
        vars_.emplace_back(v.val);
        if (context == "range" && pipe->decl.size() < 2) {
          const Tok t = PeekNonSpace().type;
          if (t == Tok::kVariable || t == Tok::kRightDelim || t == Tok::kRightParen) goto decls;
          Errorf("range can only initialize variables");
          return nullptr;
        }
        Errorf(absl::StrCat("too many declarations in ", context));
        return nullptr;
      } else if (token_after == Tok::kSpace) {
        idx_ = v_idx;
        (void)after_v;
      } else {
        idx_ = v_idx;
      }
    }
    while (ok()) {
      const Token& t = NextNonSpace();
      if (t.type == end) {
        CheckPipeline(*pipe, context);
        if (!ok()) return nullptr;
        return pipe;
      }
      switch (t.type) {
        case Tok::kBool:
        case Tok::kCharConstant:
        case Tok::kComplex:
        case Tok::kDot:
        case Tok::kField:
        case Tok::kIdentifier:
        case Tok::kNumber:
        case Tok::kNil:
        case Tok::kRawString:
        case Tok::kString:
        case Tok::kVariable:
        case Tok::kLeftParen: {
          Backup();
          NodePtr cmd = Command();
          if (!ok()) return nullptr;
          pipe->nodes.push_back(std::move(cmd));
          break;
        }
        default: Unexpected(t, context); return nullptr;
      }
    }
    return nullptr;
  }

  void CheckPipeline(const Node& pipe, absl::string_view context) {
    if (pipe.nodes.empty()) {
      Errorf(absl::StrCat("missing value for ", context));
      return;
    }
    for (size_t i = 1; i < pipe.nodes.size(); ++i) {
      switch (pipe.nodes[i]->nodes[0]->type) {
        case NodeType::kBool:
        case NodeType::kDot:
        case NodeType::kNil:
        case NodeType::kNumber:
        case NodeType::kString:
          Errorf(absl::StrCat("non executable command in pipeline stage ", i + 1));
          return;
        default: break;
      }
    }
  }

  NodePtr Command() {
    NodePtr cmd = NewNode(NodeType::kCommand, PeekNonSpace().pos);
    while (ok()) {
      PeekNonSpace();
      NodePtr operand = Operand();
      if (!ok()) return nullptr;
      if (operand) cmd->nodes.push_back(std::move(operand));
      const Token& t = Next();
      if (t.type == Tok::kSpace) continue;
      if (t.type == Tok::kRightDelim || t.type == Tok::kRightParen) {
        Backup();
      } else if (t.type != Tok::kPipe) {
        Unexpected(t, "operand");
        return nullptr;
      }
      break;
    }
    if (!ok()) return nullptr;
    if (cmd->nodes.empty()) {
      Errorf("empty command");
      return nullptr;
    }
    return cmd;
  }

  NodePtr Operand() {
    NodePtr node = Term();
    if (!ok() || !node) return node;
    if (Peek().type == Tok::kField) {
      const int chain_pos = Peek().pos;
      std::vector<std::string> fields;
      while (Peek().type == Tok::kField) fields.emplace_back(Next().val.substr(1));
      switch (node->type) {
        case NodeType::kField:
        case NodeType::kVariable:
          // Go rebuilds the node from the chain's text, at the first field's position.
          for (std::string& f : fields) node->ident.push_back(std::move(f));
          node->pos = chain_pos;
          return node;
        case NodeType::kBool:
        case NodeType::kString:
        case NodeType::kNumber:
        case NodeType::kNil:
        case NodeType::kDot:
          Errorf(absl::StrCat("unexpected . after term ", storage::GoQuote(node->String())));
          return nullptr;
        default: {
          NodePtr chain = NewNode(NodeType::kChain, chain_pos);
          chain->chain_node = std::move(node);
          chain->ident = std::move(fields);
          return chain;
        }
      }
    }
    return node;
  }

  NodePtr NewVariable(int pos, absl::string_view name) {
    NodePtr v = NewNode(NodeType::kVariable, pos);
    v->ident.emplace_back(name);
    return v;
  }

  NodePtr Term() {
    const Token t = NextNonSpace();
    switch (t.type) {
      case Tok::kIdentifier: {
        if (FindFunction(t.val) == nullptr) {
          Errorf(absl::StrCat("function ", storage::GoQuote(t.val), " not defined"));
          return nullptr;
        }
        NodePtr n = NewNode(NodeType::kIdentifier, t.pos);
        n->text = std::string(t.val);
        return n;
      }
      case Tok::kDot: return NewNode(NodeType::kDot, t.pos);
      case Tok::kNil: return NewNode(NodeType::kNil, t.pos);
      case Tok::kVariable: {
        for (const std::string& v : vars_) {
          if (v == t.val) return NewVariable(t.pos, t.val);
        }
        Errorf(absl::StrCat("undefined variable ", storage::GoQuote(t.val)));
        return nullptr;
      }
      case Tok::kField: {
        NodePtr n = NewNode(NodeType::kField, t.pos);
        n->ident.emplace_back(t.val.substr(1));
        return n;
      }
      case Tok::kBool: {
        NodePtr n = NewNode(NodeType::kBool, t.pos);
        n->b = t.val == "true";
        return n;
      }
      case Tok::kCharConstant:
      case Tok::kComplex:
      case Tok::kNumber: return NewNumber(t);
      case Tok::kLeftParen: {
        // Go 1.20+ bounds nesting too; this keeps the recursion off the stack's edge.
        if (++depth_ > kMaxDepth) {
          Errorf("max expression depth exceeded");
          return nullptr;
        }
        NodePtr p = Pipeline("parenthesized pipeline", Tok::kRightParen);
        --depth_;
        return p;
      }
      case Tok::kString:
      case Tok::kRawString: {
        NodePtr n = NewNode(NodeType::kString, t.pos);
        n->text = std::string(t.val);
        if (!Unquote(t.val, &n->str)) {
          Errorf("invalid syntax");
          return nullptr;
        }
        return n;
      }
      default: Backup(); return nullptr;
    }
  }

  // text/template/parse.newNumber.
  NodePtr NewNumber(const Token& t) {
    NodePtr n = NewNode(NodeType::kNumber, t.pos);
    n->text = std::string(t.val);
    const absl::string_view text = t.val;
    if (t.type == Tok::kCharConstant) {
      std::string bytes;
      size_t i = 1;
      uint32_t r = 0;
      if (text.size() < 3 || !UnquoteChar(text, &i, '\'', &bytes, &r)) {
        Errorf("invalid syntax");
        return nullptr;
      }
      if (text.substr(i) != "'") {
        Errorf(absl::StrCat("malformed character constant: ", text));
        return nullptr;
      }
      n->is_int = n->is_uint = n->is_float = true;
      n->int64 = r;
      n->uint64 = r;
      n->float64 = r;
      return n;
    }
    if (t.type == Tok::kComplex || absl::EndsWith(text, "i")) {
      Errorf(absl::StrCat("complex numbers are not supported: ", storage::GoQuote(text)));
      return nullptr;
    }
    if (text.find('_') != absl::string_view::npos) {
      Errorf(absl::StrCat("illegal number syntax: ", storage::GoQuote(text)));
      return nullptr;
    }
    uint64_t u = 0;
    int64_t i = 0;
    if (ParseGoInt(text, true, nullptr, &u)) {
      n->is_uint = true;
      n->uint64 = u;
    }
    if (ParseGoInt(text, false, &i, nullptr)) {
      n->is_int = true;
      n->int64 = i;
      if (i == 0) {
        n->is_uint = true;
        n->uint64 = 0;
      }
    }
    if (n->is_int) {
      n->is_float = true;
      n->float64 = static_cast<double>(n->int64);
    } else if (n->is_uint) {
      n->is_float = true;
      n->float64 = static_cast<double>(n->uint64);
    } else {
      double f = 0;
      if (storage::ParseGoFloat(text, &f) && text.find_first_of("iInN") == absl::string_view::npos) {
        if (text.find_first_of(".eEpP") == absl::string_view::npos) {
          Errorf(absl::StrCat("integer overflow: ", storage::GoQuote(text)));
          return nullptr;
        }
        n->is_float = true;
        n->float64 = f;
        if (f >= -9.223372036854775808e18 && f < 9.223372036854775808e18 &&
            static_cast<double>(static_cast<int64_t>(f)) == f) {
          n->is_int = true;
          n->int64 = static_cast<int64_t>(f);
        }
        if (f >= 0 && f < 1.8446744073709551616e19 &&
            static_cast<double>(static_cast<uint64_t>(f)) == f) {
          n->is_uint = true;
          n->uint64 = static_cast<uint64_t>(f);
        }
      }
    }
    if (!n->is_int && !n->is_uint && !n->is_float) {
      Errorf(absl::StrCat("illegal number syntax: ", storage::GoQuote(text)));
      return nullptr;
    }
    return n;
  }

  // {{if}}, {{range}}, {{with}}: Go's parseControl. Variables declared inside are dropped
  // at the matching {{end}}.
  NodePtr Control(NodeType type, absl::string_view context) {
    if (++depth_ > kMaxDepth) {
      Errorf("max expression depth exceeded");
      return nullptr;
    }
    struct Leave {
      int* d;
      ~Leave() { --*d; }
    } leave{&depth_};
    const size_t vars_mark = vars_.size();
    NodePtr n = NewNode(type, 0);
    n->pipe = Pipeline(context, Tok::kRightDelim);
    if (!ok()) return nullptr;
    n->pos = n->pipe->pos;
    n->line = n->pipe->line;
    if (type == NodeType::kRange) ++range_depth_;
    NodePtr next;
    n->list = ItemList(&next);
    if (type == NodeType::kRange) --range_depth_;
    if (!ok()) return nullptr;
    if (next->type == NodeType::kElse) {
      if (type == NodeType::kIf && Peek().type == Tok::kIf) {
        // {{else if x}} is {{else}}{{if x}}...{{end}}{{end}} with one shared {{end}}.
        Next();
        n->else_list = NewNode(NodeType::kList, next->pos);
        NodePtr inner = Control(NodeType::kIf, "if");
        if (!ok()) return nullptr;
        n->else_list->nodes.push_back(std::move(inner));
      } else {
        if (type == NodeType::kRange) ++range_depth_;
        n->else_list = ItemList(&next);
        if (type == NodeType::kRange) --range_depth_;
        if (!ok()) return nullptr;
        if (next->type != NodeType::kEnd) {
          Errorf("expected end; found " + next->String());
          return nullptr;
        }
      }
    }
    vars_.resize(vars_mark);
    return n;
  }

  NodePtr ItemList(NodePtr* next) {
    NodePtr list = NewNode(NodeType::kList, PeekNonSpace().pos);
    while (ok() && PeekNonSpace().type != Tok::kEOF) {
      NodePtr n = TextOrAction();
      if (!ok()) return nullptr;
      if (n->type == NodeType::kEnd || n->type == NodeType::kElse) {
        *next = std::move(n);
        return list;
      }
      list->nodes.push_back(std::move(n));
    }
    Errorf("unexpected EOF");
    return nullptr;
  }

  NodePtr ElseControl() {
    const Token& peek = PeekNonSpace();
    if (peek.type == Tok::kIf) return NewNode(NodeType::kElse, peek.pos, peek.line);
    const Token& t = NextNonSpace();
    if (t.type != Tok::kRightDelim) {
      Unexpected(t, "else");
      return nullptr;
    }
    return NewNode(NodeType::kElse, t.pos, t.line);
  }

  NodePtr EndControl() {
    const Token& t = NextNonSpace();
    if (t.type != Tok::kRightDelim) {
      Unexpected(t, "end");
      return nullptr;
    }
    return NewNode(NodeType::kEnd, t.pos, t.line);
  }

  std::string name_;
  Lexer lexer_;
  std::deque<Token> toks_;  // stable references across push_back
  size_t idx_ = 0;
  std::vector<std::string> vars_;
  int range_depth_ = 0;
  static constexpr int kMaxDepth = 1000;
  int depth_ = 0;
  int action_line_ = 0;
  std::string error_;
};

}  // namespace

absl::StatusOr<NodePtr> Parse(absl::string_view name, absl::string_view text) {
  Parser p(name, text);
  return p.Run();
}

}  // namespace tally::rules::tmpl
