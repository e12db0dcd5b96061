#include "gateway/cloud/identity_store.h"

#include <boost/json.hpp>

#include "gateway/durable_file.h"
#include "gateway/uplink/secret_file.h"

namespace edgegw::cloud {
namespace {

namespace json = boost::json;

/// A file of the store; IdentityError when it cannot be read.
std::string read_file(const std::filesystem::path& path) {
  try {
    return read_text_file(path);
  } catch (const std::runtime_error& error) {
    throw IdentityError(error.what());
  }
}

std::string text_field(const json::object& document, std::string_view key,
                       const std::filesystem::path& path) {
  const auto* value = document.if_contains(key);
  if (!value || !value->is_string()) {
    throw IdentityError(path.string() + ": \"" + std::string(key) + "\" must be a string");
  }
  return std::string(value->as_string());
}

}  // namespace

IdentityStore::IdentityStore(std::filesystem::path dir) : dir_(std::move(dir)) {}

void IdentityStore::make_dir() const {
  std::filesystem::create_directories(dir_);
  std::filesystem::permissions(dir_, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::replace);
}

std::string IdentityStore::device_key_pem() const {
  try {
    return read_secret_file(key_file().string(), "the device key");
  } catch (const SecretFileError& error) {
    throw IdentityError(error.what());
  }
}

bool IdentityStore::ensure_key(KeyType type) const {
  if (std::filesystem::exists(key_file())) {
    device_key_pem();  // a key others may read is refused, not used
    return false;
  }
  make_dir();
  write_file_durably(key_file(), generate_private_key(type), 0600);
  return true;
}

std::string IdentityStore::write_csr(const std::string& common_name) const {
  std::string csr = make_csr(device_key_pem(), common_name);
  make_dir();
  write_file_durably(csr_file(), csr);
  return csr;
}

std::string IdentityStore::make_next_key(KeyType type, const std::string& common_name) const {
  make_dir();
  const std::string key = generate_private_key(type);
  write_file_durably(next_key_file(), key, 0600);
  return make_csr(key, common_name);
}

void IdentityStore::save_next_certificate(const std::string& certificate_pem) const {
  std::string key;
  try {
    key = read_secret_file(next_key_file().string(), "the renewed device key");
  } catch (const SecretFileError& error) {
    throw IdentityError(error.what());
  }
  bool matches = false;
  try {
    matches = certificate_matches_key(certificate_pem, key);
  } catch (const std::exception& error) {
    throw IdentityError(std::string("the renewed certificate cannot be read: ") + error.what());
  }
  if (!matches)
    throw IdentityError("the renewed certificate is not for " + next_key_file().string());
  write_file_durably(next_certificate_file(), certificate_pem);
}

void IdentityStore::commit_next() const {
  if (!std::filesystem::exists(next_key_file()) ||
      !std::filesystem::exists(next_certificate_file())) {
    throw IdentityError("no renewed certificate and key to commit in " + dir_.string());
  }
  write_file_durably(commit_marker_file(),
                     "device.next.key and device.next.pem replace the pair\n");
  finish_commit();
}

void IdentityStore::finish_commit() const {
  if (!std::filesystem::exists(commit_marker_file())) return;
  // The marker is written only once both files are there; a file already moved is not.
  if (std::filesystem::exists(next_key_file())) rename_durably(next_key_file(), key_file());
  if (std::filesystem::exists(next_certificate_file())) {
    rename_durably(next_certificate_file(), certificate_file());
  }
  std::filesystem::remove(commit_marker_file());
}

void IdentityStore::discard_next() const {
  std::filesystem::remove(next_key_file());
  std::filesystem::remove(next_certificate_file());
}

std::optional<DeviceIdentity> IdentityStore::load() const {
  try {
    finish_commit();
  } catch (const std::exception& error) {
    throw IdentityError(std::string("cannot finish the certificate renewal: ") + error.what());
  }
  if (!std::filesystem::exists(identity_file())) return std::nullopt;
  const std::string text = read_file(identity_file());
  boost::system::error_code error;
  const json::value document = json::parse(text, error);
  if (error || !document.is_object()) {
    throw IdentityError(identity_file().string() + ": not a JSON object");
  }
  const auto& object = document.as_object();
  DeviceIdentity identity{.thing_name = text_field(object, "thing_name", identity_file()),
                          .endpoint = text_field(object, "endpoint", identity_file()),
                          .provisioned_by = text_field(object, "provisioned_by", identity_file()),
                          .provisioned_at_ms = 0};
  if (const auto* at = object.if_contains("provisioned_at_ms"); at && at->is_int64()) {
    identity.provisioned_at_ms = at->as_int64();
  }
  if (object.contains("credential")) {
    identity.credential = text_field(object, "credential", identity_file());
  }
  if (object.contains("provisioned_with")) {
    identity.provisioned_with = text_field(object, "provisioned_with", identity_file());
  }
  if (identity.thing_name.empty()) {
    throw IdentityError(identity_file().string() + ": \"thing_name\" is empty");
  }
  const auto& credential = identity.credential == "sas" ? symmetric_key_file() : certificate_file();
  if (identity.credential != "sas" && identity.credential != "x509") {
    throw IdentityError(identity_file().string() + ": \"credential\" must be x509 or sas");
  }
  if (!std::filesystem::exists(credential)) {
    throw IdentityError(identity_file().string() + " names a " + identity.credential +
                        " credential, but " + credential.string() + " is missing");
  }
  return identity;
}

void IdentityStore::save(const DeviceIdentity& identity, const std::string& certificate_pem) const {
  make_dir();
  write_file_durably(certificate_file(), certificate_pem);
  write_identity(identity);
}

void IdentityStore::save_symmetric_key(const std::string& base64_key) const {
  make_dir();
  write_file_durably(symmetric_key_file(), base64_key + "\n", 0600);
}

void IdentityStore::save_symmetric(DeviceIdentity identity, const std::string& base64_key) const {
  save_symmetric_key(base64_key);
  identity.credential = "sas";
  write_identity(identity);
}

void IdentityStore::write_identity(const DeviceIdentity& identity) const {
  const json::object document{{"thing_name", identity.thing_name},
                              {"endpoint", identity.endpoint},
                              {"provisioned_by", identity.provisioned_by},
                              {"provisioned_at_ms", identity.provisioned_at_ms},
                              {"credential", identity.credential},
                              {"provisioned_with", identity.provisioned_with}};
  write_file_durably(identity_file(), json::serialize(document) + "\n");
}

DeviceIdentity IdentityStore::install_certificate(const std::string& certificate_pem,
                                                  std::string thing_name,
                                                  std::string provisioned_by,
                                                  std::int64_t now_ms) const {
  try {
    if (!certificate_matches_key(certificate_pem, device_key_pem())) {
      throw IdentityError("the certificate is not for the device key " + key_file().string() +
                          " (was it made from this device's CSR?)");
    }
    if (thing_name.empty()) thing_name = read_certificate(certificate_pem).common_name;
  } catch (const IdentityError&) {
    throw;
  } catch (const std::exception& error) {
    throw IdentityError(error.what());
  }
  if (thing_name.empty()) throw IdentityError("the certificate has no CN: name the thing");
  DeviceIdentity identity{.thing_name = std::move(thing_name),
                          .endpoint = "",
                          .provisioned_by = std::move(provisioned_by),
                          .provisioned_at_ms = now_ms};
  save(identity, certificate_pem);
  return identity;
}

void IdentityStore::save_key(const std::string& private_key_pem) const {
  make_dir();
  write_file_durably(key_file(), private_key_pem, 0600);
}

std::optional<PendingCertificate> IdentityStore::load_pending() const {
  if (!std::filesystem::exists(pending_file())) return std::nullopt;
  try {
    const json::value document = json::parse(read_file(pending_file()));
    const auto& object = document.as_object();
    PendingCertificate pending{
        .certificate_id = text_field(object, "certificate_id", pending_file()),
        .certificate_pem = text_field(object, "certificate_pem", pending_file()),
        .ownership_token = text_field(object, "ownership_token", pending_file()),
        .template_name = text_field(object, "template", pending_file()),
        .issued_at_ms = object.at("issued_at_ms").to_number<std::int64_t>()};
    return pending;
  } catch (const std::exception&) {
    // Written atomically, so only a hand edit breaks it; starting over costs one request.
    return std::nullopt;
  }
}

void IdentityStore::save_pending(const PendingCertificate& pending) const {
  make_dir();
  const json::object document{{"certificate_id", pending.certificate_id},
                              {"certificate_pem", pending.certificate_pem},
                              {"ownership_token", pending.ownership_token},
                              {"template", pending.template_name},
                              {"issued_at_ms", pending.issued_at_ms}};
  write_file_durably(pending_file(), json::serialize(document) + "\n", 0600);
}

void IdentityStore::clear_pending() const {
  std::filesystem::remove(pending_file());
}

}  // namespace edgegw::cloud
