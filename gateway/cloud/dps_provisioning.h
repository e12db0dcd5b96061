#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "gateway/cloud/identity_store.h"
#include "gateway/cloud/provisioning.h"
#include "gateway/config/config.h"
#include "gateway/model/clock.h"
#include "gateway/uplink/cloud_profile.h"
#include "gateway/uplink/transport.h"

namespace edgegw::cloud {

/// The DPS MQTT API version in the user name.
inline constexpr std::string_view kDpsApiVersion = "2019-03-31";

/// One attempt at Azure Device Provisioning Service registration over MQTT ("Use MQTT to
/// communicate with DPS"): on connect, $dps/registrations/PUT/iotdps-register with the
/// registration id; while DPS answers 202 (assigning), $dps/registrations/GET/
/// iotdps-get-operationstatus after the retry-after it gives; on 200 with status "assigned"
/// the assigned hub and device id become the identity, with the credential the device
/// registered with (its certificate and key, or its symmetric key). A 429 is asked again after
/// its retry-after; any other status, a failed or disabled registration, or an answer that
/// does not come within the timeout fails the attempt with DPS's error code and message.
class DpsProvisioning final : public ProvisioningAttempt {
 public:
  struct Settings {
    std::string registration_id;
    /// The device's symmetric key (base64), or empty for X.509.
    std::string symmetric_key;
    /// X.509: the certificate and key it registers with, kept for IoT Hub.
    std::string certificate_pem;
    std::string private_key_pem;
    /// Custom data for the allocation policy, a JSON object ("" for none).
    std::string payload;
    std::chrono::milliseconds timeout{30000};
    std::string id_scope{};  ///< recorded in the identity
  };
  enum class Step { connecting, registering, waiting, polling, succeeded, failed };

  DpsProvisioning(Settings settings, const IdentityStore& store, Transport& transport,
                  const Clock& clock);
  void start() override;
  void check_deadline() override;

  Step step() const { return step_; }
  bool finished() const override { return step_ == Step::succeeded || step_ == Step::failed; }

 private:
  void on_connection(bool connected, const std::string& reason);
  void on_answer(const InboundMessage& message);
  void on_result(const PublishResult& result);
  /// Sends the request of the current stage: the registration, or the poll of its operation.
  void send();
  void on_assigned(const std::string& payload);
  void wait(std::chrono::milliseconds delay);
  void enter(Step step, std::chrono::milliseconds within);
  void fail(std::string error);

  Settings settings_;
  const IdentityStore& store_;
  Transport& transport_;
  const Clock& clock_;
  Step step_ = Step::connecting;
  std::string operation_id_;  ///< once DPS accepted the registration
  std::string request_id_;
  std::uint64_t next_request_ = 1;
};

/// The attempt and the connection to DPS for this config's [provisioning] on Azure: the
/// global endpoint, client id = registration id, user name "<scope>/registrations/<id>/
/// api-version=...", and the certificate or a SAS token (skn=registration). With a group key
/// the device's own key is derived and stored first; the group key is never kept.
struct DpsSetup {
  DpsProvisioning::Settings settings;
  CloudProfile profile;
};
DpsSetup dps_setup(const GatewayConfig& config, const IdentityStore& store);

}  // namespace edgegw::cloud
