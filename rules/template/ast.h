// The parse tree of a template, one node struct for every kind of text/template/parse
// node the supported subset uses. String() renders a node as Go's Node.String() does,
// because execution errors quote it: `executing "X" at <humanize "x">: ...`.
//
// A tree is immutable after parsing and owns its nodes; it may be executed concurrently.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace tally::rules::tmpl {

enum class NodeType : uint8_t {
  kList,
  kText,
  kAction,
  kPipe,
  kCommand,
  kIdentifier,
  kVariable,
  kDot,
  kNil,
  kField,
  kChain,
  kBool,
  kNumber,
  kString,
  kIf,
  kRange,
  kWith,
  kBreak,
  kContinue,
  kEnd,   // parser-internal: {{end}}
  kElse,  // parser-internal: {{else}}
};

struct Node;
using NodePtr = std::unique_ptr<Node>;

struct Node {
  NodeType type = NodeType::kList;
  int pos = 0;  // byte offset of the node in the full template text (prelude included)
  int line = 0;

  // kText: the text. kIdentifier: the function name. kNumber: the literal text.
  // kString: the quoted literal as written.
  std::string text;
  std::string str;  // kString: the unquoted value
  // kVariable: {"$x", "Field", ...}; kField: {"Labels", "x"}; kChain: the fields.
  std::vector<std::string> ident;
  // kList: items. kCommand: arguments (the first is the function or operand).
  // kPipe: commands.
  std::vector<NodePtr> nodes;
  std::vector<NodePtr> decl;  // kPipe: declared/assigned variables (kVariable nodes)
  bool is_assign = false;     // kPipe: "=" rather than ":="
  NodePtr pipe;               // kAction, kIf, kRange, kWith: the pipeline
  NodePtr list;               // kIf, kRange, kWith: the body
  NodePtr else_list;          // kIf, kRange, kWith: the else body, or null
  NodePtr chain_node;         // kChain: the operand the fields apply to
  bool b = false;             // kBool
  // kNumber, as text/template/parse.NumberNode classifies it.
  bool is_int = false, is_uint = false, is_float = false;
  int64_t int64 = 0;
  uint64_t uint64 = 0;
  double float64 = 0;

  std::string String() const;
  void WriteTo(std::string* out) const;
};

}  // namespace tally::rules::tmpl
