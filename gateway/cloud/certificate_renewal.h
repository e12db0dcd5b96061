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

/// Renews the device certificate before it runs out, over the connection it is used on (AWS
/// IoT, "Device provisioning MQTT API"), the key never leaving the box:
///  1. a new key (device.next.key) and a CSR with the certificate's CN, sent to
///     CreateCertificateFromCsr;
///  2. the issued certificate is stored beside the old one and activated by RegisterThing with
///     the template (it attaches the certificate to the thing and its policy);
///  3. the transport tries the new pair; only once a session with it is up does it replace the
///     old pair (IdentityStore::commit_next). Anything that fails on the way (a rejected
///     answer, no answer within the timeout, a certificate that does not connect) leaves the
///     old pair in use, and the renewal is tried again retry_after later.
/// Everything runs on one thread (the transport's event thread): the answers, the connection
/// events, poll() and the end of a trial. status() may be read from any thread.
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

  CertificateRenewal(Settings settings, const IdentityStore& store, Transport& transport,
                     Publish publish, const Clock& clock);

  /// Subscribes to the answer topics; before the transport starts.
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
  const Clock& clock_;
  Step step_ = Step::idle;
  bool connected_ = false;
  std::chrono::steady_clock::time_point deadline_{};
  std::chrono::steady_clock::time_point not_before_{};  // after a failure: retry_after
  std::string ownership_token_;
  std::function<void()> on_change_;

  mutable std::mutex status_mutex_;
  RenewalStatus status_;
};

/// The renewal for this config, or nullopt when renewal is off: renew_before_days = 0, a
/// provider other than aws, a client certificate the config names itself (the store renews
/// only its own), or no template (renew_template or [provisioning] template).
std::optional<CertificateRenewal::Settings> renewal_settings(const GatewayConfig& config);

}  // namespace edgegw::cloud
