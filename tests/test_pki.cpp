#include "tests/test_pki.h"

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

TestPki::TestPki(std::string dir, const std::string& ca_name) : dir_(std::move(dir)) {
  run_cert_script("make-ca.sh " + shell_quoted(dir_) + " " + shell_quoted(ca_name));
  run_cert_script("make-server.sh " + shell_quoted(dir_) + " localhost");
}

CertificateFiles TestPki::client(const std::string& name, const std::string& environment) const {
  run_cert_script("make-device.sh " + shell_quoted(dir_) + " " + shell_quoted(name), environment);
  return files(name);
}

}  // namespace edgegw
