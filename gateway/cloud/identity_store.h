#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>

#include "gateway/cloud/device_key.h"

namespace edgegw::cloud {

/// What the cloud issued the device: kept in identity.json beside its certificate.
struct DeviceIdentity {
  std::string thing_name;      ///< the AWS thing or Azure device id: the gateway's id in the fleet
  std::string endpoint;        ///< the host it was issued for (DPS: the assigned hub); may be empty
  std::string provisioned_by;  ///< how: "claim", "jitp", "dps", "manual"
  std::int64_t provisioned_at_ms = 0;

  friend bool operator==(const DeviceIdentity&, const DeviceIdentity&) = default;
};

/// A stored identity that cannot be read (corrupt JSON, a missing field, a key others may read).
class IdentityError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The device's identity on disk, in one directory (0700): device.key (0600, made here, never
/// leaves the box), device.csr, device.pem (the issued certificate) and identity.json. Every
/// file is replaced atomically (write_file_durably). The certificate is stored before the
/// identity that names it, so a crash in between leaves no identity: provisioning starts
/// over, with the same key.
class IdentityStore {
 public:
  explicit IdentityStore(std::filesystem::path dir);

  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path key_file() const { return dir_ / "device.key"; }
  std::filesystem::path csr_file() const { return dir_ / "device.csr"; }
  std::filesystem::path certificate_file() const { return dir_ / "device.pem"; }
  std::filesystem::path identity_file() const { return dir_ / "identity.json"; }

  /// Makes the device key unless one is there; true if it made one. Throws IdentityError for
  /// a key file that group or others may read.
  bool ensure_key(KeyType type) const;
  /// A CSR for `common_name`, signed with the device key (which must exist), also written to
  /// csr_file(). Returns the PEM.
  std::string write_csr(const std::string& common_name) const;

  /// The issued identity, or nullopt while none is stored. Throws IdentityError for one that
  /// cannot be used.
  std::optional<DeviceIdentity> load() const;
  /// Stores the certificate, then `identity`.
  void save(const DeviceIdentity& identity, const std::string& certificate_pem) const;

 private:
  void make_dir() const;
  /// The device key, checked like every secret file (check_secret_file).
  std::string device_key_pem() const;
  std::filesystem::path dir_;
};

}  // namespace edgegw::cloud
