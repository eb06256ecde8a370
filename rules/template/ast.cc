#include "rules/template/ast.h"

namespace tally::rules::tmpl {

std::string Node::String() const {
  std::string out;
  WriteTo(&out);
  return out;
}

void Node::WriteTo(std::string* out) const {
  switch (type) {
    case NodeType::kList:
      for (const NodePtr& n : nodes) n->WriteTo(out);
      return;
    case NodeType::kText:
    case NodeType::kIdentifier:
    case NodeType::kNumber:
    case NodeType::kString:
      out->append(text);
      return;
    case NodeType::kAction:
      out->append("{{");
      pipe->WriteTo(out);
      out->append("}}");
      return;
    case NodeType::kPipe:
      if (!decl.empty()) {
        for (size_t i = 0; i < decl.size(); ++i) {
          if (i > 0) out->append(", ");
          decl[i]->WriteTo(out);
        }
        out->append(" := ");  // Go prints ":=" for assignments too
      }
      for (size_t i = 0; i < nodes.size(); ++i) {
        if (i > 0) out->append(" | ");
        nodes[i]->WriteTo(out);
      }
      return;
    case NodeType::kCommand:
      for (size_t i = 0; i < nodes.size(); ++i) {
        if (i > 0) out->push_back(' ');
        if (nodes[i]->type == NodeType::kPipe) {
          out->push_back('(');
          nodes[i]->WriteTo(out);
          out->push_back(')');
        } else {
          nodes[i]->WriteTo(out);
        }
      }
      return;
    case NodeType::kVariable:
      for (size_t i = 0; i < ident.size(); ++i) {
        if (i > 0) out->push_back('.');
        out->append(ident[i]);
      }
      return;
    case NodeType::kDot:
      out->push_back('.');
      return;
    case NodeType::kNil:
      out->append("nil");
      return;
    case NodeType::kField:
      for (const std::string& f : ident) {
        out->push_back('.');
        out->append(f);
      }
      return;
    case NodeType::kChain:
      if (chain_node->type == NodeType::kPipe) {
        out->push_back('(');
        chain_node->WriteTo(out);
        out->push_back(')');
      } else {
        chain_node->WriteTo(out);
      }
      for (const std::string& f : ident) {
        out->push_back('.');
        out->append(f);
      }
      return;
    case NodeType::kBool:
      out->append(b ? "true" : "false");
      return;
    case NodeType::kIf:
    case NodeType::kRange:
    case NodeType::kWith:
      out->append(type == NodeType::kIf      ? "{{if "
                  : type == NodeType::kRange ? "{{range "
                                             : "{{with ");
      pipe->WriteTo(out);
      out->append("}}");
      list->WriteTo(out);
      if (else_list) {
        out->append("{{else}}");
        else_list->WriteTo(out);
      }
      out->append("{{end}}");
      return;
    case NodeType::kBreak:
      out->append("{{break}}");
      return;
    case NodeType::kContinue:
      out->append("{{continue}}");
      return;
    case NodeType::kEnd:
      out->append("{{end}}");
      return;
    case NodeType::kElse:
      out->append("{{else}}");
      return;
  }
}

}  // namespace tally::rules::tmpl
