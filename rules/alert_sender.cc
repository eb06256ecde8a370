#include "rules/alert_sender.h"

#include "absl/strings/str_cat.h"
#include "rules/client/http_url.h"

namespace tally::rules {

NotifierAlert ToNotifierAlert(const Alert& a, const std::string& expr,
                              const std::string& external_url) {
  NotifierAlert n;
  n.labels = a.labels;
  n.annotations = a.annotations;
  n.starts_at = a.fired_at;
  n.ends_at = IsZeroTime(a.resolved_at) ? a.valid_until : a.resolved_at;
  // Prometheus compat: strutil.TableLinkForExpression.
  n.generator_url =
      absl::StrCat(external_url, "/graph?g0.expr=", UrlQueryEscape(expr), "&g0.tab=1");
  return n;
}

NotifyFunc NotifierSink(Notifier* notifier, std::string external_url) {
  return [notifier, url = std::move(external_url)](const std::string& expr,
                                                    const std::vector<Alert>& alerts) {
    std::vector<NotifierAlert> out;
    out.reserve(alerts.size());
    for (const Alert& a : alerts) out.push_back(ToNotifierAlert(a, expr, url));
    notifier->Send(std::move(out));
  };
}

}  // namespace tally::rules
