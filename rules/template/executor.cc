#include "rules/template/executor.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "rules/template/functions.h"
#include "rules/template/go_fmt.h"
#include "rules/template/go_time.h"
#include "storage/model/labels.h"

namespace tally::rules::tmpl {
namespace {

// Go's evalArg target type, or none (a chain's operand is evaluated untyped).
constexpr int kUntyped = -1;

bool CanBeNil(Param p) {
  return p == Param::kAny || p == Param::kSample || p == Param::kQueryResult;
}

// Walks the tree the way text/template's state does. Go unwinds errors with panics; here
// the first error is recorded in err_ and every step returns early once it is set.
class State {
 public:
  State(absl::string_view name, absl::string_view text, const TemplateData& data, std::string* out)
      : name_(name), text_(text), data_(data), out_(out) {
    ctx_.data = &data;
    Value root;
    root.kind = Kind::kData;
    root.data = &data;
    vars_.reserve(16);  // "$", the prelude's four and a few more without regrowth
    vars_.push_back({"$", root});
    root_ = root;
  }

  absl::Status Run(const Node& root) {
    Walk(root_, root);
    if (!err_.empty()) return absl::InvalidArgumentError(err_);
    return absl::OkStatus();
  }

 private:
  enum class Flow { kNormal, kBreak, kContinue };
  struct Var {
    std::string name;
    Value value;
  };

  bool failed() const { return !err_.empty(); }
  void At(const Node* n) { node_ = n; }

  // Go's state.errorf with Tree.ErrorContext: line and 0-based byte column.
  void Errorf(const std::string& msg) {
    if (failed()) return;
    if (node_ == nullptr) {
      err_ = absl::StrCat("template: ", name_, ": ", msg);
      return;
    }
    const size_t pos = std::min<size_t>(node_->pos, text_.size());
    const absl::string_view before = text_.substr(0, pos);
    const size_t nl = before.rfind('\n');
    const size_t col = nl == absl::string_view::npos ? pos : pos - (nl + 1);
    const int line = 1 + static_cast<int>(std::count(before.begin(), before.end(), '\n'));
    err_ = absl::StrCat("template: ", name_, ":", line, ":", col, ": executing ",
                        storage::GoQuote(name_), " at <", node_->String(), ">: ", msg);
  }

  void Write(absl::string_view s) {
    if (out_->size() + s.size() > kMaxOutputBytes) {
      Errorf(absl::StrCat("template output exceeds ", kMaxOutputBytes, " bytes"));
      return;
    }
    out_->append(s.data(), s.size());
  }

  // ---- statements -------------------------------------------------------------------

  void Walk(const Value& dot, const Node& node) {
    if (failed() || flow_ != Flow::kNormal) return;
    At(&node);
    switch (node.type) {
      case NodeType::kAction: {
        Value val = EvalPipeline(dot, node.pipe.get());
        if (failed()) return;
        if (node.pipe->decl.empty()) {
          At(&node);
          std::string s;
          AppendActionValue(val, &s);
          Write(s);
        }
        return;
      }
      case NodeType::kBreak:
        flow_ = Flow::kBreak;
        return;
      case NodeType::kContinue:
        flow_ = Flow::kContinue;
        return;
      case NodeType::kIf:
      case NodeType::kWith:
        WalkIfOrWith(node.type, dot, node);
        return;
      case NodeType::kList:
        for (const NodePtr& n : node.nodes) {
          Walk(dot, *n);
          if (failed() || flow_ != Flow::kNormal) return;
        }
        return;
      case NodeType::kRange:
        WalkRange(dot, node);
        return;
      case NodeType::kText:
        Write(node.text);
        return;
      default:
        Errorf("unknown node: " + node.String());
        return;
    }
  }

  void WalkIfOrWith(NodeType type, const Value& dot, const Node& node) {
    const size_t mark = vars_.size();
    Value val = EvalPipeline(dot, node.pipe.get());
    if (failed()) return;
    if (IsTrue(val)) {
      Walk(type == NodeType::kWith ? val : dot, *node.list);
    } else if (node.else_list) {
      Walk(dot, *node.else_list);
    }
    vars_.resize(mark);
  }

  void WalkRange(const Value& dot, const Node& r) {
    At(&r);
    const size_t mark0 = vars_.size();
    Value val = EvalPipeline(dot, r.pipe.get());
    if (failed()) return;
    const size_t mark = vars_.size();
    const Node& pipe = *r.pipe;
    bool stop = false;
    auto one_iteration = [&](const Value& index, const Value& elem) {
      if (!pipe.decl.empty()) {
        if (pipe.is_assign) {
          SetVariable(pipe.decl[0]->ident[0], pipe.decl.size() > 1 ? index : elem);
        } else {
          vars_[vars_.size() - 1].value = elem;
        }
      }
      if (pipe.decl.size() > 1) {
        if (pipe.is_assign) {
          SetVariable(pipe.decl[1]->ident[0], elem);
        } else {
          vars_[vars_.size() - 2].value = index;
        }
      }
      Walk(elem, *r.list);
      vars_.resize(mark);
      if (flow_ == Flow::kContinue) flow_ = Flow::kNormal;
      if (flow_ == Flow::kBreak) {
        flow_ = Flow::kNormal;
        stop = true;
      }
    };
    bool iterated = false;
    switch (val.kind) {
      case Kind::kQueryResult:
        if (val.result && !val.result->empty()) {
          iterated = true;
          for (size_t i = 0; i < val.result->size() && !stop && !failed(); ++i) {
            one_iteration(Value::Int(static_cast<int64_t>(i)), Value::OfSample((*val.result)[i]));
          }
        }
        break;
      case Kind::kLabels:
        // Go's fmtsort orders string keys bytewise, as std::map does.
        if (val.labels && !val.labels->empty()) {
          iterated = true;
          for (auto it = val.labels->begin(); it != val.labels->end() && !stop && !failed(); ++it) {
            one_iteration(Value::String(it->first), Value::String(it->second));
          }
        }
        break;
      case Kind::kArgs:
        if (val.args && !val.args->empty()) {
          iterated = true;
          for (auto it = val.args->begin(); it != val.args->end() && !stop && !failed(); ++it) {
            one_iteration(Value::String(it->first), it->second);
          }
        }
        break;
      case Kind::kInvalid:
        break;  // a missing value: not an error, runs the else branch
      default:
        // Reported at the node evaluated last (the pipeline's operand), as Go does.
        if (val.kind == Kind::kSample && val.sample) {
          std::string s;
          AppendActionValue(val, &s);
          Errorf("range can't iterate over " + s);
        } else {
          Errorf("range can't iterate over " + SprintValue(val));
        }
        return;
    }
    if (!iterated && r.else_list && !failed()) Walk(dot, *r.else_list);
    vars_.resize(mark0);
  }

  // ---- expressions -------------------------------------------------------------------

  Value EvalPipeline(const Value& dot, const Node* pipe) {
    if (pipe == nullptr) return Value();
    At(pipe);
    Value value;
    bool have_value = false;
    for (const NodePtr& cmd : pipe->nodes) {
      // The previous command's value is this one's final argument.
      Value next = EvalCommand(dot, *cmd, have_value ? &value : nullptr);
      if (failed()) return Value();
      // An interface{} holding nil becomes the invalid value ("<no value>").
      if (next.kind == Kind::kNil) next = Value();
      value = std::move(next);
      have_value = true;
    }
    for (const NodePtr& v : pipe->decl) {
      if (pipe->is_assign) {
        SetVariable(v->ident[0], value);
      } else {
        vars_.push_back({v->ident[0], value});
      }
    }
    return value;
  }

  Value EvalCommand(const Value& dot, const Node& cmd, const Value* final) {
    const Node& first = *cmd.nodes[0];
    switch (first.type) {
      case NodeType::kField:
        return EvalFieldNode(dot, first, &cmd.nodes, final);
      case NodeType::kChain:
        return EvalChainNode(dot, first, &cmd.nodes, final);
      case NodeType::kIdentifier:
        return EvalFunction(dot, first, cmd, &cmd.nodes, final);
      case NodeType::kPipe:
        NotAFunction(cmd, final);
        if (failed()) return Value();
        return EvalPipeline(dot, &first);
      case NodeType::kVariable:
        return EvalVariableNode(dot, first, &cmd.nodes, final);
      default:
        break;
    }
    At(&first);
    NotAFunction(cmd, final);
    if (failed()) return Value();
    switch (first.type) {
      case NodeType::kBool:
        return Value::Bool(first.b);
      case NodeType::kDot:
        return dot;
      case NodeType::kNil:
        Errorf("nil is not a command");
        return Value();
      case NodeType::kNumber:
        return IdealConstant(first);
      case NodeType::kString:
        return Value::String(first.str);
      default:
        break;
    }
    Errorf("can't evaluate command " + storage::GoQuote(first.String()));
    return Value();
  }

  void NotAFunction(const Node& cmd, const Value* final) {
    if (cmd.nodes.size() > 1 || final != nullptr) {
      Errorf("can't give argument to non-function " + cmd.nodes[0]->String());
    }
  }

  Value IdealConstant(const Node& n) {
    At(&n);
    // Go's idealConstant: float syntax, but not a hex integer ("0x1e") or a rune.
    const bool hex_int = n.text.size() > 2 && n.text[0] == '0' &&
                         (n.text[1] == 'x' || n.text[1] == 'X') &&
                         n.text.find_first_of("pP") == std::string::npos;
    const bool float_syntax =
        n.text.find_first_of(".eEpP") != std::string::npos && !hex_int && n.text[0] != '\'';
    if (n.is_float && float_syntax) return Value::Float(n.float64);
    if (n.is_int) return Value::Int(n.int64);
    if (n.is_uint) Errorf(n.text + " overflows int");
    return Value();
  }

  Value EvalFieldNode(const Value& dot, const Node& field, const std::vector<NodePtr>* args,
                      const Value* final) {
    At(&field);
    return EvalFieldChain(dot, dot, field, field.ident, 0, args, final);
  }

  Value EvalChainNode(const Value& dot, const Node& chain, const std::vector<NodePtr>* args,
                      const Value* final) {
    At(&chain);
    if (chain.chain_node->type == NodeType::kNil) {
      Errorf("indirection through explicit nil in " + chain.String());
      return Value();
    }
    Value pipe = EvalArg(dot, kUntyped, *chain.chain_node);
    if (failed()) return Value();
    return EvalFieldChain(dot, pipe, chain, chain.ident, 0, args, final);
  }

  Value EvalVariableNode(const Value& dot, const Node& v, const std::vector<NodePtr>* args,
                         const Value* final) {
    At(&v);
    Value value = VarValue(v.ident[0]);
    if (failed()) return Value();
    if (v.ident.size() == 1) {
      if ((args != nullptr && args->size() > 1) || final != nullptr) {
        Errorf("can't give argument to non-function " + v.String());
        return Value();
      }
      return value;
    }
    return EvalFieldChain(dot, value, v, v.ident, 1, args, final);
  }

  Value EvalFieldChain(const Value& dot, Value receiver, const Node& node,
                       const std::vector<std::string>& ident, size_t first,
                       const std::vector<NodePtr>* args, const Value* final) {
    const size_t n = ident.size();
    for (size_t i = first; i + 1 < n; ++i) {
      receiver = EvalField(dot, ident[i], nullptr, nullptr, receiver);
      if (failed()) return Value();
    }
    return EvalField(dot, ident[n - 1], args, final, receiver);
  }

  Value EvalField(const Value& dot, const std::string& field, const std::vector<NodePtr>* args,
                  const Value* final, const Value& receiver) {
    if (!receiver.valid()) return Value();  // missingkey=zero: no error on missing data
    const size_t nargs = args != nullptr ? args->size() : 0;
    const bool has_args = nargs > 1 || final != nullptr;
    const char* type = TypeName(receiver);
    switch (receiver.kind) {
      case Kind::kData:
      case Kind::kSample: {
        const bool is_data = receiver.kind == Kind::kData;
        Value v;
        if (field == "Labels") {
          if (is_data) {
            v = Value::BorrowedLabels(&receiver.data->labels);
          } else if (receiver.sample) {
            v.kind = Kind::kLabels;
            v.labels = std::shared_ptr<const LabelMap>(receiver.sample, &receiver.sample->labels);
          }
        } else if (field == "Value") {
          if (is_data) {
            v = Value::Float(receiver.data->value);
          } else if (receiver.sample) {
            v = Value::Float(receiver.sample->value);
          }
        } else if (is_data && field == "ExternalLabels") {
          v = Value::BorrowedLabels(&receiver.data->external_labels);
        } else if (is_data && field == "ExternalURL") {
          v = Value::String(receiver.data->external_url);
        } else {
          break;
        }
        if (!is_data && !receiver.sample) {
          Errorf(absl::StrCat("nil pointer evaluating ", type, ".", field));
          return Value();
        }
        if (has_args) {
          Errorf(field + " has arguments but cannot be invoked as function");
          return Value();
        }
        return v;
      }
      case Kind::kLabels: {
        if (has_args) {
          Errorf(field + " is not a method but has arguments");
          return Value();
        }
        auto it = receiver.labels->find(field);
        return Value::String(it == receiver.labels->end() ? std::string() : it->second);
      }
      case Kind::kTime: {
        if (field == "Format") return CallFormat(dot, receiver.i, args, final);
        // A few niladic methods of *time.Time (Go would call any method).
        absl::StatusOr<Value> v = TimeMethod(receiver.i, field);
        if (!v.ok()) break;
        if (has_args) {
          Errorf(absl::StrCat("wrong number of args for ", field, ": want 0 got ",
                              nargs > 0 ? nargs - 1 + (final != nullptr) : (final != nullptr)));
          return Value();
        }
        return *v;
      }
      case Kind::kArgs: {
        if (has_args) {
          Errorf(field + " is not a method but has arguments");
          return Value();
        }
        auto it = receiver.args->find(field);
        return it == receiver.args->end() ? Value::Nil() : it->second;
      }
      default:
        break;
    }
    Errorf(absl::StrCat("can't evaluate field ", field, " in type ", type));
    return Value();
  }

  Value EvalFunction(const Value& dot, const Node& ident, const Node& cmd,
                     const std::vector<NodePtr>* args, const Value* final) {
    At(&ident);
    const Function* fn = FindFunction(ident.text);
    if (fn == nullptr) {
      Errorf(storage::GoQuote(ident.text) + " is not a defined function");
      return Value();
    }
    return EvalCall(dot, *fn, cmd, args, final);
  }

  // (*time.Time).Format(layout string) string, called as a method with Go's evalCall
  // arity and argument rules.
  Value CallFormat(const Value& dot, int64_t ms, const std::vector<NodePtr>* args,
                   const Value* final) {
    const size_t nargs = args != nullptr ? args->size() - 1 : 0;
    const size_t num_in = nargs + (final != nullptr ? 1 : 0);
    if (num_in != 1) {
      Errorf(absl::StrCat("wrong number of args for Format: want 1 got ", num_in));
      return Value();
    }
    Value layout = nargs == 1 ? EvalArg(dot, static_cast<int>(Param::kString), *(*args)[1])
                              : ValidateType(*final, static_cast<int>(Param::kString));
    if (failed()) return Value();
    return Value::String(FormatGoLayout(ms, layout.s));
  }

  // text/template's evalCall: arity check, argument conversion, the call.
  Value EvalCall(const Value& dot, const Function& fn, const Node& node,
                 const std::vector<NodePtr>* all_args, const Value* final) {
    std::vector<const Node*> args;
    if (all_args != nullptr) {
      for (size_t i = 1; i < all_args->size(); ++i) args.push_back((*all_args)[i].get());
    }
    const size_t num_params = fn.params.size();
    const size_t num_in = args.size() + (final != nullptr ? 1 : 0);
    size_t num_fixed = args.size();
    if (fn.variadic) {
      num_fixed = num_params - 1;
      if (num_in < num_fixed) {
        Errorf(absl::StrCat("wrong number of args for ", fn.name, ": want at least ",
                            num_params - 1, " got ", args.size()));
        return Value();
      }
    } else if (num_in != num_params) {
      Errorf(absl::StrCat("wrong number of args for ", fn.name, ": want ", num_params, " got ",
                          num_in));
      return Value();
    }
    if (fn.builtin && (fn.name == "and" || fn.name == "or")) {
      // Go 1.18+: and/or stop at the first falsy/truthy argument.
      const bool is_or = fn.name == "or";
      Value v;
      for (const Node* a : args) {
        v = EvalArg(dot, static_cast<int>(fn.params[0]), *a);
        if (failed()) return Value();
        if (IsTrue(v) == is_or) return v;
      }
      if (final != nullptr) v = ValidateType(*final, static_cast<int>(fn.params[0]));
      return v;
    }
    std::vector<Value> argv;
    argv.reserve(num_in);
    size_t i = 0;
    for (; i < num_fixed && i < args.size(); ++i) {
      argv.push_back(EvalArg(dot, static_cast<int>(fn.params[i]), *args[i]));
      if (failed()) return Value();
    }
    if (fn.variadic) {
      for (; i < args.size(); ++i) {
        argv.push_back(EvalArg(dot, static_cast<int>(fn.params.back()), *args[i]));
        if (failed()) return Value();
      }
    }
    if (final != nullptr) {
      Param t = fn.params.back();
      if (fn.variadic && num_in - 1 < num_fixed) t = fn.params[num_in - 1];
      argv.push_back(ValidateType(*final, static_cast<int>(t)));
      if (failed()) return Value();
    }
    absl::StatusOr<Value> v = fn.impl(ctx_, argv);
    if (!v.ok()) {
      At(&node);
      Errorf(absl::StrCat("error calling ", fn.name, ": ", v.status().message()));
      return Value();
    }
    return *std::move(v);
  }

  // text/template's validateType for the parameter types functions use.
  Value ValidateType(const Value& value, int typ) {
    if (typ == kUntyped) return value;
    const Param p = static_cast<Param>(typ);
    if (!value.valid() || value.kind == Kind::kNil) {
      if (CanBeNil(p)) {
        if (p == Param::kAny) return Value::Nil();
        Value z;
        z.kind = p == Param::kSample ? Kind::kSample : Kind::kQueryResult;
        return z;
      }
      if (p == Param::kReflect && value.kind == Kind::kNil) return value;
      Errorf(absl::StrCat("invalid value; expected ", ParamTypeName(p)));
      return Value();
    }
    Kind want;
    switch (p) {
      case Param::kAny:
      case Param::kReflect:
        return value;
      case Param::kString:
        want = Kind::kString;
        break;
      case Param::kFloat:
        want = Kind::kFloat;
        break;
      case Param::kInt:
        want = Kind::kInt;
        break;
      case Param::kBool:
        want = Kind::kBool;
        break;
      case Param::kSample:
        want = Kind::kSample;
        break;
      case Param::kQueryResult:
        want = Kind::kQueryResult;
        break;
      default:
        return value;
    }
    if (value.kind == want) return value;
    Errorf(absl::StrCat("wrong type for value; expected ", ParamTypeName(p), "; got ",
                        TypeName(value)));
    return Value();
  }

  Value EvalArg(const Value& dot, int typ, const Node& n) {
    At(&n);
    switch (n.type) {
      case NodeType::kDot:
        return ValidateType(dot, typ);
      case NodeType::kNil: {
        const Param p = static_cast<Param>(typ);
        if (typ != kUntyped && CanBeNil(p)) return ValidateType(Value(), typ);
        // Go's builtins take reflect.Value: nil arrives as the invalid value
        // (`index nil 1` -> "index of untyped nil").
        if (p == Param::kReflect) return Value();
        Errorf(absl::StrCat("cannot assign nil to ", typ == kUntyped ? "<nil>" : ParamTypeName(p)));
        return Value();
      }
      case NodeType::kField: {
        Value v = EvalFieldNode(dot, n, nullptr, nullptr);
        if (failed()) return Value();
        return ValidateType(v, typ);
      }
      case NodeType::kVariable: {
        Value v = EvalVariableNode(dot, n, nullptr, nullptr);
        if (failed()) return Value();
        return ValidateType(v, typ);
      }
      case NodeType::kPipe: {
        Value v = EvalPipeline(dot, &n);
        if (failed()) return Value();
        return ValidateType(v, typ);
      }
      case NodeType::kIdentifier: {
        Value v = EvalFunction(dot, n, n, nullptr, nullptr);
        if (failed()) return Value();
        return ValidateType(v, typ);
      }
      case NodeType::kChain: {
        Value v = EvalChainNode(dot, n, nullptr, nullptr);
        if (failed()) return Value();
        return ValidateType(v, typ);
      }
      default:
        break;
    }
    const Param p = static_cast<Param>(typ);
    switch (p) {
      case Param::kBool:
        if (n.type == NodeType::kBool) return Value::Bool(n.b);
        Errorf("expected bool; found " + n.String());
        return Value();
      case Param::kFloat:
        if (n.type == NodeType::kNumber && n.is_float) return Value::Float(n.float64);
        Errorf("expected float; found " + n.String());
        return Value();
      case Param::kInt:
        if (n.type == NodeType::kNumber && n.is_int) return Value::Int(n.int64);
        Errorf("expected integer; found " + n.String());
        return Value();
      case Param::kString:
        if (n.type == NodeType::kString) return Value::String(n.str);
        Errorf("expected string; found " + n.String());
        return Value();
      case Param::kAny:
      case Param::kReflect:
        return EvalEmptyInterface(n);
      default:
        break;
    }
    Errorf(absl::StrCat("can't handle ", n.String(), " for arg of type ", ParamTypeName(p)));
    return Value();
  }

  // Literals passed where any type is accepted (only literals reach here).
  Value EvalEmptyInterface(const Node& n) {
    At(&n);
    switch (n.type) {
      case NodeType::kBool:
        return Value::Bool(n.b);
      case NodeType::kNumber:
        return IdealConstant(n);
      case NodeType::kString:
        return Value::String(n.str);
      default:
        break;
    }
    Errorf(absl::StrCat("can't handle assignment of ", n.String(), " to empty interface argument"));
    return Value();
  }

  Value VarValue(const std::string& name) {
    for (size_t i = vars_.size(); i-- > 0;) {
      if (vars_[i].name == name) return vars_[i].value;
    }
    Errorf("undefined variable: " + name);
    return Value();
  }

  void SetVariable(const std::string& name, const Value& value) {
    for (size_t i = vars_.size(); i-- > 0;) {
      if (vars_[i].name == name) {
        vars_[i].value = value;
        return;
      }
    }
    Errorf("undefined variable: " + name);
  }

  absl::string_view name_;
  absl::string_view text_;
  const TemplateData& data_;
  std::string* out_;
  CallContext ctx_;
  Value root_;
  std::vector<Var> vars_;
  const Node* node_ = nullptr;
  Flow flow_ = Flow::kNormal;
  std::string err_;
};

}  // namespace

absl::Status Execute(absl::string_view name, absl::string_view text, const Node& root,
                     const TemplateData& data, std::string* out) {
  State s(name, text, data, out);
  return s.Run(root);
}

}  // namespace tally::rules::tmpl
