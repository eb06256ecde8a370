#include "rules/notifier/notifier_metrics.h"

#include <algorithm>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tally::rules {
namespace {

using ::testing::HasSubstr;

TEST(NotifierMetricsTest, RendersPrometheusFamiliesFromStats) {
  NotifierStats s;
  s.sent_total = 7;
  s.errors_total = 2;
  s.dropped_total = 1;
  s.queue_length = 3;
  s.alertmanagers = 2;
  std::string out;
  RenderNotifierMetrics(s, 10000, &out);
  EXPECT_THAT(out, HasSubstr("# TYPE prometheus_notifications_sent_total counter\n"
                             "prometheus_notifications_sent_total 7\n"));
  EXPECT_THAT(out, HasSubstr("prometheus_notifications_errors_total 2\n"));
  EXPECT_THAT(out, HasSubstr("prometheus_notifications_dropped_total 1\n"));
  EXPECT_THAT(out, HasSubstr("# TYPE prometheus_notifications_queue_length gauge\n"
                             "prometheus_notifications_queue_length 3\n"));
  EXPECT_THAT(out, HasSubstr("prometheus_notifications_queue_capacity 10000\n"));
  EXPECT_THAT(out, HasSubstr("prometheus_notifications_alertmanagers_discovered 2\n"));
  // Every sample line follows its own HELP and TYPE lines.
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 18);
}

}  // namespace
}  // namespace tally::rules
