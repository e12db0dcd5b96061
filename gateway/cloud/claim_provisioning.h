#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "gateway/cloud/device_key.h"
#include "gateway/cloud/identity_store.h"
#include "gateway/cloud/provisioning.h"
#include "gateway/config/config.h"
#include "gateway/model/clock.h"
#include "gateway/uplink/cloud_profile.h"
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
class ClaimProvisioning final : public ProvisioningAttempt {
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

  ClaimProvisioning(Settings settings, const IdentityStore& store, Transport& transport,
                    const Clock& clock);
  void start() override;
  /// Fails the step in progress if its deadline has passed.
  void check_deadline() override;

  Step step() const { return step_; }
  bool finished() const override { return step_ == Step::succeeded || step_ == Step::failed; }

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

  Settings settings_;
  const IdentityStore& store_;
  Transport& transport_;
  const Clock& clock_;
  Step step_ = Step::connecting;
  std::optional<PendingCertificate> pending_;
  std::string request_topic_;
  std::uint64_t next_token_ = 1;
};

/// The attempt for this config's [provisioning] on AWS; its endpoint is claim_profile()'s host.
ClaimProvisioning::Settings claim_settings(const GatewayConfig& config);
/// The uplink's connection, as the claim: its certificate, the serial as client id, and no
/// subscriptions but the provisioning answers.
CloudProfile claim_profile(const GatewayConfig& config, const std::string& serial);

}  // namespace edgegw::cloud
