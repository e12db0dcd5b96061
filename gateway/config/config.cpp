#include "gateway/config/config.h"

#include <toml++/toml.h>

#include <boost/json.hpp>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include "adapters/registry.h"
#include "gateway/uplink/cloud_profile.h"

namespace edgegw {

const OptionTable<GatewayOptions>& gateway_option_table() {
  static const OptionTable<GatewayOptions> table = {
      {.key = "gateway_id",
       .member = &GatewayOptions::gateway_id,
       .description = "Name of this gateway, unique in the fleet. Sent in every bundle; consumers "
                      "de-duplicate on (gateway_id, bundle_seq).",
       .required = true},
      {.key = "log_level",
       .member = &GatewayOptions::log_level,
       .description = "How much to log.",
       .choices = "trace debug info warn error"},
  };
  return table;
}

const OptionTable<BundleOptions>& bundle_option_table() {
  static const OptionTable<BundleOptions> table = {
      {.key = "unit_bytes",
       .member = &BundleOptions::unit_bytes,
       .description = "The metering unit of a generic broker's cloud (payload + topic). "
                      "provider aws and azure use their own (5120 bytes with the topic; 4096 "
                      "bytes with the properties). A bundle is packed as close to the unit as "
                      "possible, never over.",
       .min = 256,
       .max = 131072},
      {.key = "max_latency_s",
       .member = &BundleOptions::max_latency_s,
       .description = "Close a partly filled bundle once its oldest reading has waited this long.",
       .min = 1,
       .max = 86400},
      {.key = "encoding",
       .member = &BundleOptions::encoding,
       .description = "Bundle payload format; proto+zstd packs about twice as many readings per "
                      "unit at some CPU cost.",
       .choices = "proto proto+zstd"},
  };
  return table;
}

const OptionTable<UplinkOptions>& uplink_option_table() {
  static const OptionTable<UplinkOptions> table = {
      {.key = "provider",
       .member = &UplinkOptions::provider,
       .description = "Cloud profile: decides how messages are metered (aws counts payload and "
                      "topic in 5 KB units; azure counts body, property bag and what the hub "
                      "stamps in 4 KB blocks).",
       .choices = "aws azure generic"},
      {.key = "host",
       .member = &UplinkOptions::host,
       .description = "MQTT broker host name. For aws and azure it is derived from [uplink.aws] "
                      "or [uplink.azure] when left at the default."},
      {.key = "port",
       .member = &UplinkOptions::port,
       .description = "MQTT broker port (8883 is usual with TLS).",
       .min = 1,
       .max = 65535},
      {.key = "client_id",
       .member = &UplinkOptions::client_id,
       .description = "MQTT client id. Empty: the AWS thing name, the Azure device id, or "
                      "gateway_id."},
      {.key = "username",
       .member = &UplinkOptions::username,
       .description = "MQTT user name, if the broker wants one (Azure's is derived)."},
      {.key = "password_file",
       .member = &UplinkOptions::password_file,
       .description = "File holding the MQTT password; it must not be readable by group or "
                      "others (mode 0600)."},
      {.key = "telemetry_topic",
       .member = &UplinkOptions::telemetry_topic,
       .description = "Topic for bundles; {gateway_id} is replaced."},
      {.key = "alarm_topic",
       .member = &UplinkOptions::alarm_topic,
       .description = "Topic for alarms; {gateway_id} is replaced."},
      {.key = "command_topic",
       .member = &UplinkOptions::command_topic,
       .description = "Topic filter the gateway takes commands on (ping, status, arm, disarm, "
                      "flush), the command's name being the last level; {gateway_id} is "
                      "replaced. Empty: no commands. Provider azure takes IoT Hub direct "
                      "methods instead of this topic; empty turns those off too."},
      {.key = "response_topic",
       .member = &UplinkOptions::response_topic,
       .description = "Topic the answers to commands go to; {gateway_id} is replaced."},
      {.key = "directory",
       .member = &UplinkOptions::directory,
       .description = "If set, write each bundle as a file <bundle_seq>.bundle into this "
                      "directory instead of publishing it; a bundle counts as acknowledged once "
                      "its file is on disk. For demos and offline capture."},
      {.key = "inflight_window",
       .member = &UplinkOptions::inflight_window,
       .description = "Bundles published but not yet acknowledged (PUBACK), at most.",
       .min = 1,
       .max = 1024},
      {.key = "keepalive_s",
       .member = &UplinkOptions::keepalive_s,
       .description = "MQTT keep-alive interval.",
       .min = 5,
       .max = 1200},
      {.key = "mqtt_version",
       .member = &UplinkOptions::mqtt_version,
       .description = "MQTT protocol version. auto: the provider's best, 5 for aws and generic "
                      "(mosquitto 2, AWS IoT Core), 3.1.1 for azure (IoT Hub has no MQTT 5). "
                      "Under 5 a broker can refuse a publish (a PUBACK reason code of 0x80 or "
                      "above) and the gateway keeps the readings; under 3.1.1 a broker that will "
                      "not take a publish acks and drops it (mosquitto) or disconnects (AWS).",
       .choices = "auto 3.1.1 5"},
      {.key = "refused_retry_s",
       .member = &UplinkOptions::refused_retry_s,
       .description = "After the broker refuses a publish for good (MQTT 5: not authorised, "
                      "too large, ...), that lane (telemetry or alarms) waits this long before "
                      "sending it again; the message is kept, never deleted.",
       .min = 1,
       .max = 86400},
      {.key = "reconnect_min_ms",
       .member = &UplinkOptions::reconnect_min_ms,
       .description = "First reconnect delay; each failure doubles it up to reconnect_max_ms, "
                      "and the actual wait is drawn at random below it (full jitter).",
       .min = 10,
       .max = 3600000},
      {.key = "reconnect_max_ms",
       .member = &UplinkOptions::reconnect_max_ms,
       .description = "Cap of the reconnect delay.",
       .min = 10,
       .max = 3600000},
      {.key = "max_publishes_per_s",
       .member = &UplinkOptions::max_publishes_per_s,
       .description = "Shape publishing to this rate. -1: the provider's limit (aws 100/s per "
                      "connection, azure the tier's device-to-cloud throttle); 0: no limit.",
       .min = -1},
      {.key = "max_bytes_per_s",
       .member = &UplinkOptions::max_bytes_per_s,
       .description = "Shape publishing to this many payload bytes per second. -1: the "
                      "provider's limit (aws 512 KB/s per connection); 0: no limit.",
       .min = -1},
  };
  return table;
}

const OptionTable<TlsOptions>& tls_option_table() {
  static const OptionTable<TlsOptions> table = {
      {.key = "ca_file",
       .member = &TlsOptions::ca_file,
       .description = "CA bundle that signed the broker's certificate (PEM).",
       .required = true},
      {.key = "cert_file",
       .member = &TlsOptions::cert_file,
       .description = "The device's X.509 certificate (PEM). Empty: no client certificate "
                      "(Azure SAS, or a broker with passwords)."},
      {.key = "key_file",
       .member = &TlsOptions::key_file,
       .description = "The device's private key (PEM); refused if group or others can read it."},
      {.key = "verify_hostname",
       .member = &TlsOptions::verify_hostname,
       .description = "Check that the broker's certificate names uplink.host. Leave on."},
  };
  return table;
}

const OptionTable<AwsOptions>& aws_option_table() {
  static const OptionTable<AwsOptions> table = {
      {.key = "endpoint_prefix",
       .member = &AwsOptions::endpoint_prefix,
       .description = "Your account's endpoint prefix: the host is "
                      "<endpoint_prefix>-ats.iot.<region>.amazonaws.com."},
      {.key = "region",
       .member = &AwsOptions::region,
       .description = "AWS region, e.g. eu-west-1."},
      {.key = "thing_name",
       .member = &AwsOptions::thing_name,
       .description = "The thing's name: the MQTT client id and the certificate's CN. Empty: "
                      "gateway_id."},
      {.key = "basic_ingest_rule",
       .member = &AwsOptions::basic_ingest_rule,
       .description = "If set, publish through Basic Ingest ($aws/rules/<rule>/<topic>), which "
                      "AWS does not bill as messaging."},
  };
  return table;
}

const OptionTable<AzureOptions>& azure_option_table() {
  static const OptionTable<AzureOptions> table = {
      {.key = "hub",
       .member = &AzureOptions::hub,
       .description = "IoT hub name: the host is <hub>.azure-devices.net."},
      {.key = "device_id",
       .member = &AzureOptions::device_id,
       .description = "Device id: the MQTT client id. Empty: gateway_id."},
      {.key = "auth",
       .member = &AzureOptions::auth,
       .description = "x509: the [uplink.tls] client certificate; sas: a shared access "
                      "signature made from the device key, renewed before it expires.",
       .choices = "x509 sas"},
      {.key = "device_key_file",
       .member = &AzureOptions::device_key_file,
       .description = "For auth = \"sas\": file holding the device's base64 key (mode 0600)."},
      {.key = "sas_ttl_s",
       .member = &AzureOptions::sas_ttl_s,
       .description = "Lifetime of each SAS token; a new one is made before it runs out.",
       .min = 60,
       .max = 31536000},
      {.key = "tier",
       .member = &AzureOptions::tier,
       .description = "Hub tier, for the device-to-cloud throttle and the cost estimate.",
       .choices = "B1 B2 B3 S1 S2 S3"},
      {.key = "stamp_allowance_bytes",
       .member = &AzureOptions::stamp_allowance_bytes,
       .description = "IoT Hub meters a message's properties with its body, including the ones "
                      "it stamps on every device-to-cloud message (device id, auth generation "
                      "id, auth method, enqueued time). Besides the device id, which is counted "
                      "exactly, this many bytes are kept free for them in every bundle. "
                      "Microsoft does not publish their sizes; 160 covers the longest seen "
                      "(145) with a margin.",
       .min = 0,
       .max = 2048},
  };
  return table;
}

const OptionTable<ApiOptions>& api_option_table() {
  static const OptionTable<ApiOptions> table = {
      {.key = "listen",
       .member = &ApiOptions::listen,
       .description = "Address and port of the local HTTP API, e.g. 127.0.0.1:8080 or [::1]:8080 "
                      "(IP addresses only; port 0 picks a free one)."},
      {.key = "token_file",
       .member = &ApiOptions::token_file,
       .description = "File holding the bearer token that mutating endpoints require "
                      "(Authorization: Bearer <token>); refused if group or others can read it. "
                      "Empty: mutating endpoints are refused (403)."},
      {.key = "require_auth_for_reads",
       .member = &ApiOptions::require_auth_for_reads,
       .description = "Require the token for every endpoint, reads included."},
      {.key = "max_body_bytes",
       .member = &ApiOptions::max_body_bytes,
       .description = "Largest request body; larger ones are answered 413.",
       .min = 1024,
       .max = 64 * 1024 * 1024},
      {.key = "max_connections",
       .member = &ApiOptions::max_connections,
       .description = "Concurrent connections; more are answered 503 and closed.",
       .min = 1,
       .max = 10000},
      {.key = "read_timeout_s",
       .member = &ApiOptions::read_timeout_s,
       .description = "A request must arrive whole within this long; idle keep-alive "
                      "connections are closed after it.",
       .min = 1,
       .max = 3600},
  };
  return table;
}

const OptionTable<ApiTlsOptions>& api_tls_option_table() {
  static const OptionTable<ApiTlsOptions> table = {
      {.key = "cert_file",
       .member = &ApiTlsOptions::cert_file,
       .description = "The API's certificate chain (PEM), server certificate first.",
       .required = true},
      {.key = "key_file",
       .member = &ApiTlsOptions::key_file,
       .description = "Its private key (PEM); refused if group or others can read it.",
       .required = true},
      {.key = "client_ca_file",
       .member = &ApiTlsOptions::client_ca_file,
       .description = "If set, every client must present a certificate signed by this CA "
                      "(PEM); others fail the handshake."},
  };
  return table;
}

const OptionTable<IngestOptions>& ingest_option_table() {
  static const OptionTable<IngestOptions> table = {
      {.key = "max_future_s",
       .member = &IngestOptions::max_future_s,
       .description = "Reject readings stamped more than this far ahead of the gateway's clock.",
       .min = 0,
       .max = 86400 * 366},
      {.key = "max_past_days",
       .member = &IngestOptions::max_past_days,
       .description = "Reject readings stamped more than this many days in the past.",
       .min = 1,
       .max = 36500},
  };
  return table;
}

const OptionTable<SeriesOptions>& series_option_table() {
  static const OptionTable<SeriesOptions> table = {
      {.key = "name",
       .member = &SeriesOptions::name,
       .description = "Series name as posted to the API or produced by an adapter.",
       .required = true},
      {.key = "unit", .member = &SeriesOptions::unit, .description = "Unit, e.g. \"kg\"."},
      {.key = "resolution",
       .member = &SeriesOptions::resolution,
       .description = "Smallest step worth keeping; values are packed to within half of it. "
                      "0 packs values losslessly.",
       .min = 0},
      {.key = "min",
       .member = &SeriesOptions::min,
       .description = "Readings below this are rejected (counted as out_of_range)."},
      {.key = "max",
       .member = &SeriesOptions::max,
       .description = "Readings above this are rejected (counted as out_of_range)."},
  };
  return table;
}

std::string GatewayConfig::expand_topic(const std::string& topic_template) const {
  std::string topic = topic_template;
  const std::string placeholder = "{gateway_id}";
  for (auto at = topic.find(placeholder); at != std::string::npos; at = topic.find(placeholder)) {
    topic.replace(at, placeholder.size(), gateway.gateway_id);
  }
  return topic;
}

namespace {

/// Collects problems so one run of check-config reports all of them, not just the first.
class Problems {
 public:
  explicit Problems(std::string origin) : origin_(std::move(origin)) {}

  void add(std::int64_t line, const std::string& what) {
    std::ostringstream out;
    out << origin_;
    if (line > 0) out << ":" << line;
    out << ": " << what;
    lines_.push_back(out.str());
  }
  bool empty() const { return lines_.empty(); }
  std::string text() const {
    std::string all;
    for (const auto& line : lines_) all += line + "\n";
    return all;
  }

 private:
  std::string origin_;
  std::vector<std::string> lines_;
};

std::int64_t line_of(const toml::node& node) {
  return node.source().begin.line;
}

std::string qualified(std::string_view section, std::string_view key) {
  return section.empty() ? std::string(key) : std::string(section) + "." + std::string(key);
}

/// Scalar TOML values become OptionValues; arrays, tables and dates are not option values.
std::optional<OptionValue> to_option_value(const toml::node& node) {
  if (auto v = node.as_boolean()) return OptionValue{v->get()};
  if (auto v = node.as_integer()) return OptionValue{v->get()};
  if (auto v = node.as_floating_point()) return OptionValue{v->get()};
  if (auto v = node.as_string()) return OptionValue{v->get()};
  return std::nullopt;
}

/// Reads one table's scalar keys, reporting non-scalars; returns the values and their lines.
/// Sub-tables and arrays of tables are skipped when `nested_sections`: they are sections of
/// their own.
std::map<std::string, OptionValue> scalar_values(const toml::table& table, std::string_view section,
                                                 std::map<std::string, std::int64_t>& lines,
                                                 Problems& problems, bool nested_sections = false) {
  std::map<std::string, OptionValue> values;
  for (const auto& [key, node] : table) {
    const auto* array = node.as_array();
    if (nested_sections && (node.is_table() || (array && array->is_array_of_tables()))) continue;
    std::string name(key.str());
    lines[name] = line_of(node);
    if (auto value = to_option_value(node)) {
      values.emplace(name, *value);
    } else {
      problems.add(line_of(node), qualified(section, name) + " must be a single value");
    }
  }
  return values;
}

void report(const std::vector<std::pair<std::string, std::string>>& errors,
            std::string_view section, const std::map<std::string, std::int64_t>& lines,
            std::int64_t section_line, Problems& problems) {
  for (const auto& [key, message] : errors) {
    auto at = lines.find(key);
    problems.add(at == lines.end() ? section_line : at->second,
                 qualified(section, key) + " " + message);
  }
}

template <class T>
void bind_table(const toml::table& table, std::string_view section, const OptionTable<T>& options,
                T& out, Problems& problems, bool nested_sections = false) {
  std::map<std::string, std::int64_t> lines;
  auto values = scalar_values(table, section, lines, problems, nested_sections);
  report(fill_options(out, options, values), section, lines, line_of(table), problems);
}

const toml::table* section_table(const toml::table& root, std::string_view name,
                                 Problems& problems) {
  const toml::node* node = root.get(name);
  if (!node) return nullptr;
  if (const auto* table = node->as_table()) return table;
  problems.add(line_of(*node),
               std::string(name) + " must be a section: [" + std::string(name) + "]");
  return nullptr;
}

template <class Each>
void for_each_array_table(const toml::table& root, std::string_view name, Problems& problems,
                          Each each) {
  const toml::node* node = root.get(name);
  if (!node) return;
  const auto* array = node->as_array();
  if (!array || !array->is_array_of_tables()) {
    problems.add(line_of(*node),
                 std::string(name) + " must be a list of tables: [[" + std::string(name) + "]]");
    return;
  }
  for (const auto& element : *array) each(*element.as_table());
}

/// The nested arrays of tables of one [[adapters]] table ([[adapters.registers]]), each table's
/// scalars read like any section's. Their keys' lines go into `lines` as "registers[2].type",
/// and each table's own line as "registers[2]", so an adapter's error on either finds its line.
AdapterOptionLists adapter_lists(const toml::table& table,
                                 std::map<std::string, std::int64_t>& lines, Problems& problems) {
  AdapterOptionLists lists;
  for (const auto& [key, node] : table) {
    const std::string name(key.str());
    if (node.is_table()) {
      problems.add(line_of(node), "adapters." + name +
                                      " must be a single value or a list of tables: [[adapters." +
                                      name + "]]");
      continue;
    }
    const auto* array = node.as_array();
    if (!array || !array->is_array_of_tables()) continue;
    auto& list = lists[name];
    for (const auto& element : *array) {
      const std::string entry = name + "[" + std::to_string(list.size()) + "]";
      std::map<std::string, std::int64_t> entry_lines;
      list.push_back(
          scalar_values(*element.as_table(), "adapters." + entry, entry_lines, problems));
      lines[entry] = line_of(element);
      for (const auto& [entry_key, line] : entry_lines) lines[entry + "." + entry_key] = line;
    }
  }
  return lists;
}

/// Like report(), but an error on a key of a nested table that is not in the file (a required
/// key left out) gets that table's line rather than the adapter's.
void report_adapter(const OptionErrors& errors, const std::map<std::string, std::int64_t>& lines,
                    std::int64_t adapter_line, Problems& problems) {
  for (const auto& [key, message] : errors) {
    auto at = lines.find(key);
    if (at == lines.end()) at = lines.find(key.substr(0, key.find("].") + 1));
    problems.add(at == lines.end() ? adapter_line : at->second, "adapters." + key + " " + message);
  }
}

void check_adapters(GatewayConfig& config, const toml::table& root, Problems& problems) {
  std::set<std::string> names;
  for_each_array_table(root, "adapters", problems, [&](const toml::table& table) {
    std::map<std::string, std::int64_t> lines;
    auto values = scalar_values(table, "adapters", lines, problems, true);
    auto lists = adapter_lists(table, lines, problems);
    AdapterConfig adapter;
    auto type_at = values.find("type");
    if (type_at == values.end() || !std::holds_alternative<std::string>(type_at->second)) {
      problems.add(line_of(table), "adapters.type is required");
      return;
    }
    adapter.type = std::get<std::string>(type_at->second);
    values.erase(type_at);
    AdapterCheck check = check_adapter(adapter.type, values, lists);
    report_adapter(check.errors, lines, line_of(table), problems);
    if (!check.errors.empty()) return;
    if (!names.insert(check.name).second) {
      problems.add(line_of(table), "adapters.name \"" + check.name + "\" is used twice");
    }
    adapter.name = check.name;
    adapter.values = std::move(values);
    adapter.lists = std::move(lists);
    config.adapters.push_back(std::move(adapter));
  });
}

void check_rules(GatewayConfig& config, const toml::table& root, Problems& problems) {
  std::vector<std::int64_t> rule_lines;
  for_each_array_table(root, "rules", problems, [&](const toml::table& table) {
    // all_of is a list of names in the file; the option table holds it as one string.
    toml::table flat = table;
    if (const auto* names = table.get_as<toml::array>("all_of")) {
      std::string joined;
      for (const auto& name : *names) {
        if (!name.is_string()) {
          problems.add(line_of(*names), "rules.all_of must be a list of rule names");
          continue;
        }
        joined += (joined.empty() ? "" : ",") + name.as_string()->get();
      }
      flat.insert_or_assign("all_of", joined);
    }
    rules::RuleOptions rule;
    bind_table(flat, "rules", rules::rule_option_table(), rule, problems);
    if (const auto shape = rules::rule_shape(rule); !shape.error.empty() && !rule.name.empty()) {
      problems.add(line_of(table), "rules \"" + rule.name + "\" " + shape.error);
    }
    rule_lines.push_back(line_of(table));
    config.rules.push_back(std::move(rule));
  });
  for (const auto& [index, message] : rules::check_rules(config.rules)) {
    problems.add(rule_lines[index], message);
  }
}

void check_consistency(const GatewayConfig& config, Problems& problems) {
  try {
    if (resolve_profile(config).payload_budget_bytes() < 256) {
      problems.add(0,
                   "bundle.unit_bytes leaves less than 256 bytes for the payload after the "
                   "telemetry topic; use a shorter uplink.telemetry_topic or a larger unit");
    }
  } catch (const ConfigError& error) {
    std::string message = error.what();
    while (!message.empty() && message.back() == '\n') message.pop_back();
    problems.add(0, message);
  }
  std::set<std::string> names;
  for (const auto& series : config.series) {
    if (!names.insert(series.name).second) {
      problems.add(0, "series \"" + series.name + "\" is configured twice");
    }
    if (series.min > series.max) {
      problems.add(0, "series \"" + series.name + "\": min is greater than max");
    }
  }
}

GatewayConfig build_config(const toml::table& root, Problems& problems) {
  GatewayConfig config;
  static const std::set<std::string, std::less<>> kSections = {
      "storage", "bundle", "uplink", "api", "ingest", "series", "adapters", "rules"};
  for (const auto& [key, node] : root) {
    const auto* array = node.as_array();
    bool section = node.is_table() || (array && array->is_array_of_tables());
    if (section && !kSections.contains(key.str())) {
      problems.add(line_of(node), "[" + std::string(key.str()) + "] unknown section");
    }
  }
  // Unknown top-level keys are reported by the gateway table itself.
  bind_table(root, "", gateway_option_table(), config.gateway, problems, true);

  if (const auto* t = section_table(root, "storage", problems)) {
    bind_table(*t, "storage", storage_option_table(), config.storage, problems);
  }
  if (const auto* t = section_table(root, "bundle", problems)) {
    bind_table(*t, "bundle", bundle_option_table(), config.bundle, problems);
  }
  if (const auto* t = section_table(root, "uplink", problems)) {
    bind_table(*t, "uplink", uplink_option_table(), config.uplink, problems, true);
    for (const auto& [key, node] : *t) {
      if (!node.is_table()) continue;
      const auto& sub = *node.as_table();
      if (key == "tls") {
        bind_table(sub, "uplink.tls", tls_option_table(), config.tls.emplace(), problems);
      } else if (key == "aws") {
        bind_table(sub, "uplink.aws", aws_option_table(), config.aws, problems);
      } else if (key == "azure") {
        bind_table(sub, "uplink.azure", azure_option_table(), config.azure, problems);
      } else {
        problems.add(line_of(node), "[uplink." + std::string(key.str()) +
                                        "] unknown section; known: tls, aws, azure");
      }
    }
  }
  if (const auto* t = section_table(root, "api", problems)) {
    bind_table(*t, "api", api_option_table(), config.api, problems, true);
    for (const auto& [key, node] : *t) {
      const auto* array = node.as_array();
      if (!node.is_table() && !(array && array->is_array_of_tables())) continue;
      if (key == "tls" && node.is_table()) {
        bind_table(*node.as_table(), "api.tls", api_tls_option_table(), config.api.tls.emplace(),
                   problems);
      } else {
        problems.add(line_of(node),
                     "[api." + std::string(key.str()) + "] unknown section; known: tls");
      }
    }
  }
  if (const auto* t = section_table(root, "ingest", problems)) {
    bind_table(*t, "ingest", ingest_option_table(), config.ingest, problems);
  }
  for_each_array_table(root, "series", problems, [&](const toml::table& table) {
    SeriesOptions series;
    bind_table(table, "series", series_option_table(), series, problems);
    config.series.push_back(std::move(series));
  });
  check_adapters(config, root, problems);
  check_rules(config, root, problems);
  check_consistency(config, problems);
  return config;
}

}  // namespace

GatewayConfig load_config_text(std::string_view text, const std::string& origin) {
  Problems problems(origin);
  toml::table root;
  try {
    root = toml::parse(text, origin);
  } catch (const toml::parse_error& error) {
    problems.add(error.source().begin.line,
                 std::string("not valid TOML: ") + std::string(error.description()));
    throw ConfigError(problems.text());
  }
  GatewayConfig config = build_config(root, problems);
  if (!problems.empty()) throw ConfigError(problems.text());
  return config;
}

GatewayConfig load_config_file(const std::string& path) {
  std::ifstream file(path);
  if (!file) throw ConfigError(path + ": cannot open the config file\n");
  std::stringstream text;
  text << file.rdbuf();
  return load_config_text(text.str(), path);
}

namespace {

template <class T>
boost::json::object options_to_json(const T& values, const OptionTable<T>& table) {
  boost::json::object out;
  for (const auto& option : table) {
    std::visit(
        [&](auto member) {
          const auto& value = values.*member;
          if constexpr (std::is_same_v<std::remove_cvref_t<decltype(value)>, double>) {
            // NaN means "not set" (an optional threshold): JSON says that with null.
            if (std::isnan(value)) {
              out[option.key] = nullptr;
              return;
            }
          }
          out[option.key] = value;
        },
        option.member);
  }
  return out;
}

}  // namespace

std::string config_to_json(const GatewayConfig& config) {
  boost::json::object doc = options_to_json(config.gateway, gateway_option_table());
  doc["storage"] = options_to_json(config.storage, storage_option_table());
  doc["bundle"] = options_to_json(config.bundle, bundle_option_table());
  boost::json::object uplink = options_to_json(config.uplink, uplink_option_table());
  if (config.tls) uplink["tls"] = options_to_json(*config.tls, tls_option_table());
  if (config.uplink.provider == "aws")
    uplink["aws"] = options_to_json(config.aws, aws_option_table());
  if (config.uplink.provider == "azure") {
    uplink["azure"] = options_to_json(config.azure, azure_option_table());
  }
  doc["uplink"] = std::move(uplink);
  boost::json::object api = options_to_json(config.api, api_option_table());
  if (config.api.tls) api["tls"] = options_to_json(*config.api.tls, api_tls_option_table());
  doc["api"] = std::move(api);
  doc["ingest"] = options_to_json(config.ingest, ingest_option_table());
  boost::json::array series;
  for (const auto& s : config.series) series.push_back(options_to_json(s, series_option_table()));
  doc["series"] = std::move(series);
  boost::json::array adapters;
  for (const auto& adapter : config.adapters) {
    boost::json::object entry;
    entry["type"] = adapter.type;
    entry["name"] = adapter.name;
    auto put_values = [](boost::json::object& out, const auto& values) {
      for (const auto& [key, value] : values) {
        std::visit([&](const auto& v) { out[key] = v; }, value);
      }
    };
    put_values(entry, adapter.values);
    // Nested lists ([[adapters.registers]]) as arrays of objects, in file order.
    for (const auto& [key, tables] : adapter.lists) {
      boost::json::array list;
      for (const auto& table : tables) {
        boost::json::object item;
        put_values(item, table);
        list.push_back(std::move(item));
      }
      entry[key] = std::move(list);
    }
    adapters.push_back(std::move(entry));
  }
  doc["adapters"] = std::move(adapters);
  boost::json::array rules;
  for (const auto& rule : config.rules) {
    rules.push_back(options_to_json(rule, rules::rule_option_table()));
  }
  doc["rules"] = std::move(rules);
  return boost::json::serialize(doc);
}

namespace {

void render_section(std::ostringstream& out, const std::string& heading, const std::string& intro,
                    const std::vector<OptionDoc>& docs) {
  out << "## " << heading << "\n\n";
  if (!intro.empty()) out << intro << "\n\n";
  out << "| key | type | default | allowed | description |\n";
  out << "| --- | --- | --- | --- | --- |\n";
  for (const auto& doc : docs) {
    out << "| `" << doc.key << "` | " << doc.type << " | `" << doc.default_value << "` | "
        << doc.constraint << " | " << doc.description << " |\n";
  }
  out << "\n";
}

}  // namespace

std::string render_config_reference() {
  std::ostringstream out;
  out << "# Configuration reference\n\n"
         "<!-- Generated by `edgegw config-reference` from the tables the parser uses; "
         "a test fails when this file and the parser disagree. -->\n\n"
         "edgegw reads one TOML file (`edgegw run --config FILE`; check it with "
         "`edgegw check-config FILE`). Every key has a default except those marked required. "
         "Unknown keys and bad values are errors naming the key and the line.\n\n";
  render_section(out, "Top level", "", describe_options(gateway_option_table()));
  render_section(out, "[storage]",
                 "The durable SQLite buffer. `synchronous = \"full\"`: an accepted reading "
                 "survives a power cut. `\"normal\"`: it survives a crash of the process, but the "
                 "last transactions before a power cut may be lost.",
                 describe_options(storage_option_table()));
  render_section(out, "[bundle]", "", describe_options(bundle_option_table()));
  render_section(out, "[uplink]", "", describe_options(uplink_option_table()));
  render_section(out, "[uplink.tls]",
                 "Mutual TLS (1.2 or newer). Present means TLS is on; the server name is always "
                 "sent (SNI) and the broker's certificate is checked against the CA.",
                 describe_options(tls_option_table()));
  render_section(out, "[uplink.aws]", "For provider = \"aws\".",
                 describe_options(aws_option_table()));
  render_section(out, "[uplink.azure]", "For provider = \"azure\".",
                 describe_options(azure_option_table()));
  render_section(out, "[api]", "", describe_options(api_option_table()));
  render_section(out, "[api.tls]",
                 "HTTPS for the local API (TLS 1.2 or newer). Present means the API answers "
                 "HTTPS only, on api.listen.",
                 describe_options(api_tls_option_table()));
  render_section(out, "[ingest]", "", describe_options(ingest_option_table()));
  render_section(out, "[[series]]",
                 "Optional, one table per series: unit, resolution and valid range. Series an "
                 "adapter produces get their unit and resolution from the adapter unless listed "
                 "here.",
                 describe_options(series_option_table()));
  for (const auto& type : adapter_types()) {
    render_section(out, "[[adapters]] type = \"" + std::string(type.type) + "\"",
                   std::string(type.summary), type.options);
    for (const auto& list : type.lists) {
      render_section(
          out,
          "[[adapters." + std::string(list.key) + "]] (type = \"" + std::string(type.type) + "\")",
          std::string(list.summary), list.options);
    }
  }
  render_section(out, "[[rules]]",
                 "Optional, one table per rule; the gateway decides alarms from what the sensors "
                 "read. The keys a rule has decide its kind: above/below (threshold, with "
                 "clear_below/clear_above and for_s), drop/rise with within_s (change), "
                 "stale_after_s (no reading), adapter + offline_after_s (adapter down), all_of "
                 "with within_s (other rules together, e.g. weight_drop + motion = theft). Each "
                 "excursion publishes one alarm when raised and one when cleared.",
                 describe_options(rules::rule_option_table()));
  return out.str();
}

}  // namespace edgegw
