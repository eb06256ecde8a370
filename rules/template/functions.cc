#include "rules/template/functions.h"

#include "absl/container/flat_hash_map.h"

namespace tally::rules::tmpl {

const char* ParamTypeName(Param p) {
  switch (p) {
    case Param::kAny:
      return "interface {}";
    case Param::kReflect:
      return "reflect.Value";
    case Param::kString:
      return "string";
    case Param::kFloat:
      return "float64";
    case Param::kInt:
      return "int";
    case Param::kBool:
      return "bool";
    case Param::kSample:
      return "*template.sample";
    case Param::kQueryResult:
      return "template.queryResult";
  }
  return "?";
}

namespace {

struct Table {
  std::vector<Function> functions;
  absl::flat_hash_map<absl::string_view, const Function*> by_name;
};

const Table& GetTable() {
  static const Table* table = [] {
    auto* t = new Table;
    AddBuiltinFunctions(&t->functions);
    AddPrometheusFunctions(&t->functions);
    for (const Function& f : t->functions) t->by_name[f.name] = &f;
    return t;
  }();
  return *table;
}

}  // namespace

const Function* FindFunction(absl::string_view name) {
  const Table& t = GetTable();
  auto it = t.by_name.find(name);
  return it == t.by_name.end() ? nullptr : it->second;
}

}  // namespace tally::rules::tmpl
