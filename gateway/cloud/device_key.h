#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace edgegw::cloud {

/// The device key's algorithm. Both clouds accept either in a CSR; P-256 is smaller and faster
/// to sign with on a Pi.
enum class KeyType { ec_p256, rsa_2048 };
std::optional<KeyType> parse_key_type(std::string_view name);  ///< "ec-p256" | "rsa-2048"

/// A new private key of `type`, as PEM (PKCS#8). Throws std::runtime_error if OpenSSL fails.
std::string generate_private_key(KeyType type);

/// A PKCS#10 certificate signing request for `common_name`, signed with the key in
/// `private_key_pem` (SHA-256), as PEM. Throws std::runtime_error on a key OpenSSL cannot read.
std::string make_csr(const std::string& private_key_pem, const std::string& common_name);
/// The DER bytes of the CSR in `csr_pem` (what Azure DPS takes, in base64). Throws
/// std::runtime_error when it is not a PEM CSR.
std::string csr_der(const std::string& csr_pem);
/// The X.509 certificate in `der` as PEM (Azure DPS issues certificates in DER). Throws
/// std::runtime_error when the bytes are not a certificate.
std::string certificate_pem_from_der(std::string_view der);

/// What the gateway needs to know of an X.509 certificate.
struct CertificateInfo {
  std::string common_name;
  std::int64_t not_before_ms = 0;  ///< Unix time
  std::int64_t not_after_ms = 0;
};
/// The first certificate in `certificate_pem`. Throws std::runtime_error when there is none.
CertificateInfo read_certificate(const std::string& certificate_pem);
/// Whether the certificate is for the key in `private_key_pem` (carries its public half).
/// Throws std::runtime_error when either cannot be read.
bool certificate_matches_key(const std::string& certificate_pem,
                             const std::string& private_key_pem);

}  // namespace edgegw::cloud
