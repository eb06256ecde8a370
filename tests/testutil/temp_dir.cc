#include "tests/testutil/temp_dir.h"

#include <stdlib.h>

#include <filesystem>

#include "absl/strings/match.h"
#include <tuple>

#include "gtest/gtest.h"

namespace tally::testutil {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base != nullptr ? base : "/tmp") + "/tally-test-XXXXXX";
  char* p = ::mkdtemp(tmpl.data());
  if (p == nullptr) std::abort();
  path_ = p;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

storage::DBOptions TestOptions(const std::string& dir) {
  storage::DBOptions o;
  o.path = dir;
  o.retention_check_interval_ms = 0;
  return o;
}

storage::Matchers MakeMatchers(const std::vector<MatcherSpec>& specs) {
  storage::Matchers out;
  for (const auto& [op, name, value] : specs) {
    const std::string& o = op;
    storage::MatchType t = o == "="    ? storage::MatchType::kEqual
                           : o == "!=" ? storage::MatchType::kNotEqual
                           : o == "=~" ? storage::MatchType::kRegexMatch
                                       : storage::MatchType::kRegexNoMatch;
    auto m = storage::Matcher::Make(t, name, value);
    if (!m.ok()) {
      ADD_FAILURE() << m.status();
      continue;
    }
    out.push_back(*m);
  }
  return out;
}

std::vector<std::pair<std::string, std::vector<storage::Sample>>> QueryAll(
    storage::DB* db, const storage::Matchers& matchers, int64_t mint, int64_t maxt) {
  std::vector<std::pair<std::string, std::vector<storage::Sample>>> out;
  auto q = db->NewQuerier(mint, maxt);
  auto set = q->Select(matchers);
  if (!set.ok()) {
    ADD_FAILURE() << set.status();
    return out;
  }
  for (const auto& s : *set) {
    std::vector<storage::Sample> samples;
    absl::Status st = s->Samples(mint, maxt, &samples);
    if (!st.ok()) ADD_FAILURE() << st;
    out.emplace_back(s->labels().ToString(), std::move(samples));
  }
  return out;
}

int64_t DirBytes(const std::string& path) {
  int64_t n = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::recursive_directory_iterator(path, ec)) {
    std::error_code ec2;
    if (e.is_regular_file(ec2)) n += static_cast<int64_t>(e.file_size(ec2));
  }
  return n;
}

int64_t StoreDataBytes(const std::string& path) {
  int64_t n = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(path, ec)) {
    std::error_code ec2;
    const std::string name = e.path().filename().string();
    const bool data = absl::EndsWith(name, ".sst") || absl::EndsWith(name, ".log") ||
                      absl::StartsWith(name, "MANIFEST-");
    if (data && e.is_regular_file(ec2)) n += static_cast<int64_t>(e.file_size(ec2));
  }
  return n;
}

}  // namespace tally::testutil
