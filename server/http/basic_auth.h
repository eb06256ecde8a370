// BasicAuthenticator: checks an Authorization header against the web config's
// basic_auth_users (bcrypt hashes), as exporter-toolkit does for Prometheus 2.42:
//   - an unknown user is checked against a dummy hash, so timing does not reveal which users
//     exist;
//   - bcrypt (libxcrypt's crypt_rn, deliberately slow) runs one at a time, and each outcome
//     is cached (at most 100 entries, an arbitrary one evicted when full) so a client that
//     sends its credentials with every request pays the cost once. The cache key is a
//     SHA-256 of user, hash and password: no password is kept in memory, and a changed hash
//     in the config file misses the cache.
//   - the computed hash is compared with the configured one in constant time.
// Nothing here logs. Thread-safe.
#pragma once

#include <cstddef>
#include <map>
#include <mutex>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"

namespace tally::server::http {

class BasicAuthenticator {
 public:
  static constexpr size_t kCacheSize = 100;

  // True when `authorization` ("Basic <base64 user:pass>", scheme case-insensitive) names a
  // user of `users` with the right password.
  bool Check(absl::string_view authorization, const std::map<std::string, std::string>& users);

  // Go's http.Request.BasicAuth: false unless the header is well-formed.
  static bool ParseBasic(absl::string_view authorization, std::string* user, std::string* pass);
  // bcrypt verification: true when crypt(password, hash) == hash (constant-time compare).
  static bool BcryptMatches(const std::string& password, const std::string& hash);

  size_t cache_size_for_test();

 private:
  std::mutex bcrypt_mu_;  // one bcrypt at a time (CPU-bound; as exporter-toolkit)
  std::mutex cache_mu_;
  absl::flat_hash_map<std::string, bool> cache_;  // guarded by cache_mu_
  std::string dummy_hash_;                        // guarded by bcrypt_mu_; made on first use
};

}  // namespace tally::server::http
