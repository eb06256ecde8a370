// /api/v1/rules and /api/v1/alerts: the rule manager's groups, rules and alerts as Prometheus
// 2.42's web/api/v1 renders them (field order and formats of its RuleGroup, AlertingRule,
// RecordingRule and Alert structs; checked against the captured bodies in
// /work/shared/compliance/prometheus-2.42-responses/rules*.json and alerts.json).
#include <charconv>
#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "rules/alerting_rule.h"
#include "rules/rule_manager.h"
#include "server/api/http_api.h"
#include "server/api/json_builder.h"

namespace tally::server::api {

using http::HttpRequest;
using http::HttpResponse;

namespace {

// Go's time.Time JSON: RFC 3339 with nanoseconds, trailing zeros trimmed; the zero time is
// "0001-01-01T00:00:00Z".
std::string GoTime(absl::Time t) {
  if (rules::IsZeroTime(t)) return "0001-01-01T00:00:00Z";
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", t, absl::UTCTimeZone());
}

// Prometheus compat: an alert's value is strconv.FormatFloat(v, 'e', -1, 64).
std::string GoFloatE(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  return std::string(buf, r.ptr);
}

double Seconds(absl::Duration d) { return absl::ToDoubleSeconds(d); }

void AppendAlert(const rules::Alert& a, JsonBuilder* j) {
  j->Raw("{\"labels\":").LabelsObject(a.labels);
  j->Raw(",\"annotations\":").LabelsObject(a.annotations);
  j->Raw(",\"state\":").String(rules::AlertStateString(a.state));
  j->Raw(",\"activeAt\":").String(GoTime(a.active_at));
  j->Raw(",\"value\":").String(GoFloatE(a.value));
  j->Raw("}");
}

void AppendStatus(const rules::RuleStatus& st, JsonBuilder* j) {
  j->Raw(",\"health\":").String(rules::RuleHealthString(st.health));
  if (!st.last_error.empty()) j->Raw(",\"lastError\":").String(st.last_error);
  j->Raw(",\"evaluationTime\":").Double(Seconds(st.evaluation_time));
  j->Raw(",\"lastEvaluation\":").String(GoTime(st.last_evaluation));
}

void AppendAlertingRule(const rules::AlertingRule& r, JsonBuilder* j) {
  const rules::RuleStatus st = r.status();
  j->Raw("{\"state\":").String(rules::AlertStateString(r.State()));
  j->Raw(",\"name\":").String(r.name());
  j->Raw(",\"query\":").String(r.query());
  j->Raw(",\"duration\":").Double(Seconds(r.hold_duration()));
  j->Raw(",\"keepFiringFor\":").Double(Seconds(r.keep_firing_for()));
  j->Raw(",\"labels\":").LabelsObject(r.labels());
  j->Raw(",\"annotations\":").LabelsObject(r.annotations());
  j->Raw(",\"alerts\":[");
  bool first = true;
  for (const rules::Alert& a : r.ActiveAlerts()) {
    if (!first) j->Raw(",");
    first = false;
    AppendAlert(a, j);
  }
  j->Raw("]");
  AppendStatus(st, j);
  j->Raw(",\"type\":\"alerting\"}");
}

void AppendRecordingRule(const rules::Rule& r, JsonBuilder* j) {
  j->Raw("{\"name\":").String(r.name());
  j->Raw(",\"query\":").String(r.query());
  if (!r.labels().empty()) j->Raw(",\"labels\":").LabelsObject(r.labels());
  AppendStatus(r.status(), j);
  j->Raw(",\"type\":\"recording\"}");
}

}  // namespace

void HttpApi::Rules(const HttpRequest& req, HttpResponse* resp) {
  RequestParams p(req);
  const std::string type = absl::AsciiStrToLower(p.GetOr("type"));
  if (!type.empty() && type != "alert" && type != "record") {
    // Prometheus compat: the lower-cased value is quoted in the message.
    return Error(resp, ErrorType::kBadData,
                 absl::StrCat("invalid parameter \"type\": not supported value ",
                              storage::GoQuote(type)));
  }
  const bool want_alerts = type.empty() || type == "alert";
  const bool want_records = type.empty() || type == "record";
  rules::RuleManager* mgr = hooks_.rules ? hooks_.rules() : nullptr;
  JsonBuilder j;
  j.Raw("{\"groups\":[");
  if (mgr != nullptr) {
    bool first_group = true;
    for (const std::shared_ptr<rules::RuleGroup>& g : mgr->Groups()) {
      if (!first_group) j.Raw(",");
      first_group = false;
      j.Raw("{\"name\":").String(g->name());
      j.Raw(",\"file\":").String(g->file());
      j.Raw(",\"rules\":[");
      bool first = true;
      for (const std::unique_ptr<rules::Rule>& r : g->rules()) {
        if (r->is_alerting() ? !want_alerts : !want_records) continue;
        if (!first) j.Raw(",");
        first = false;
        if (r->is_alerting()) {
          AppendAlertingRule(static_cast<const rules::AlertingRule&>(*r), &j);
        } else {
          AppendRecordingRule(*r, &j);
        }
      }
      j.Raw("],\"interval\":").Double(Seconds(g->interval()));
      j.Raw(",\"limit\":").Int(g->limit());
      j.Raw(",\"evaluationTime\":").Double(Seconds(g->evaluation_time()));
      j.Raw(",\"lastEvaluation\":").String(GoTime(g->last_evaluation()));
      j.Raw("}");
    }
  }
  j.Raw("]}");
  Success(resp, j.str());
}

void HttpApi::Alerts(const HttpRequest&, HttpResponse* resp) {
  rules::RuleManager* mgr = hooks_.rules ? hooks_.rules() : nullptr;
  JsonBuilder j;
  j.Raw("{\"alerts\":[");
  if (mgr != nullptr) {
    bool first = true;
    for (const std::shared_ptr<rules::RuleGroup>& g : mgr->Groups()) {
      for (const std::unique_ptr<rules::Rule>& r : g->rules()) {
        if (!r->is_alerting()) continue;
        for (const rules::Alert& a : static_cast<const rules::AlertingRule&>(*r).ActiveAlerts()) {
          if (!first) j.Raw(",");
          first = false;
          AppendAlert(a, &j);
        }
      }
    }
  }
  j.Raw("]}");
  Success(resp, j.str());
}

}  // namespace tally::server::api
