#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>

#include "gateway/config/config.h"
#include "tests/temp_dir.h"
#include "tests/test_pki.h"

namespace edgegw {

/// A client certificate and key made by the fixture (PEM files in its temp dir).
using DeviceCredentials = CertificateFiles;

struct MosquittoOptions {
  /// Mutual TLS: clients must present a certificate from the fixture's CA.
  bool require_certificate = true;
  /// The certificate's CN becomes the MQTT user name (for ACLs in `extra_config`).
  bool use_identity_as_username = false;
  /// CN of the device certificate made up front (device_cert()/device_key()).
  std::string thing_name = "test-thing";
  /// The lowest TLS version the listener accepts ("tlsv1.2" or "tlsv1.3").
  std::string tls_version = "tlsv1.2";
  /// Lines appended to mosquitto.conf.
  std::string extra_config;
  std::chrono::milliseconds start_deadline{10000};
};

/// A real mosquitto on a free loopback port with TLS, started by the constructor and killed by
/// the destructor. Certificates come from deploy/certs into a temp dir. stop()/start() keep the
/// port; pause()/resume() freeze the process (SIGSTOP/SIGCONT) with its sockets still open.
class MosquittoBroker {
 public:
  explicit MosquittoBroker(MosquittoOptions options = {});
  ~MosquittoBroker();
  MosquittoBroker(const MosquittoBroker&) = delete;
  MosquittoBroker& operator=(const MosquittoBroker&) = delete;

  /// Starts mosquitto and returns once the port accepts connections. Throws on failure.
  void start();
  /// Terminates mosquitto and waits for it to exit.
  void stop();
  void pause();
  /// SIGHUP: mosquitto reads its config again, the acl_file with it.
  void reload();
  /// Restarts mosquitto presenting `server` (a certificate from another CA: the provider
  /// rotating its root). Clients are still checked against the fixture's CA.
  void restart_with_server_certificate(const CertificateFiles& server);
  void resume();
  bool running() const { return pid_ > 0; }

  int port() const { return port_; }
  /// "127.0.0.1": the listener is IPv4 loopback; the server certificate names it.
  std::string host() const { return "127.0.0.1"; }
  std::string ca_file() const { return pki_.ca_file(); }
  /// The directory of the broker's CA (ca.pem, ca.key): deploy/certs scripts sign with it.
  const std::string& pki_dir() const { return pki_.directory(); }
  const std::string& device_cert() const { return device_.cert_file; }
  const std::string& device_key() const { return device_.key_file; }
  const std::string& config_file() const { return config_file_; }
  /// The directory holding every generated file.
  std::string directory() const { return dir_.path().string(); }
  /// What mosquitto has logged so far (for failure messages).
  std::string log() const;

  /// TLS settings for the gateway with the fixture's device certificate.
  TlsOptions device_tls() const;
  /// A gateway config (provider generic) that talks to this broker with the device certificate.
  GatewayConfig gateway_config(const std::string& gateway_id = "gw-test") const;
  /// The [uplink] and [uplink.tls] sections of a TOML config for this broker.
  std::string uplink_toml() const;

  /// Another client certificate from the broker's CA. Extra `environment` is passed to
  /// make-device.sh, e.g. "NOT_BEFORE=20200101000000Z NOT_AFTER=20200102000000Z" (expired).
  DeviceCredentials make_device(const std::string& name, const std::string& environment = "");
  /// A client certificate from a CA the broker does not trust.
  DeviceCredentials make_foreign_device(const std::string& name);
  /// A client certificate that expired in 2020.
  DeviceCredentials make_expired_device(const std::string& name);
  /// The CA file of the foreign CA (as a trust store, it does not trust the broker).
  std::string foreign_ca_file();
  /// The directory of that foreign CA (ca.pem, ca.key), for deploy/certs scripts.
  std::string foreign_pki_dir();

 private:
  void write_config() const;
  void wait_until_accepting();

  MosquittoOptions options_;
  TempDir dir_;
  TestPki pki_;
  std::string config_file_;
  std::string log_file_;
  DeviceCredentials device_;
  int port_ = 0;
  pid_t pid_ = -1;
  bool paused_ = false;
  std::optional<CertificateFiles> server_override_;  ///< instead of the fixture CA's
};

}  // namespace edgegw
