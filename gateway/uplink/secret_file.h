#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace edgegw {

/// A credential or certificate file that cannot be used: missing, unreadable, not a regular
/// file, or (for secrets) readable by group or others. what() names the file and the fix.
class SecretFileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Throws SecretFileError unless `path` is a readable regular file whose mode grants nothing to
/// group or others (0600, 0400). `what` names the setting in messages ("uplink.tls.key_file").
void check_secret_file(const std::string& path, std::string_view what);

/// check_secret_file(), then the whole contents with trailing white space removed.
std::string read_secret_file(const std::string& path, std::string_view what);

/// Throws SecretFileError unless `path` is a readable regular file (certificates, CA bundles).
void check_readable_file(const std::string& path, std::string_view what);

}  // namespace edgegw
