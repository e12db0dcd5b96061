#pragma once

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

}  // namespace edgegw::cloud
