#include "tests/test_pki.h"

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <utility>

#include "tests/run_command.h"

namespace edgegw {
namespace {

const std::string kCertScripts = std::string(EDGEGW_SOURCE_DIR) + "/deploy/certs";

std::string shell_quoted(const std::string& text) {
  return "'" + text + "'";
}

}  // namespace

void run_cert_script(const std::string& script_and_args, const std::string& environment) {
  const std::string command = environment + " " + kCertScripts + "/" + script_and_args + " 2>&1";
  const auto result = run_command(command);
  if (result.exit_code != 0) {
    throw std::runtime_error("cert script failed: " + command + "\n" + result.output);
  }
}

std::string sign_csr(const std::string& pki_dir, const std::string& csr_pem,
                     const std::string& file_stem, const std::string& environment) {
  const std::string csr_file = file_stem + ".csr";
  const std::string pem_file = file_stem + ".pem";
  std::ofstream(csr_file) << csr_pem;
  run_cert_script("sign-csr.sh " + shell_quoted(pki_dir) + " " + shell_quoted(csr_file) + " " +
                      shell_quoted(pem_file),
                  environment);
  std::ifstream in(pem_file);
  std::ostringstream pem;
  pem << in.rdbuf();
  return pem.str();
}

TestPki::TestPki(std::string dir, const std::string& ca_name) : dir_(std::move(dir)) {
  run_cert_script("make-ca.sh " + shell_quoted(dir_) + " " + shell_quoted(ca_name));
  run_cert_script("make-server.sh " + shell_quoted(dir_) + " localhost");
}

CertificateFiles TestPki::client(const std::string& name, const std::string& environment) const {
  run_cert_script("make-device.sh " + shell_quoted(dir_) + " " + shell_quoted(name), environment);
  return files(name);
}

}  // namespace edgegw
