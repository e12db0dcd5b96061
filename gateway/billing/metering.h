#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace edgegw::billing {

// How each cloud measures one message, in one place: the packer's budget, the billing tally
// behind /metrics and /api/v1/cost, `edgegw cost` and the tests all ask this model, so what the
// gateway fills is what the provider bills.

enum class Provider { aws, azure, generic };

/// "aws" | "azure" | "generic".
std::string_view provider_name(Provider provider);

/// AWS IoT Core meters each publish in 5 KB units.
inline constexpr std::int64_t kAwsUnitBytes = 5120;
/// Azure IoT Hub (basic and standard tiers) meters every billable operation in 4 KB blocks.
inline constexpr std::int64_t kAzureUnitBytes = 4096;
/// What IoT Hub stamps on every device-to-cloud message besides the device id, as the
/// default allowance. Microsoft does not publish these values' sizes; this is the longest
/// each takes in the messages a hub routes:
///   iothub-connection-auth-generation-id  an 18-digit number              18
///   iothub-connection-auth-method         {"scope":"device","type":"x509Certificate",
///                                          "issuer":"iothub","acceptingIpFilterRule":null}  90
///   iothub-enqueuedtime                   2026-12-01T09:31:26.1234567Z    28
///   iothub-message-source                 Telemetry                        9
/// 145 bytes; 15 more keep a margin for a longer auth method or generation id.
inline constexpr std::int64_t kAzureDefaultStampAllowance = 160;

/// One MQTT 5 user property.
using UserProperty = std::pair<std::string_view, std::string_view>;

/// What goes out with a payload: the topic and, over MQTT 5, the PUBLISH properties a provider
/// may meter. Views: the caller keeps the strings alive for the call.
struct Envelope {
  std::string_view topic{};
  std::span<const UserProperty> user_properties{};
  std::string_view content_type{};
  std::string_view response_topic{};
  std::string_view correlation_data{};
};

/// How the bytes a provider meters for one message are made up.
struct MeteredSize {
  std::int64_t payload = 0;
  std::int64_t topic = 0;       ///< AWS and generic brokers count the topic
  std::int64_t properties = 0;  ///< Azure's property bag; AWS's MQTT 5 properties
  std::int64_t allowance = 0;   ///< Azure: what IoT Hub stamps on a device-to-cloud message

  std::int64_t total() const { return payload + topic + properties + allowance; }
};

/// One provider's metering rule.
class MeteringModel {
 public:
  /// AWS IoT Core: payload + topic (+ MQTT 5 properties) in 5120-byte units.
  static MeteringModel aws();
  /// Azure IoT Hub: body + property bag + what the hub stamps, in 4096-byte blocks.
  /// `stamp_allowance_bytes` is added to the device id's length for every device-to-cloud
  /// message.
  static MeteringModel azure(std::string device_id,
                             std::int64_t stamp_allowance_bytes = kAzureDefaultStampAllowance);
  /// A broker of one's own: payload + topic in `unit_bytes` units (the topic is counted so a
  /// bundle stays within one unit on any broker that meters it).
  static MeteringModel generic(std::int64_t unit_bytes);

  Provider provider() const { return provider_; }
  std::int64_t unit_bytes() const { return unit_bytes_; }

  /// Bytes metered for `payload_bytes` sent with `envelope`.
  MeteredSize metered(std::int64_t payload_bytes, const Envelope& envelope) const;
  /// Billable units: the metered bytes in whole units, at least one (an empty message is billed).
  std::int64_t units(std::int64_t payload_bytes, const Envelope& envelope) const;
  /// The largest payload that is billed as one unit with `envelope`; 0 when the envelope alone
  /// fills the unit.
  std::int64_t payload_budget(const Envelope& envelope) const;
  /// The rule in words, e.g. for `edgegw cost`.
  std::string describe() const;

 private:
  MeteringModel(Provider provider, std::int64_t unit_bytes)
      : provider_(provider), unit_bytes_(unit_bytes) {}

  Provider provider_;
  std::int64_t unit_bytes_;
  std::string azure_device_id_;
  std::int64_t azure_stamp_allowance_ = 0;
};

/// Azure's device-to-cloud topic is "devices/<id>/messages/events/<property bag>"; every other
/// topic (twin, methods) carries no message properties and gets no stamps.
struct AzurePropertyBag {
  bool is_events = false;  ///< a device-to-cloud telemetry message
  std::string_view bag;    ///< "$.ct=application%2Fjson&kind=alarm", URL-encoded
};
AzurePropertyBag azure_property_bag(std::string_view topic);

/// Bytes IoT Hub meters of a URL-encoded property bag: the decoded value of each system
/// property ("$." names) and the decoded name and value of each application property.
std::int64_t azure_property_bytes(std::string_view bag);

}  // namespace edgegw::billing
