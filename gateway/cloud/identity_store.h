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
  /// "x509": device.pem for device.key; "sas": device.sas, a symmetric key (Azure DPS).
  std::string credential = "x509";
  /// What provisioning used ("template edgegw-fleet", "DPS id scope ..., registration ...");
  /// empty for a certificate installed by hand.
  std::string provisioned_with{};

  friend bool operator==(const DeviceIdentity&, const DeviceIdentity&) = default;
};

/// A certificate the cloud issued but has not registered yet (AWS fleet provisioning between
/// CreateCertificateFromCsr and RegisterThing), kept so that a run stopped in between resumes.
struct PendingCertificate {
  std::string certificate_id;
  std::string certificate_pem;
  std::string ownership_token;  ///< AWS lets it be used for one hour
  std::string template_name;
  std::int64_t issued_at_ms = 0;  ///< wall clock

  friend bool operator==(const PendingCertificate&, const PendingCertificate&) = default;
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
///
/// A renewed certificate comes with a new key: device.next.key and device.next.pem stay beside
/// the pair in use until the new pair has connected, and commit_next() then moves them over it
/// behind a marker (renewal.commit), so a crash in the middle is finished by the next load():
/// the store never holds a certificate for another key than device.key.
class IdentityStore {
 public:
  explicit IdentityStore(std::filesystem::path dir);

  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path key_file() const { return dir_ / "device.key"; }
  std::filesystem::path csr_file() const { return dir_ / "device.csr"; }
  std::filesystem::path certificate_file() const { return dir_ / "device.pem"; }
  std::filesystem::path identity_file() const { return dir_ / "identity.json"; }
  std::filesystem::path pending_file() const { return dir_ / "provisioning.json"; }
  std::filesystem::path symmetric_key_file() const { return dir_ / "device.sas"; }
  std::filesystem::path next_key_file() const { return dir_ / "device.next.key"; }
  std::filesystem::path next_certificate_file() const { return dir_ / "device.next.pem"; }
  std::filesystem::path commit_marker_file() const { return dir_ / "renewal.commit"; }

  /// Makes the device key unless one is there; true if it made one. Throws IdentityError for
  /// a key file that group or others may read.
  bool ensure_key(KeyType type) const;
  /// A CSR for `common_name`, signed with the device key (which must exist), also written to
  /// csr_file(). Returns the PEM.
  std::string write_csr(const std::string& common_name) const;

  /// Makes a new key for a renewal (device.next.key, 0600; any earlier one is replaced) and
  /// returns a CSR for `common_name` signed with it.
  std::string make_next_key(KeyType type, const std::string& common_name) const;
  /// Stores the renewed certificate (device.next.pem). Throws IdentityError when it is not for
  /// device.next.key.
  void save_next_certificate(const std::string& certificate_pem) const;
  /// The renewed pair becomes the device's key and certificate (see the class comment).
  void commit_next() const;
  /// Forgets a renewed pair that will not be used.
  void discard_next() const;

  /// The issued identity, or nullopt while none is stored. Throws IdentityError for one that
  /// cannot be used.
  std::optional<DeviceIdentity> load() const;
  /// Finishes a commit_next() a crash interrupted. load() does it first.
  void finish_commit() const;
  /// Stores the certificate, then `identity`.
  void save(const DeviceIdentity& identity, const std::string& certificate_pem) const;
  /// Stores the device's symmetric key (base64, 0600), then `identity` (credential "sas").
  void save_symmetric(DeviceIdentity identity, const std::string& base64_key) const;
  /// Stores only the symmetric key, for a registration that is to use it.
  void save_symmetric_key(const std::string& base64_key) const;
  /// Stores a certificate issued for the device key outside provisioning by claim (your CA
  /// signed its CSR; AWS JITP registers it at the first connection) as the identity of
  /// `thing_name`, or else of the certificate's CN. Throws IdentityError when it is not a
  /// certificate for the device key.
  DeviceIdentity install_certificate(const std::string& certificate_pem, std::string thing_name,
                                     std::string provisioned_by, std::int64_t now_ms) const;
  /// Replaces the device key with one the cloud made (AWS CreateKeysAndCertificate).
  void save_key(const std::string& private_key_pem) const;

  /// The certificate of a provisioning that stopped half way, or nullopt: none, or a file
  /// that cannot be read, so provisioning starts over.
  std::optional<PendingCertificate> load_pending() const;
  void save_pending(const PendingCertificate& pending) const;  ///< 0600: the token is a secret
  void clear_pending() const;

 private:
  void make_dir() const;
  /// The device key, checked like every secret file (check_secret_file).
  std::string device_key_pem() const;
  void write_identity(const DeviceIdentity& identity) const;
  std::filesystem::path dir_;
};

}  // namespace edgegw::cloud
