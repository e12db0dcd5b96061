#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>

#include "gateway/cloud/device_key.h"
#include "gateway/cloud/identity_store.h"
#include "gateway/config/config.h"
#include "gateway/model/clock.h"
#include "gateway/uplink/transport.h"

namespace edgegw::cloud {

/// AWS lets a certificateOwnershipToken be used for one hour; a stored one older than this is
/// not offered again (five minutes spare for the request and the clocks).
inline constexpr std::int64_t kOwnershipTokenUsableMs = 55 * 60 * 1000;

/// One attempt at AWS fleet provisioning by claim, over a transport connected with the batch's
/// claim certificate (the MQTT API of "Device provisioning MQTT API", json format):
///  1. once connected (the answer topics are subscribed before: AWS answers only on the
///     connection that asked), CreateCertificateFromCsr with the device's own CSR (its key
///     never leaves the box), or CreateKeysAndCertificate;
///  2. the issued certificate and its ownership token are stored as pending, so a run that
///     stops here resumes with RegisterThing while the token is usable;
///  3. RegisterThing with the template's parameters; its thingName and the certificate become
///     the device's identity.
/// Driven by the transport's events and check_deadline(), all on one thread. A rejected
/// answer, a refused publish or a step that sees no answer within the timeout fails the
/// attempt with a message saying which and why; the caller retries (provision()).
class ClaimProvisioning {
 public:
  struct Settings {
    std::string template_name;
    bool device_makes_key = true;  ///< false: CreateKeysAndCertificate
    KeyType key_type = KeyType::ec_p256;
    std::string serial;  ///< the CSR's common name
    /// The RegisterThing parameters (SerialNumber, Model).
    std::map<std::string, std::string> parameters;
    std::string endpoint;  ///< stored in the identity: the host the thing connects to
    std::chrono::milliseconds timeout{30000};
  };
  enum class Step { connecting, creating_certificate, registering_thing, succeeded, failed };

  /// `on_change` runs after every event that may have moved the step or the deadline.
  ClaimProvisioning(Settings settings, const IdentityStore& store, Transport& transport,
                    const Clock& clock, std::function<void()> on_change = {});
  /// Subscribes to the answer topics and starts the transport.
  void start();
  /// Fails the step in progress if its deadline has passed.
  void check_deadline();

  Step step() const { return step_; }
  bool finished() const { return step_ == Step::succeeded || step_ == Step::failed; }
  std::chrono::steady_clock::time_point deadline() const { return deadline_; }
  /// Why the attempt failed.
  const std::string& error() const { return error_; }
  /// The identity stored, once succeeded.
  const std::optional<DeviceIdentity>& identity() const { return identity_; }

  /// The request topics, by the API's contract.
  std::string create_topic() const;
  std::string register_topic() const;

 private:
  void on_connection(bool connected, const std::string& reason);
  void on_result(std::uint64_t token, const PublishResult& result);
  /// Resumes with a stored certificate whose token is still usable, or asks for one.
  void send_request();
  void send_certificate_request();
  void send_registration();
  void publish(const std::string& topic, const std::string& payload);
  void on_certificate(const std::string& payload);
  void on_registered(const std::string& payload);
  void on_rejected(Step request, const std::string& payload);
  void enter(Step step);
  void fail(std::string error);
  void changed() const;

  Settings settings_;
  const IdentityStore& store_;
  Transport& transport_;
  const Clock& clock_;
  std::function<void()> on_change_;
  Step step_ = Step::connecting;
  std::chrono::steady_clock::time_point deadline_{};
  std::string last_connection_error_;
  std::optional<PendingCertificate> pending_;
  std::string request_topic_;
  std::uint64_t next_token_ = 1;
  std::string error_;
  std::optional<DeviceIdentity> identity_;
};

/// A provisioning attempt that did not give the device its identity; what() says why.
class ProvisioningError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// One attempt over MQTT to the config's uplink host with the claim certificate. Returns the
/// identity it stored; throws ProvisioningError (or IdentityError, ConfigError).
DeviceIdentity provision_once(const GatewayConfig& config, const Clock& clock);

/// Attempts until one succeeds or `max_attempts` have failed (0: no limit), waiting between
/// them a random time up to provisioning.retry_min_s, doubling per failure up to retry_max_s.
/// `wait(delay)` sleeps and returns false to give up (a stop signal). Every failure is logged
/// with its reason and the wait. Returns the identity, or nullopt when it gave up; with a
/// limit, the last failure is rethrown once the limit is reached.
std::optional<DeviceIdentity> provision(const GatewayConfig& config, const Clock& clock,
                                        int max_attempts,
                                        const std::function<bool(std::chrono::milliseconds)>& wait);

}  // namespace edgegw::cloud
