#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace edgegw {

/// An Ed25519 public key that checks the signatures of what the cloud sends to be run (config
/// documents, releases). Ed25519 signs the message itself, not a digest of it: the signature
/// of a file is what `openssl pkeyutl -sign -rawin -inkey key.pem -in file` writes.
class SignatureKey {
 public:
  /// Reads a PEM public key. Throws std::runtime_error when the file cannot be read or holds
  /// anything but an Ed25519 public key.
  static SignatureKey load(const std::string& pem_file);
  static SignatureKey parse(std::string_view pem, const std::string& origin);

  /// Whether `signature` (64 raw bytes) signs `message` under this key.
  bool verifies(std::string_view message, std::string_view signature) const;

 private:
  struct Key;
  explicit SignatureKey(std::shared_ptr<const Key> key) : key_(std::move(key)) {}
  std::shared_ptr<const Key> key_;
};

}  // namespace edgegw
