#pragma once

#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "gateway/billing/metering.h"
#include "gateway/model/option_table.h"
#include "gateway/rules/rule_options.h"
#include "storage/sqlite_buffer.h"

namespace edgegw {

/// Keys at the top of the file, outside any section.
struct GatewayOptions {
  std::string gateway_id;
  std::string log_level = "info";
};

/// [bundle]: how readings are packed into billable messages.
struct BundleOptions {
  std::int64_t unit_bytes = 5120;
  std::int64_t max_latency_s = 60;
  std::string encoding = "proto";
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
};

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

/// [api.tls]: HTTPS for the local API. Present means the API speaks HTTPS only.
struct ApiTlsOptions {
  std::string cert_file;       ///< the server's certificate chain (PEM)
  std::string key_file;        ///< its private key (PEM); file mode 0600
  std::string client_ca_file;  ///< non-empty: clients must present a certificate it signed
};

/// [api]: the local REST API, metrics and diagnostics page.
struct ApiOptions {
  std::string listen = "127.0.0.1:8080";
  std::string token_file;  ///< bearer token for mutating endpoints; file mode 0600
  bool require_auth_for_reads = false;
  std::int64_t max_body_bytes = 1024 * 1024;
  std::int64_t max_connections = 64;
  std::int64_t read_timeout_s = 30;
  std::optional<ApiTlsOptions> tls;  ///< set when [api.tls] is present
};

/// [ingest]: what counts as a valid reading.
struct IngestOptions {
  std::int64_t max_future_s = 300;
  std::int64_t max_past_days = 3650;
};

/// [[series]]: what the gateway knows about a series ahead of time.
struct SeriesOptions {
  std::string name;
  std::string unit;
  double resolution = 0.0;
  double min = -1e308;
  double max = 1e308;
};

/// [[adapters]]: one source of readings; its keys are checked by the adapter type's own table.
struct AdapterConfig {
  std::string type;
  std::string name;
  std::map<std::string, OptionValue> values;  ///< every key but `type`
  /// Its nested lists of tables by key (`[[adapters.registers]]`), each table's values in file
  /// order: the registry's AdapterOptionLists.
  std::map<std::string, std::vector<std::map<std::string, OptionValue>>> lists{};
};

/// The whole config file, parsed once at start-up.
struct GatewayConfig {
  GatewayOptions gateway;
  StorageOptions storage;
  BundleOptions bundle;
  UplinkOptions uplink;
  std::optional<TlsOptions> tls;  ///< set when [uplink.tls] is present
  AwsOptions aws;
  AzureOptions azure;
  ApiOptions api;
  IngestOptions ingest;
  std::vector<SeriesOptions> series;
  std::vector<AdapterConfig> adapters;
  std::vector<rules::RuleOptions> rules;  ///< [[rules]]: what raises alarms

  /// A topic template with {gateway_id} filled in.
  std::string expand_topic(const std::string& topic_template) const;
};

/// A config file that cannot be used; what() lists every problem, one per line, each naming
/// the file, line and key.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Parses and validates a config file. Throws ConfigError.
GatewayConfig load_config_file(const std::string& path);
/// Same, from text (`origin` names it in messages).
GatewayConfig load_config_text(std::string_view text, const std::string& origin);

/// The effective configuration as JSON, section by section, from the same option tables.
/// Secrets never appear: the config holds only the paths of the files that contain them.
std::string config_to_json(const GatewayConfig& config);

/// Every key of every section and adapter type as Markdown (docs/config.md is this output).
std::string render_config_reference();

const OptionTable<GatewayOptions>& gateway_option_table();
const OptionTable<BundleOptions>& bundle_option_table();
const OptionTable<UplinkOptions>& uplink_option_table();
const OptionTable<TlsOptions>& tls_option_table();
const OptionTable<AwsOptions>& aws_option_table();
const OptionTable<AzureOptions>& azure_option_table();
const OptionTable<ApiOptions>& api_option_table();
const OptionTable<IngestOptions>& ingest_option_table();
const OptionTable<SeriesOptions>& series_option_table();

}  // namespace edgegw
