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
/// The version a registration with a CSR names instead: DPS issues the device's certificate
/// only under it (Microsoft-backed X.509 certificate management, preview).
inline constexpr std::string_view kDpsCertificateApiVersion = "2025-07-01-preview";

/// One attempt at Azure Device Provisioning Service registration over MQTT ("Use MQTT to
/// communicate with DPS"): on connect, $dps/registrations/PUT/iotdps-register with the
/// registration id; while DPS answers 202 (assigning), $dps/registrations/GET/
/// iotdps-get-operationstatus after the retry-after it gives; on 200 with status "assigned"
/// the assigned hub and device id become the identity, with the credential the device
/// registered with (its certificate and key, or its symmetric key). A 429 is asked again after
/// its retry-after; any other status, a failed or disabled registration, or an answer that
/// does not come within the timeout fails the attempt with DPS's error code and message.
///
/// With a CSR (a renewal: see CertificateRenewal) the request carries it ("csr": base64 of its
/// DER), and the answer's registrationState.issuedCertificateChain (base64 DER, leaf first) is
/// the renewed certificate: kept as the store's next certificate (save_next_certificate, so it
/// must be for device.next.key), the stored identity left as it is. An answer without a chain
/// that can be read fails the attempt.
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
    /// A CSR (PEM) for DPS to issue a renewed certificate from; empty for none.
    std::string csr_pem{};
  };
  enum class Step { connecting, registering, waiting, polling, succeeded, failed };

  /// Throws std::runtime_error for a CSR that is not one.
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
  /// With a CSR: keeps the issued chain of `state` as the next certificate.
  void keep_issued(DeviceIdentity identity, const boost::json::object& state);
  void wait(std::chrono::milliseconds delay);
  void enter(Step step, std::chrono::milliseconds within);
  void fail(std::string error);

  Settings settings_;
  std::string csr_base64_;  ///< of the CSR's DER, as the request carries it
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
/// api-version=..." (kDpsCertificateApiVersion with `csr_pem`, else kDpsApiVersion), and the
/// certificate or a SAS token (skn=registration). With a group key the device's own key is
/// derived and stored first; the group key is never kept.
struct DpsSetup {
  DpsProvisioning::Settings settings;
  CloudProfile profile;
};
DpsSetup dps_setup(const GatewayConfig& config, const IdentityStore& store,
                   const std::string& csr_pem = {});

}  // namespace edgegw::cloud
