#include "server/http/basic_auth.h"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cstring>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"

namespace tally::server::http {
namespace {

std::string Sha256(absl::string_view a, absl::string_view b, absl::string_view c) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  // Length-prefixed so ("ab","c") and ("a","bc") differ.
  for (absl::string_view part : {a, b, c}) {
    const uint64_t len = part.size();
    EVP_DigestUpdate(ctx.get(), &len, sizeof(len));
    EVP_DigestUpdate(ctx.get(), part.data(), part.size());
  }
  EVP_DigestFinal_ex(ctx.get(), md, &n);
  return std::string(reinterpret_cast<const char*>(md), n);
}

}  // namespace

bool BasicAuthenticator::ParseBasic(absl::string_view h, std::string* user, std::string* pass) {
  constexpr absl::string_view kPrefix = "Basic ";
  if (h.size() < kPrefix.size() || !absl::EqualsIgnoreCase(h.substr(0, kPrefix.size()), kPrefix)) {
    return false;
  }
  std::string decoded;
  // Go uses base64.StdEncoding (padded); absl's decoder also takes unpadded input, which
  // only widens what is accepted as well-formed, not what authenticates.
  if (!absl::Base64Unescape(h.substr(kPrefix.size()), &decoded)) return false;
  size_t colon = decoded.find(':');
  if (colon == std::string::npos) return false;
  *user = decoded.substr(0, colon);
  *pass = decoded.substr(colon + 1);
  OPENSSL_cleanse(decoded.data(), decoded.size());
  return true;
}

bool BasicAuthenticator::BcryptMatches(const std::string& password, const std::string& hash) {
  auto data = std::make_unique<crypt_data>();
  std::memset(data.get(), 0, sizeof(crypt_data));
  const char* out = crypt_rn(password.c_str(), hash.c_str(), data.get(), sizeof(crypt_data));
  bool ok = false;
  if (out != nullptr && out[0] != '*') {  // "*..." is libxcrypt's failure token
    const size_t n = std::strlen(out);
    ok = n == hash.size() && CRYPTO_memcmp(out, hash.data(), n) == 0;
  }
  OPENSSL_cleanse(data.get(), sizeof(crypt_data));
  return ok;
}

bool BasicAuthenticator::Check(absl::string_view authorization,
                               const std::map<std::string, std::string>& users) {
  std::string user, pass;
  if (!ParseBasic(authorization, &user, &pass)) return false;
  auto it = users.find(user);
  const bool valid_user = it != users.end();
  std::string hash;
  if (valid_user) {
    hash = it->second;
  } else {
    std::lock_guard<std::mutex> l(bcrypt_mu_);
    if (dummy_hash_.empty()) {
      // A hash of a random password at the common cost 10: checking against it takes as
      // long as a real check and never succeeds for a client.
      char setting[CRYPT_GENSALT_OUTPUT_SIZE];
      if (crypt_gensalt_rn("$2b$", 10, nullptr, 0, setting, sizeof(setting)) != nullptr) {
        crypt_data data{};
        const char* h = crypt_rn("tally unknown user", setting, &data, sizeof(data));
        if (h != nullptr && h[0] != '*') dummy_hash_ = h;
      }
    }
    hash = dummy_hash_;
  }
  const std::string key = Sha256(user, hash, pass);
  bool ok = false;
  bool cached = false;
  {
    std::lock_guard<std::mutex> l(cache_mu_);
    auto c = cache_.find(key);
    if (c != cache_.end()) {
      ok = c->second;
      cached = true;
    }
  }
  if (!cached) {
    {
      std::lock_guard<std::mutex> l(bcrypt_mu_);
      // Always run bcrypt (also for an unknown user) so the time taken does not tell.
      const bool match = !hash.empty() && BcryptMatches(pass, hash);
      ok = valid_user && match;
    }
    std::lock_guard<std::mutex> l(cache_mu_);
    if (cache_.size() >= kCacheSize) cache_.erase(cache_.begin());  // arbitrary victim
    cache_[key] = ok;
  }
  OPENSSL_cleanse(pass.data(), pass.size());
  return ok && valid_user;
}

size_t BasicAuthenticator::cache_size_for_test() {
  std::lock_guard<std::mutex> l(cache_mu_);
  return cache_.size();
}

}  // namespace tally::server::http
