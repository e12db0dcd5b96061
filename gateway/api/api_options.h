#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "gateway/model/option_table.h"

namespace edgegw {

/// [api.tls]: HTTPS for the local API. Present means the API speaks HTTPS only.
struct ApiTlsOptions {
  std::string cert_file;       ///< the server's certificate chain (PEM)
  std::string key_file;        ///< its private key (PEM); file mode 0600
  std::string client_ca_file;  ///< non-empty: clients must present a certificate it signed
};

/// [api]: the local REST API, metrics and diagnostics page.
struct ApiOptions {
  std::string listen = "127.0.0.1:8080";
  std::string token_file;  ///< bearer token for mutating endpoints; file mode 0600
  bool require_auth_for_reads = false;
  std::int64_t max_body_bytes = 1024 * 1024;
  std::int64_t max_connections = 64;
  std::int64_t read_timeout_s = 30;
  std::optional<ApiTlsOptions> tls;  ///< set when [api.tls] is present
};

/// The keys of each section, their types, limits and descriptions: the parser checks the
/// file against them and `edgegw config-reference` prints them.
const OptionTable<ApiOptions>& api_option_table();
const OptionTable<ApiTlsOptions>& api_tls_option_table();

}  // namespace edgegw
