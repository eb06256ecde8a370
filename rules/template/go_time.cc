#include "rules/template/go_time.h"

#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace tally::rules::tmpl {

std::string FormatGoTimeUtc(int64_t unix_ms) {
  const absl::Time t = absl::FromUnixMillis(unix_ms);
  const absl::CivilSecond cs = absl::ToCivilSecond(t, absl::UTCTimeZone());
  int64_t ms = unix_ms % 1000;
  if (ms < 0) ms += 1000;
  std::string out;
  const int64_t year = cs.year();
  // Go's time format pads the year to four digits and keeps a '-' for years before 0.
  if (year < 0) {
    out = absl::StrFormat("-%04d", -year);
  } else {
    out = absl::StrFormat("%04d", year);
  }
  absl::StrAppendFormat(&out, "-%02d-%02d %02d:%02d:%02d", cs.month(), cs.day(), cs.hour(),
                        cs.minute(), cs.second());
  if (ms != 0) {
    std::string frac = absl::StrFormat("%03d", ms);
    while (!frac.empty() && frac.back() == '0') frac.pop_back();
    out += "." + frac;
  }
  out += " +0000 UTC";
  return out;
}

absl::StatusOr<Value> TimeMethod(int64_t ms, absl::string_view name) {
  const int64_t sec = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
  const int64_t milli = ms - sec * 1000;
  if (name == "Unix") return Value::Int(sec);
  if (name == "UnixMilli") return Value::Int(ms);
  if (name == "UnixMicro") return Value::Int(ms * 1000);
  if (name == "UnixNano") return Value::Int(ms * 1000000);
  if (name == "Nanosecond") return Value::Int(milli * 1000000);
  if (name == "String") return Value::String(FormatGoTimeUtc(ms));
  if (name == "UTC") {
    Value t;
    t.kind = Kind::kTime;
    t.i = ms;
    return t;
  }
  const absl::CivilSecond cs = absl::ToCivilSecond(absl::FromUnixMillis(ms), absl::UTCTimeZone());
  if (name == "Year") return Value::Int(cs.year());
  if (name == "Day") return Value::Int(cs.day());
  if (name == "Hour") return Value::Int(cs.hour());
  if (name == "Minute") return Value::Int(cs.minute());
  if (name == "Second") return Value::Int(cs.second());
  if (name == "YearDay") return Value::Int(absl::GetYearDay(absl::CivilDay(cs)));
  return absl::NotFoundError(name);
}

}  // namespace tally::rules::tmpl
