#include "rules/template/parser.h"

#include <cstring>
#include <deque>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "rules/template/functions.h"
#include "rules/template/lexer.h"
#include "rules/template/literals.h"
#include "storage/model/labels.h"

namespace tally::rules::tmpl {
namespace {

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
      default:
        Unexpected(t, "input");
        return nullptr;
    }
  }

  NodePtr Action() {
    const Token& t = NextNonSpace();
    switch (t.type) {
      case Tok::kBreak:
        return BreakOrContinue(NodeType::kBreak, t.pos, t.line, "{{break}}");
      case Tok::kContinue:
        return BreakOrContinue(NodeType::kContinue, t.pos, t.line, "{{continue}}");
      case Tok::kElse:
        return ElseControl();
      case Tok::kEnd:
        return EndControl();
      case Tok::kIf:
        return Control(NodeType::kIf, "if");
      case Tok::kRange:
        return Control(NodeType::kRange, "range");
      case Tok::kWith:
        return Control(NodeType::kWith, "with");
      case Tok::kBlock:
      case Tok::kTemplate:
        Errorf("{{define}}, {{template}} and {{block}} are not supported in alert templates");
        return nullptr;
      default:
        break;
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
        default:
          Unexpected(t, context);
          return nullptr;
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
        default:
          break;
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
      case Tok::kDot:
        return NewNode(NodeType::kDot, t.pos);
      case Tok::kNil:
        return NewNode(NodeType::kNil, t.pos);
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
      case Tok::kNumber: {
        NodePtr n = NewNode(NodeType::kNumber, t.pos);
        if (absl::Status s = ParseNumberLiteral(t.type == Tok::kCharConstant,
                                                t.type == Tok::kComplex, t.val, n.get());
            !s.ok()) {
          Errorf(std::string(s.message()));
          return nullptr;
        }
        return n;
      }
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
        if (!GoUnquote(t.val, &n->str)) {
          Errorf("invalid syntax");
          return nullptr;
        }
        return n;
      }
      default:
        Backup();
        return nullptr;
    }
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
        // Go: {{break}}/{{continue}} belong to the range body, not to its {{else}}.
        n->else_list = ItemList(&next);
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
  // Deep enough for any real template, shallow enough for small thread stacks (and ASan).
  static constexpr int kMaxDepth = 200;
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
