#include "tests/integration/broker/mosquitto_broker.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "tests/integration/child_process.h"

namespace edgegw {
namespace {

using testing::free_loopback_port;

bool port_accepts(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

MosquittoBroker::MosquittoBroker(MosquittoOptions options)
    : options_(std::move(options)), pki_(dir_.file("certs")) {
  if (::access(EDGEGW_MOSQUITTO, X_OK) != 0) {
    throw std::runtime_error(
        std::string("mosquitto is not installed at ") + EDGEGW_MOSQUITTO +
        " (Debian package mosquitto); scripts/install-deps.sh test installs it");
  }
  device_ = pki_.client(options_.thing_name);
  config_file_ = dir_.file("mosquitto.conf");
  log_file_ = dir_.file("mosquitto.log");
  port_ = free_loopback_port();
  write_config();
  start();
}

MosquittoBroker::~MosquittoBroker() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

void MosquittoBroker::write_config() const {
  std::ofstream conf(config_file_);
  conf << "# written by the edgegw test fixture\n"
       << "per_listener_settings false\n"
       << "persistence false\n"
       << "allow_anonymous true\n"
       << "log_dest file " << log_file_ << "\n"
       << "log_type all\n"
       << "connection_messages true\n"
       // As a broker tuned for devices would: otherwise a small PUBACK or SUBACK is held back
       // (Nagle) until the client's delayed ACK, 40 ms on Linux, after every burst.
       << "set_tcp_nodelay true\n";
  // Started as root, mosquitto would switch to its own user and lose the temp-dir files.
  if (::geteuid() == 0) conf << "user root\n";
  conf << "listener " << port_ << " 127.0.0.1\n"
       << "cafile " << pki_.ca_file() << "\n"
       << "certfile " << server_override_.value_or(pki_.server()).cert_file << "\n"
       << "keyfile " << server_override_.value_or(pki_.server()).key_file << "\n"
       << "tls_version " << options_.tls_version << "\n"
       << "require_certificate " << (options_.require_certificate ? "true" : "false") << "\n"
       << "use_identity_as_username " << (options_.use_identity_as_username ? "true" : "false")
       << "\n"
       << options_.extra_config << "\n";
}

void MosquittoBroker::restart_with_server_certificate(const CertificateFiles& server) {
  stop();
  server_override_ = server;
  write_config();
  start();
}

void MosquittoBroker::start() {
  if (pid_ > 0) return;
  // mosquitto's own stdout/stderr (start-up warnings) go to a file next to its log.
  const pid_t pid = testing::spawn_child({EDGEGW_MOSQUITTO, "-c", config_file_},
                                         dir_.file("mosquitto.out"), /*append=*/true);
  pid_ = pid;
  paused_ = false;
  wait_until_accepting();
}

void MosquittoBroker::wait_until_accepting() {
  auto until = std::chrono::steady_clock::now() + options_.start_deadline;
  while (!port_accepts(port_)) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("mosquitto exited during start-up; its log:\n" + log());
    }
    if (std::chrono::steady_clock::now() > until) {
      throw std::runtime_error("mosquitto did not accept on port " + std::to_string(port_) +
                               " in time; its log:\n" + log());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

void MosquittoBroker::stop() {
  if (pid_ <= 0) return;
  if (paused_) ::kill(pid_, SIGCONT);
  ::kill(pid_, SIGTERM);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
  paused_ = false;
}

void MosquittoBroker::pause() {
  if (pid_ > 0 && !paused_ && ::kill(pid_, SIGSTOP) == 0) {
    // SIGSTOP is asynchronous; wait until the kernel reports the child stopped.
    int status = 0;
    ::waitpid(pid_, &status, WUNTRACED);
    paused_ = true;
  }
}

void MosquittoBroker::reload() {
  if (pid_ > 0) ::kill(pid_, SIGHUP);
}

void MosquittoBroker::resume() {
  if (pid_ > 0 && paused_) {
    ::kill(pid_, SIGCONT);
    paused_ = false;
  }
}

std::string MosquittoBroker::log() const {
  std::ifstream file(log_file_);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

TlsOptions MosquittoBroker::device_tls() const {
  TlsOptions tls;
  tls.ca_file = pki_.ca_file();
  tls.cert_file = device_.cert_file;
  tls.key_file = device_.key_file;
  tls.verify_hostname = true;
  return tls;
}

GatewayConfig MosquittoBroker::gateway_config(const std::string& gateway_id) const {
  GatewayConfig config;
  config.gateway.gateway_id = gateway_id;
  config.uplink.provider = "generic";
  config.uplink.host = host();
  config.uplink.port = port_;
  config.uplink.tls = device_tls();
  return config;
}

std::string MosquittoBroker::uplink_toml() const {
  std::ostringstream text;
  text << "[uplink]\nprovider = \"generic\"\nhost = \"" << host() << "\"\nport = " << port_
       << "\n[uplink.tls]\nca_file = \"" << pki_.ca_file() << "\"\ncert_file = \""
       << device_.cert_file << "\"\nkey_file = \"" << device_.key_file << "\"\n";
  return text.str();
}

DeviceCredentials MosquittoBroker::make_device(const std::string& name,
                                               const std::string& environment) {
  return pki_.client(name, environment);
}

std::string MosquittoBroker::foreign_ca_file() {
  return TestPki(dir_.file("foreign-ca"), "some other CA").ca_file();
}

std::string MosquittoBroker::foreign_pki_dir() {
  return TestPki(dir_.file("foreign-ca"), "some other CA").directory();
}

DeviceCredentials MosquittoBroker::make_foreign_device(const std::string& name) {
  return TestPki(dir_.file("foreign-ca"), "some other CA").client(name);
}

DeviceCredentials MosquittoBroker::make_expired_device(const std::string& name) {
  return make_device(name, "NOT_BEFORE=20200101000000Z NOT_AFTER=20200102000000Z");
}

}  // namespace edgegw
