#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "gateway/billing/metering.h"
#include "gateway/config/config.h"

namespace edgegw {

/// Azure IoT Hub shared access signature credentials; the token is made at each connect.
struct SasCredentials {
  std::string resource_uri;  ///< "<hub>.azure-devices.net/devices/<device>"
  std::string key_file;      ///< holds the base64 device key, mode 0600
  std::int64_t ttl_s = 3600;
  /// Reconnect with a fresh token once this share of ttl_s has passed since it was made.
  double renew_at_fraction = 0.8;
  std::string key_name;  ///< the token's skn; DPS: "registration"
};

/// Everything the MQTT transport and the uplink need to know about one cloud, resolved from
/// the config once: where to connect, as whom, on which topics, and how the provider meters.
struct CloudProfile {
  std::string provider;  ///< "aws" | "azure" | "generic"
  std::string host;
  int port = 1883;
  bool use_tls = false;
  /// Files for TLS; an empty ca_file means the system trust store, an empty cert/key means no
  /// client certificate.
  TlsOptions tls;
  std::string client_id;
  std::string username;
  std::string password_file;          ///< static password (generic, aws custom auth); may be empty
  std::optional<SasCredentials> sas;  ///< azure auth = "sas": the password is a fresh SAS token

  std::string telemetry_topic;
  std::string alarm_topic;
  /// Where commands come from (an MQTT filter; empty: none) and their answers go; azure:
  /// direct methods, answered on the topic each one names.
  std::string command_filter;
  std::string response_topic;
  /// How the provider meters every message sent to it.
  billing::MeteringModel metering = billing::MeteringModel::generic(5120);
  std::size_t max_payload_bytes = 0;  ///< the largest payload the provider accepts
  double max_publishes_per_s = 0;     ///< 0: unlimited
  double max_bytes_per_s = 0;         ///< 0: unlimited

  /// AWS JITP/JITR: the first connection with a new certificate is dropped while AWS registers
  /// it; that drop is expected once.
  bool first_connection_may_drop = false;

  int mqtt_version = 5;  ///< 4 (3.1.1) or 5
  int keepalive_s = 30;
  int connect_timeout_s = 10;
  std::int64_t reconnect_min_ms = 1000;
  std::int64_t reconnect_max_ms = 60000;

  /// "ssl://host:port" or "tcp://host:port".
  std::string server_uri() const;
  /// Largest telemetry payload that is billed as one unit and stays under max_payload_bytes.
  std::size_t payload_budget_bytes() const;
};

/// How one provider would address and meter this config's messages.
struct ProviderTopics {
  billing::MeteringModel metering;
  std::string telemetry_topic;
  std::string alarm_topic;
};

/// The topics and metering of `provider` for this config, whatever uplink.provider says: the
/// cost report compares the providers on one config. resolve_profile takes its topics from
/// here too, so the two never differ.
ProviderTopics provider_topics(const GatewayConfig& config, billing::Provider provider);
/// "aws" | "azure" | "generic" to the provider; nullopt for anything else.
std::optional<billing::Provider> parse_provider(std::string_view name);

/// AWS IoT Core quotas per connection (documented service limits).
inline constexpr double kAwsPublishesPerSecond = 100;
inline constexpr double kAwsBytesPerSecond = 512 * 1024;
inline constexpr std::size_t kAwsMaxPayloadBytes = 128 * 1024;
/// Azure IoT Hub: 256 KB largest device-to-cloud message.
inline constexpr std::size_t kAzureMaxPayloadBytes = 256 * 1024;
/// The MQTT protocol's own ceiling (remaining length field).
inline constexpr std::size_t kMqttMaxPayloadBytes = 268'435'455;
/// The Azure REST/MQTT API version in the username.
inline constexpr std::string_view kAzureApiVersion = "2021-04-12";

/// Azure IoT Hub device-to-cloud send throttle for one unit of `tier` (B1/S1 100/s, B2/S2
/// 120/s, B3/S3 6000/s). A hub's limit is shared by all its devices; one unit is assumed.
double azure_tier_publishes_per_second(std::string_view tier);

/// Resolves the provider rules against the config. Throws ConfigError naming the keys when
/// the settings contradict each other (an AWS endpoint half given, Azure without a hub, x509
/// without a client certificate, ...).
CloudProfile resolve_profile(const GatewayConfig& config);

}  // namespace edgegw
