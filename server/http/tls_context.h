// MakeServerSslContext: a Boost.Asio (OpenSSL) server context from the web config's
// tls_server_config. It reads the certificate, key and client CA files now; a context is
// immutable once built, so the caller builds a new one when the files change (see
// web_config_source.h) and keeps the old one alive for connections that use it.
//
// Errors as exporter-toolkit's ConfigToTLSConfig words them in Prometheus 2.42, in its order:
// "TLS config is not present" (NotFound: TLS not configured), "missing cert_file",
// "missing key_file", "failed to load X509KeyPair: ...", "Invalid ClientAuth: X",
// "Client CA's have been configured without a Client Auth Policy", "unknown cipher: X".
// Messages name files, never their contents.
#pragma once

#include <memory>

#include <boost/asio/ssl/context.hpp>

#include "absl/status/statusor.h"
#include "server/http/web_config.h"

namespace tally::server::http {

absl::StatusOr<std::shared_ptr<boost::asio::ssl::context>> MakeServerSslContext(
    const TlsServerConfig& cfg);

}  // namespace tally::server::http
