// The function table of alert templates: Go's text/template builtins (and, or, not, len,
// index, print, printf, println, html, js, urlquery, eq, ne, lt, le, gt, ge) and
// Prometheus 2.42's template functions (humanize*, query, label, value, first, ...).
//
// Each function declares Go's parameter types so the executor can convert and check
// arguments exactly as reflection-based text/template does, and produce its errors
// ("wrong type for value; expected string; got float64", "wrong number of args for
// humanize: want 1 got 0"). Functions return InvalidArgument with the message Go's
// function would return; the executor wraps it as "error calling NAME: message".
//
// The table is immutable; functions are thread-safe.
#pragma once

#include <functional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "rules/template/value.h"

namespace tally::rules::tmpl {

// Go parameter types the functions use.
enum class Param : uint8_t {
  kAny,          // interface {}
  kReflect,      // reflect.Value (Go's builtins): any value, but not a literal nil
  kString,       // string
  kFloat,        // float64
  kInt,          // int
  kBool,         // bool
  kSample,       // *template.sample
  kQueryResult,  // template.queryResult
};

// Go's name of a parameter type, as reflect prints it.
const char* ParamTypeName(Param p);

// What a function sees of the execution: the data and the query hook.
struct CallContext {
  const TemplateData* data = nullptr;
};

using FuncImpl = std::function<absl::StatusOr<Value>(const CallContext&, std::vector<Value>& args)>;

struct Function {
  absl::string_view name;
  std::vector<Param> params;  // fixed parameters
  bool variadic = false;      // true: the last entry of params repeats (...T)
  bool builtin = false;       // Go's builtins (and/or short-circuit)
  FuncImpl impl;
};

// The function named `name`, or null.
const Function* FindFunction(absl::string_view name);

// Registration of the two halves of the table (builtin_functions.cc,
// prom_functions.cc).
void AddBuiltinFunctions(std::vector<Function>* table);
void AddPrometheusFunctions(std::vector<Function>* table);

}  // namespace tally::rules::tmpl
