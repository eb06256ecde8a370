#include "rules/template/go_time.h"

#include <algorithm>

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

namespace {

constexpr const char* kMonths[] = {"January",   "February", "March",    "April",
                                   "May",       "June",     "July",     "August",
                                   "September", "October",  "November", "December"};
constexpr const char* kDays[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                 "Thursday", "Friday", "Saturday"};

// Go's time.Format for a UTC instant, with the layout elements of the time package
// (std0x etc.); anything else is copied.
std::string FormatLayout(int64_t ms, absl::string_view layout) {
  const absl::CivilSecond cs = absl::ToCivilSecond(absl::FromUnixMillis(ms), absl::UTCTimeZone());
  int64_t milli = ms % 1000;
  if (milli < 0) milli += 1000;
  const int64_t nanos = milli * 1000000;
  const int hour = cs.hour();
  const int weekday = static_cast<int>(absl::GetWeekday(absl::CivilDay(cs)));  // Monday = 0
  const int go_weekday = (weekday + 1) % 7;                                    // Sunday = 0
  std::string out;
  auto starts = [&](size_t i, absl::string_view tok) {
    return layout.substr(i, tok.size()) == tok;
  };
  for (size_t i = 0; i < layout.size();) {
    struct Tok {
      absl::string_view text;
      std::string value;
    };
    const Tok toks[] = {
        {"January", kMonths[cs.month() - 1]},
        {"Jan", std::string(kMonths[cs.month() - 1]).substr(0, 3)},
        {"Monday", kDays[go_weekday]},
        {"Mon", std::string(kDays[go_weekday]).substr(0, 3)},
        {"MST", "UTC"},
        {"2006", absl::StrFormat("%04d", cs.year())},
        {"-07:00:00", "+00:00:00"},
        {"-0700", "+0000"},
        {"-07:00", "+00:00"},
        {"-07", "+00"},
        {"Z07:00:00", "Z"},
        {"Z0700", "Z"},
        {"Z07:00", "Z"},
        {"Z07", "Z"},
        {"002", absl::StrFormat("%03d", absl::GetYearDay(absl::CivilDay(cs)))},
        {"01", absl::StrFormat("%02d", cs.month())},
        {"02", absl::StrFormat("%02d", cs.day())},
        {"03", absl::StrFormat("%02d", hour % 12 == 0 ? 12 : hour % 12)},
        {"04", absl::StrFormat("%02d", cs.minute())},
        {"05", absl::StrFormat("%02d", cs.second())},
        {"06", absl::StrFormat("%02d", cs.year() % 100)},
        {"_2", absl::StrFormat("%2d", cs.day())},
        {"15", absl::StrFormat("%d", hour)},
        {"PM", hour >= 12 ? "PM" : "AM"},
        {"pm", hour >= 12 ? "pm" : "am"},
        {"1", absl::StrFormat("%d", cs.month())},
        {"2", absl::StrFormat("%d", cs.day())},
        {"3", absl::StrFormat("%d", hour % 12 == 0 ? 12 : hour % 12)},
        {"4", absl::StrFormat("%d", cs.minute())},
        {"5", absl::StrFormat("%d", cs.second())},
    };
    // Fractional seconds: ".000" / ",000" (fixed) or ".999" (trailing zeros trimmed),
    // only when not followed by another digit.
    if ((layout[i] == '.' || layout[i] == ',') && i + 1 < layout.size() &&
        (layout[i + 1] == '0' || layout[i + 1] == '9')) {
      const char d = layout[i + 1];
      size_t j = i + 1;
      while (j < layout.size() && layout[j] == d) ++j;
      if (j >= layout.size() || layout[j] < '0' || layout[j] > '9') {
        const size_t n = std::min<size_t>(j - i - 1, 9);
        std::string frac = absl::StrFormat("%09d", nanos).substr(0, n);
        if (d == '9') {
          while (!frac.empty() && frac.back() == '0') frac.pop_back();
          if (!frac.empty()) out += layout[i] + frac;
        } else {
          out += layout[i] + frac;
        }
        i = j;
        continue;
      }
    }
    bool matched = false;
    for (const Tok& t : toks) {
      if (starts(i, t.text)) {
        // Go only treats "Jan"/"Mon" as elements when not followed by a lower-case letter.
        const bool word = t.text == "Jan" || t.text == "Mon";
        const size_t after = i + t.text.size();
        if (word && after < layout.size() && layout[after] >= 'a' && layout[after] <= 'z') {
          continue;
        }
        out += t.value;
        i = after;
        matched = true;
        break;
      }
    }
    if (!matched) out += layout[i++];
  }
  return out;
}

}  // namespace

std::string FormatGoLayout(int64_t unix_ms, absl::string_view layout) {
  return FormatLayout(unix_ms, layout);
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
