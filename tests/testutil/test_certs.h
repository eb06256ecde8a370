// Test certificates made with the openssl CLI: a CA (ca.pem/ca.key), a server and a client
// certificate signed by it for 127.0.0.1 and localhost (server.pem/.key,
// client.pem/.key), and a self-signed "rogue" certificate from no trusted CA
// (rogue.pem/.key), all written into `dir`; and bcrypt hashes for basic_auth_users. For
// tests of TLS servers and clients.
#pragma once

#include <string>

#include "absl/status/status.h"

namespace tally::testutil {

inline constexpr char kOpensslBinary[] = "/usr/bin/openssl";

// FailedPrecondition when /usr/bin/openssl is missing (tests then skip), Internal when
// a command fails. Takes ~1 s (four RSA-2048 keys).
absl::Status MakeTestCertificates(const std::string& dir);

// A bcrypt hash ($2y$, cost 5: fast) of `password`, for a web config's basic_auth_users.
std::string BcryptForTest(const std::string& password, int cost = 5);

}  // namespace tally::testutil
