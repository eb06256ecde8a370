#include "tests/testutil/test_certs.h"

#include <crypt.h>

#include <fstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/testutil/external_process.h"

namespace tally::testutil {

absl::Status MakeTestCertificates(const std::string& dir) {
  if (!HaveBinary(kOpensslBinary)) {
    return absl::FailedPreconditionError(absl::StrCat("needs ", kOpensslBinary));
  }
  auto d = [&](const std::string& f) { return absl::StrCat(dir, "/", f); };
  auto run = [&](std::vector<std::string> args) -> absl::Status {
    RunResult r = RunToCompletion(kOpensslBinary, args, d("openssl"), "/dev/null",
                                  absl::Seconds(60));
    if (r.exit_code != 0) return absl::InternalError(absl::StrCat("openssl: ", r.err));
    return absl::OkStatus();
  };
  absl::Status s = run({"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", d("ca.key"),
                        "-out", d("ca.pem"), "-days", "2", "-subj", "/CN=tally test CA"});
  std::ofstream(d("ext.cnf")) << "subjectAltName=IP:127.0.0.1,DNS:localhost\n";
  for (const std::string who : {"server", "client"}) {
    if (s.ok()) {
      s = run({"req", "-newkey", "rsa:2048", "-nodes", "-keyout", d(who + ".key"), "-out",
               d(who + ".csr"), "-subj", "/CN=" + who});
    }
    if (s.ok()) {
      s = run({"x509", "-req", "-in", d(who + ".csr"), "-CA", d("ca.pem"), "-CAkey", d("ca.key"),
               "-CAcreateserial", "-out", d(who + ".pem"), "-days", "2", "-extfile",
               d("ext.cnf")});
    }
  }
  if (s.ok()) {
    s = run({"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", d("rogue.key"), "-out",
             d("rogue.pem"), "-days", "2", "-subj", "/CN=rogue"});
  }
  return s;
}

std::string BcryptForTest(const std::string& password, int cost) {
  char setting[CRYPT_GENSALT_OUTPUT_SIZE];
  if (crypt_gensalt_rn("$2y$", cost, nullptr, 0, setting, sizeof(setting)) == nullptr) return "";
  crypt_data d{};
  const char* h = crypt_rn(password.c_str(), setting, &d, sizeof(d));
  return h == nullptr ? "" : h;
}

}  // namespace tally::testutil
