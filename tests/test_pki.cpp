#include "tests/test_pki.h"

#include <cstdio>
#include <memory>
#include <stdexcept>
#include <utility>

namespace edgegw {
namespace {

const std::string kCertScripts = std::string(EDGEGW_SOURCE_DIR) + "/deploy/certs";

std::string shell_quoted(const std::string& text) {
  return "'" + text + "'";
}

}  // namespace

void run_cert_script(const std::string& script_and_args, const std::string& environment) {
  std::string command = environment + " " + kCertScripts + "/" + script_and_args + " 2>&1";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(command.c_str(), "r"), ::pclose);
  if (!pipe) throw std::runtime_error("popen failed: " + command);
  std::string output;
  char buffer[512];
  while (auto n = std::fread(buffer, 1, sizeof buffer, pipe.get())) output.append(buffer, n);
  int status = ::pclose(pipe.release());
  if (status != 0) throw std::runtime_error("cert script failed: " + command + "\n" + output);
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
