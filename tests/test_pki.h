#pragma once
// Test certificates made by the project's own deploy/certs scripts (the openssl CLI), so the
// tests exercise the same files an operator would make.

#include <string>

namespace edgegw {

/// A certificate and its private key (PEM files).
struct CertificateFiles {
  std::string cert_file;
  std::string key_file;
};

/// A test CA in a directory, with a server certificate for localhost, 127.0.0.1 and ::1.
class TestPki {
 public:
  /// Makes `dir` with ca.pem and server.pem/server.key. Throws with the scripts' output on failure.
  explicit TestPki(std::string dir, const std::string& ca_name = "edgegw test CA");

  const std::string& directory() const { return dir_; }
  std::string ca_file() const { return dir_ + "/ca.pem"; }
  CertificateFiles server() const { return files("server"); }
  /// A client certificate with CN = `name` (made once, kept after). Extra `environment` goes to
  /// make-device.sh, e.g. "NOT_BEFORE=20200101000000Z NOT_AFTER=20200102000000Z" (expired).
  CertificateFiles client(const std::string& name, const std::string& environment = "") const;

 private:
  CertificateFiles files(const std::string& name) const {
    return {dir_ + "/" + name + ".pem", dir_ + "/" + name + ".key"};
  }

  std::string dir_;
};

/// Runs one of the deploy/certs scripts; throws with its output when it fails.
void run_cert_script(const std::string& script_and_args, const std::string& environment = "");

/// The certificate (PEM) that the CA in `pki_dir` issues for `csr_pem` through sign-csr.sh, as
/// a cloud signs a device's CSR. The CSR and the certificate are kept as `file_stem`.csr and
/// .pem; `environment` may set the validity ("DAYS=10", NOT_BEFORE/NOT_AFTER). Throws when
/// the CSR is not one.
std::string sign_csr(const std::string& pki_dir, const std::string& csr_pem,
                     const std::string& file_stem, const std::string& environment = "");

}  // namespace edgegw
