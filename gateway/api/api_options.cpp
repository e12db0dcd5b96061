#include "gateway/api/api_options.h"

namespace edgegw {

const OptionTable<ApiOptions>& api_option_table() {
  static const OptionTable<ApiOptions> table = {
      {.key = "listen",
       .member = &ApiOptions::listen,
       .description = "Address and port of the local HTTP API, e.g. 127.0.0.1:8080 or [::1]:8080 "
                      "(IP addresses only; port 0 picks a free one)."},
      {.key = "token_file",
       .member = &ApiOptions::token_file,
       .description = "File holding the bearer token that mutating endpoints require "
                      "(Authorization: Bearer <token>); refused if group or others can read it. "
                      "Empty: mutating endpoints are refused (403)."},
      {.key = "require_auth_for_reads",
       .member = &ApiOptions::require_auth_for_reads,
       .description = "Require the token for every endpoint, reads included."},
      {.key = "max_body_bytes",
       .member = &ApiOptions::max_body_bytes,
       .description = "Largest request body; larger ones are answered 413.",
       .min = 1024,
       .max = 64 * 1024 * 1024},
      {.key = "max_connections",
       .member = &ApiOptions::max_connections,
       .description = "Concurrent connections; more are answered 503 and closed.",
       .min = 1,
       .max = 10000},
      {.key = "read_timeout_s",
       .member = &ApiOptions::read_timeout_s,
       .description = "A request must arrive whole within this long; idle keep-alive "
                      "connections are closed after it.",
       .min = 1,
       .max = 3600},
  };
  return table;
}

const OptionTable<ApiTlsOptions>& api_tls_option_table() {
  static const OptionTable<ApiTlsOptions> table = {
      {.key = "cert_file",
       .member = &ApiTlsOptions::cert_file,
       .description = "The API's certificate chain (PEM), server certificate first.",
       .required = true},
      {.key = "key_file",
       .member = &ApiTlsOptions::key_file,
       .description = "Its private key (PEM); refused if group or others can read it.",
       .required = true},
      {.key = "client_ca_file",
       .member = &ApiTlsOptions::client_ca_file,
       .description = "If set, every client must present a certificate signed by this CA "
                      "(PEM); others fail the handshake."},
  };
  return table;
}

}  // namespace edgegw
