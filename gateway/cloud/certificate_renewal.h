#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "gateway/cloud/device_key.h"
#include "gateway/cloud/identity_store.h"
#include "gateway/cloud/provisioning.h"
#include "gateway/config/config.h"
#include "gateway/model/clock.h"
#include "gateway/uplink/transport.h"

namespace edgegw::cloud {

/// Where a certificate renewal stands, for /api/v1/status and the metrics.
struct RenewalStatus {
  std::string state = "idle";     ///< idle, requesting, registering, trying
  std::int64_t renews_at_ms = 0;  ///< when the certificate enters the renewal window (Unix ms)
  std::uint64_t renewed = 0;      ///< renewals that ended with the new certificate in use
  std::uint64_t failed = 0;
  std::string last_error;  ///< of the latest failure, cleared by a renewal that worked
  std::int64_t last_renewed_at_ms = 0;

  friend bool operator==(const RenewalStatus&, const RenewalStatus&) = default;
};

/// Gets a renewal's certificate issued away from the cloud connection (Azure: a new DPS
/// registration, DpsCertificateIssuer).
class CertificateIssuer {
 public:
  /// "" once the certificate for the CSR is stored as the next one
  /// (IdentityStore::save_next_certificate), else why there is none.
  using Done = std::function<void(const std::string& error)>;
  virtual ~CertificateIssuer() = default;
  /// Asks for a certificate for `csr_pem` and returns at once; `done` runs once, on the
  /// renewal's thread, unless the issuer is destroyed first.
  virtual void issue(const std::string& csr_pem, Done done) = 0;
};

/// Renews the device certificate before it runs out, the key never leaving the box:
///  1. a new key (device.next.key) and a CSR with the certificate's CN;
///  2. a certificate for it, stored beside the old one. AWS (IoT "Device provisioning MQTT
///     API"), over the connection in use: CreateCertificateFromCsr, then RegisterThing with the
///     template, which activates the certificate and attaches it to the thing and its policy.
///     Azure, through a CertificateIssuer: a new DPS registration with the CSR;
///  3. the transport tries the new pair; only once a session with it is up does it replace the
///     old pair (IdentityStore::commit_next). Anything that fails on the way (a rejected
///     answer, no answer within the timeout, a certificate that does not connect) leaves the
///     old pair in use, and the renewal is tried again retry_after later.
/// Everything runs on one thread (the transport's event thread): the answers, the connection
/// events, poll(), the issuer's answer and the end of a trial. status() may be read from any
/// thread.
class CertificateRenewal {
 public:
  struct Settings {
    std::chrono::milliseconds renew_before{std::chrono::hours(24 * 30)};
    std::chrono::milliseconds retry_after{std::chrono::hours(1)};
    std::chrono::milliseconds timeout{std::chrono::seconds(30)};  ///< for each answer
    KeyType key_type = KeyType::ec_p256;
    std::string template_name;
    /// RegisterThing's parameters; SerialNumber defaults to the certificate's CN.
    std::map<std::string, std::string> parameters;
  };
  /// Sends a request on the cloud connection (Uplink::publish_control: at most once).
  using Publish = std::function<void(const std::string& topic, const std::string& payload)>;

  /// AWS: asks over the cloud connection through `publish`.
  CertificateRenewal(Settings settings, const IdentityStore& store, Transport& transport,
                     Publish publish, const Clock& clock);
  /// Azure: asks `issuer` (which bounds its own exchange; the template is not used).
  CertificateRenewal(Settings settings, const IdentityStore& store, Transport& transport,
                     CertificateIssuer& issuer, const Clock& clock);

  /// Subscribes to the answer topics (AWS); before the transport starts.
  void subscribe();
  /// The connection came up or went down.
  void connection_changed(bool up);
  /// Starts a renewal that is due, fails a step whose answer is late. Returns when it should
  /// be called again at the latest (monotonic).
  std::chrono::steady_clock::time_point poll();

  /// Runs whenever the step changed, so the owner can call poll() for the new deadline.
  void on_change(std::function<void()> callback) { on_change_ = std::move(callback); }

  RenewalStatus status() const;
  std::string create_topic() const { return kCreateFromCsrTopic; }
  std::string register_topic() const { return register_thing_topic(settings_.template_name); }

 private:
  enum class Step { idle, requesting, registering, trying };

  /// When the certificate in use enters the renewal window (Unix ms); nullopt when it cannot
  /// be read (the store's problem, not ours: the status shows the certificate's error).
  std::optional<std::int64_t> renews_at() const;
  void begin();
  void on_certificate(const std::string& payload);
  void on_registered(const std::string& payload);
  void on_rejected(Step request, const std::string& payload);
  void on_issued(const std::string& error);
  /// Whether the step waits for an answer on the cloud connection (AWS).
  bool asking_cloud() const {
    return !issuer_ && (step_ == Step::requesting || step_ == Step::registering);
  }
  void try_new_certificate();
  void on_tried(bool connected, const std::string& reason);
  void enter(Step step);
  /// Back to idle until retry_after; the renewed pair is forgotten unless `discard_next` is
  /// false (it connected, and the transport presents it).
  void fail(const std::string& error, bool discard_next = true);
  /// The step, in the words of status().state.
  void record_state();

  Settings settings_;
  const IdentityStore& store_;
  Transport& transport_;
  Publish publish_;
  CertificateIssuer* issuer_ = nullptr;  ///< Azure; AWS asks through publish_
  const Clock& clock_;
  Step step_ = Step::idle;
  bool connected_ = false;
  std::chrono::steady_clock::time_point deadline_{};
  std::chrono::steady_clock::time_point not_before_{};  // after a failure: retry_after
  std::string ownership_token_;
  bool trial_waits_for_connection_ = false;  ///< Azure: issued while the connection was down
  std::function<void()> on_change_;

  mutable std::mutex status_mutex_;
  RenewalStatus status_;
};

/// The renewal for this config, or nullopt when renewal is off: renew_before_days = 0, a
/// client certificate the config names itself (the store renews only its own), a provider
/// other than aws or azure; on AWS no template (renew_template or [provisioning] template), on
/// Azure no [provisioning] (DPS) or uplink.azure.auth = "sas" (a symmetric key does not run out).
std::optional<CertificateRenewal::Settings> renewal_settings(const GatewayConfig& config);

}  // namespace edgegw::cloud
