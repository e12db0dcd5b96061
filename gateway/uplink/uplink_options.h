#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "gateway/billing/metering.h"
#include "gateway/model/option_table.h"

namespace edgegw {

/// [uplink.tls]: mutual TLS. Present means TLS is on.
struct TlsOptions {
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  bool verify_hostname = true;
};

/// [uplink.aws]: AWS IoT Core.
struct AwsOptions {
  std::string endpoint_prefix;  ///< the part before "-ats.iot.<region>.amazonaws.com"
  std::string region;
  std::string thing_name;
  std::string basic_ingest_rule;  ///< non-empty: publish via $aws/rules/<rule>/...
  bool jit_registration = false;  ///< the CA auto-registers certificates (JITP, JITR)
};

/// [uplink.azure]: Azure IoT Hub.
struct AzureOptions {
  std::string hub;  ///< the part before ".azure-devices.net"
  std::string device_id;
  std::string auth = "x509";
  std::string device_key_file;  ///< for auth = "sas": base64 device key, file mode 0600
  std::int64_t sas_ttl_s = 3600;
  std::string tier = "S1";
  /// Bytes IoT Hub stamps on each device-to-cloud message besides the device id; the packer
  /// leaves room for them (billing::kAzureDefaultStampAllowance says how they add up).
  std::int64_t stamp_allowance_bytes = billing::kAzureDefaultStampAllowance;
};

/// [uplink]: where bundles go.
struct UplinkOptions {
  std::string provider = "generic";
  std::string host = "127.0.0.1";
  std::int64_t port = 1883;
  std::string client_id;  ///< empty: the provider's rule (aws: thing name, azure: device id, else
                          ///< gateway_id)
  std::string username;
  std::string password_file;
  std::string telemetry_topic = "edgegw/{gateway_id}/telemetry";
  std::string alarm_topic = "edgegw/{gateway_id}/alarms";
  std::string command_topic = "edgegw/{gateway_id}/commands/+";  ///< "": no commands
  std::string response_topic = "edgegw/{gateway_id}/responses";
  std::string directory;
  std::int64_t inflight_window = 16;
  std::int64_t keepalive_s = 30;
  std::string mqtt_version = "auto";  ///< "auto": the provider's best (azure 3.1.1, else 5)
  std::int64_t refused_retry_s = 30;
  std::int64_t reconnect_min_ms = 1000;
  std::int64_t reconnect_max_ms = 60000;
  double max_publishes_per_s = -1;  ///< -1: the provider's limit; 0: unlimited
  double max_bytes_per_s = -1;      ///< -1: the provider's limit; 0: unlimited
  std::optional<TlsOptions> tls;    ///< [uplink.tls]: set when present
  AwsOptions aws;                   ///< [uplink.aws]
  AzureOptions azure;               ///< [uplink.azure]
};

/// The keys of each section, their types, limits and descriptions: the parser checks the
/// file against them and `edgegw config-reference` prints them.
const OptionTable<UplinkOptions>& uplink_option_table();
const OptionTable<TlsOptions>& tls_option_table();
const OptionTable<AwsOptions>& aws_option_table();
const OptionTable<AzureOptions>& azure_option_table();

}  // namespace edgegw
