#include "gateway/uplink/cloud_profile.h"

#include <algorithm>
#include <vector>

#include "gateway/uplink/azure_sas.h"

namespace edgegw {
namespace {

// What UplinkOptions{} holds; a value equal to it means "left at the default".
const UplinkOptions kUplinkDefaults{};

double shaping(double configured, double provider_default) {
  if (configured < 0) return provider_default;
  return configured;  // 0 stays 0: unlimited
}

bool valid_rule_name(const std::string& name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

std::string azure_device_id(const GatewayConfig& config) {
  return config.uplink.azure.device_id.empty() ? config.gateway.gateway_id
                                               : config.uplink.azure.device_id;
}

void fill_common(const GatewayConfig& config, CloudProfile& profile) {
  const auto& uplink = config.uplink;
  profile.provider = uplink.provider;
  profile.host = uplink.host;
  profile.port = static_cast<int>(uplink.port);
  profile.use_tls = config.uplink.tls.has_value();
  if (config.uplink.tls) profile.tls = *config.uplink.tls;
  profile.client_id = uplink.client_id.empty() ? config.gateway.gateway_id : uplink.client_id;
  profile.username = uplink.username;
  profile.password_file = uplink.password_file;
  profile.keepalive_s = static_cast<int>(uplink.keepalive_s);
  // IoT Hub speaks 3.1.1 only; mosquitto 2 and AWS IoT Core speak 5.
  const bool azure = uplink.provider == "azure";
  profile.mqtt_version =
      uplink.mqtt_version == "3.1.1" || (uplink.mqtt_version == "auto" && azure) ? 4 : 5;
  profile.reconnect_min_ms = uplink.reconnect_min_ms;
  profile.reconnect_max_ms = uplink.reconnect_max_ms;
}

void resolve_aws(const GatewayConfig& config, CloudProfile& profile,
                 std::vector<std::string>& problems) {
  const auto& aws = config.uplink.aws;
  const auto& uplink = config.uplink;
  bool endpoint_given = !aws.endpoint_prefix.empty() || !aws.region.empty();
  bool host_default = uplink.host == kUplinkDefaults.host;
  if (endpoint_given && (aws.endpoint_prefix.empty() || aws.region.empty())) {
    problems.push_back(
        "uplink.aws.endpoint_prefix and uplink.aws.region go together; set both (the host is "
        "<endpoint_prefix>-ats.iot.<region>.amazonaws.com) or neither and set uplink.host");
  }
  bool derived =
      endpoint_given && host_default && !aws.endpoint_prefix.empty() && !aws.region.empty();
  if (derived) {
    profile.host = aws.endpoint_prefix + "-ats.iot." + aws.region + ".amazonaws.com";
  }
  if (uplink.port == kUplinkDefaults.port) profile.port = 8883;
  if (derived && (!config.uplink.tls || config.uplink.tls->cert_file.empty() ||
                  config.uplink.tls->key_file.empty())) {
    problems.push_back(
        "uplink.provider = \"aws\" connects with an X.509 client certificate: add [uplink.tls] "
        "with cert_file and key_file");
  }
  if (uplink.client_id.empty() && !aws.thing_name.empty()) profile.client_id = aws.thing_name;
  profile.first_connection_may_drop = aws.jit_registration;

  if (!aws.basic_ingest_rule.empty() && !valid_rule_name(aws.basic_ingest_rule)) {
    problems.push_back("uplink.aws.basic_ingest_rule \"" + aws.basic_ingest_rule +
                       "\" is not an IoT rule name (letters, digits and _ only)");
  }
  profile.max_payload_bytes = kAwsMaxPayloadBytes;
  profile.max_publishes_per_s = shaping(uplink.max_publishes_per_s, kAwsPublishesPerSecond);
  profile.max_bytes_per_s = shaping(uplink.max_bytes_per_s, kAwsBytesPerSecond);
}

void resolve_azure(const GatewayConfig& config, CloudProfile& profile,
                   std::vector<std::string>& problems) {
  const auto& azure = config.uplink.azure;
  const auto& uplink = config.uplink;
  if (uplink.mqtt_version == "5") {
    problems.push_back(
        "uplink.mqtt_version = \"5\" with provider azure: IoT Hub speaks MQTT 3.1.1 only; "
        "leave it at \"auto\"");
  }
  // The hub by name, or by its host (what DPS assigns, stored in the identity).
  const bool host_given = uplink.host != kUplinkDefaults.host;
  if (azure.hub.empty() && !host_given) {
    problems.push_back(
        "uplink.provider = \"azure\" needs uplink.azure.hub (the part before "
        ".azure-devices.net), or the hub's host in uplink.host");
  }
  const std::string device = azure_device_id(config);
  if (!uplink.client_id.empty() && uplink.client_id != device) {
    problems.push_back("uplink.client_id \"" + uplink.client_id +
                       "\" differs from the Azure device id \"" + device +
                       "\"; IoT Hub requires the client id to be the device id (leave "
                       "uplink.client_id empty)");
  }
  if (!uplink.username.empty() || !uplink.password_file.empty()) {
    problems.push_back(
        "uplink.username and uplink.password_file are not used with azure: the "
        "username is derived from the hub and device, the password is a SAS "
        "token or absent (x509)");
  }
  const std::string hub_host = azure.hub.empty() ? uplink.host : azure.hub + ".azure-devices.net";
  if (!host_given) profile.host = hub_host;
  if (uplink.port == kUplinkDefaults.port) profile.port = 8883;
  // IoT Hub only speaks MQTT over TLS; without [uplink.tls] the system trust store is used.
  profile.use_tls = true;
  profile.client_id = device;
  profile.username = hub_host + "/" + device + "/?api-version=" + std::string(kAzureApiVersion);
  profile.password_file.clear();

  if (azure.auth == "x509") {
    if (!config.uplink.tls || config.uplink.tls->cert_file.empty() ||
        config.uplink.tls->key_file.empty()) {
      problems.push_back(
          "uplink.azure.auth = \"x509\" needs [uplink.tls] with cert_file and "
          "key_file");
    }
  } else if (azure.auth == "sas") {
    if (azure.device_key_file.empty()) {
      problems.push_back("uplink.azure.auth = \"sas\" needs uplink.azure.device_key_file");
    }
    if (config.uplink.tls &&
        (!config.uplink.tls->cert_file.empty() || !config.uplink.tls->key_file.empty())) {
      problems.push_back(
          "uplink.azure.auth = \"sas\" authenticates with a token: drop "
          "cert_file and key_file from [uplink.tls] or use auth = \"x509\"");
    }
    profile.sas = SasCredentials{.resource_uri = hub_host + "/devices/" + device,
                                 .key_file = azure.device_key_file,
                                 .ttl_s = azure.sas_ttl_s,
                                 .renew_at_fraction = 0.8,
                                 .key_name = {}};
  } else {
    problems.push_back("uplink.azure.auth must be \"x509\" or \"sas\"");
  }

  profile.max_payload_bytes = kAzureMaxPayloadBytes;
  double tier_rate = azure_tier_publishes_per_second(azure.tier);
  profile.max_publishes_per_s = shaping(uplink.max_publishes_per_s, tier_rate);
  // Azure throttles messages, not bytes; a full 4 KB chunk per allowed message is the bound.
  profile.max_bytes_per_s =
      shaping(uplink.max_bytes_per_s, tier_rate * static_cast<double>(billing::kAzureUnitBytes));
}

void resolve_generic(const GatewayConfig& config, CloudProfile& profile,
                     std::vector<std::string>& problems) {
  if (config.uplink.tls &&
      config.uplink.tls->cert_file.empty() != config.uplink.tls->key_file.empty()) {
    problems.push_back("[uplink.tls] cert_file and key_file go together; set both or neither");
  }
  profile.max_payload_bytes = kMqttMaxPayloadBytes;
  profile.max_publishes_per_s = shaping(config.uplink.max_publishes_per_s, 0);
  profile.max_bytes_per_s = shaping(config.uplink.max_bytes_per_s, 0);
}

}  // namespace

std::string CloudProfile::server_uri() const {
  // A bracketed IPv6 literal keeps the port separator unambiguous.
  std::string printable_host = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return std::string(use_tls ? "ssl://" : "tcp://") + printable_host + ":" + std::to_string(port);
}

std::size_t CloudProfile::payload_budget_bytes() const {
  const auto budget = static_cast<std::size_t>(metering.payload_budget({.topic = telemetry_topic}));
  return std::min(budget, max_payload_bytes);
}

std::optional<billing::Provider> parse_provider(std::string_view name) {
  for (auto provider :
       {billing::Provider::aws, billing::Provider::azure, billing::Provider::generic}) {
    if (name == billing::provider_name(provider)) return provider;
  }
  return std::nullopt;
}

ProviderTopics provider_topics(const GatewayConfig& config, billing::Provider provider) {
  const std::string telemetry = config.expand_topic(config.uplink.telemetry_topic);
  const std::string alarms = config.expand_topic(config.uplink.alarm_topic);
  switch (provider) {
    case billing::Provider::aws: {
      // Basic Ingest: the same topic behind the rule's prefix, which AWS meters with the rest.
      const std::string& rule = config.uplink.aws.basic_ingest_rule;
      const std::string prefix = rule.empty() ? "" : "$aws/rules/" + rule + "/";
      return {billing::MeteringModel::aws(), prefix + telemetry, prefix + alarms};
    }
    case billing::Provider::azure: {
      // Device-to-cloud messages go to the events topic; the property bag after it carries the
      // content type (URL-encoded, Azure's "$.ct"/"$.ce" system properties) and, for alarms,
      // an application property that routes can filter on. IoT Hub meters all of it.
      const std::string device = azure_device_id(config);
      const std::string events = "devices/" + device + "/messages/events/";
      std::string bag = "$.ct=" + url_encode("application/x-protobuf");
      if (config.bundle.encoding == "proto+zstd") bag += "&$.ce=zstd";
      return {billing::MeteringModel::azure(device, config.uplink.azure.stamp_allowance_bytes),
              events + bag, events + bag + "&edgegw-kind=alarm"};
    }
    case billing::Provider::generic:
      break;
  }
  return {billing::MeteringModel::generic(config.bundle.unit_bytes), telemetry, alarms};
}

double azure_tier_publishes_per_second(std::string_view tier) {
  if (tier == "B2" || tier == "S2") return 120;
  if (tier == "B3" || tier == "S3") return 6000;
  return 100;  // B1, S1 (the higher of 100/s and 12/s per unit)
}

CloudProfile resolve_profile(const GatewayConfig& config) {
  CloudProfile profile;
  fill_common(config, profile);
  std::vector<std::string> problems;
  const auto provider = parse_provider(config.uplink.provider);
  if (provider) {
    ProviderTopics topics = provider_topics(config, *provider);
    profile.metering = std::move(topics.metering);
    profile.telemetry_topic = std::move(topics.telemetry_topic);
    profile.alarm_topic = std::move(topics.alarm_topic);
  }
  if (config.uplink.command_topic.empty()) {
    // Commands off, direct methods too.
  } else if (provider == billing::Provider::azure) {
    profile.command_filter = "$iothub/methods/POST/#";
  } else {
    profile.command_filter = config.expand_topic(config.uplink.command_topic);
    profile.response_topic = config.expand_topic(config.uplink.response_topic);
    if (profile.response_topic.empty() ||
        profile.response_topic.find_first_of("+#") != std::string::npos) {
      problems.push_back("uplink.response_topic \"" + config.uplink.response_topic +
                         "\" must be a topic (not empty, no + or #) while commands are on");
    }
  }
  switch (provider.value_or(billing::Provider::generic)) {
    case billing::Provider::aws:
      resolve_aws(config, profile, problems);
      break;
    case billing::Provider::azure:
      resolve_azure(config, profile, problems);
      break;
    case billing::Provider::generic:
      resolve_generic(config, profile, problems);
      break;
  }
  if (!provider) {
    problems.push_back("uplink.provider \"" + config.uplink.provider +
                       "\" is not one of aws, azure, generic");
  }
  if (profile.client_id.empty()) {
    problems.push_back("no MQTT client id: set gateway_id or uplink.client_id");
  }
  if (profile.port < 1 || profile.port > 65535) {
    problems.push_back("uplink.port " + std::to_string(profile.port) + " is not a TCP port");
  }
  if (config.uplink.reconnect_min_ms > config.uplink.reconnect_max_ms) {
    problems.push_back("uplink.reconnect_min_ms is greater than uplink.reconnect_max_ms");
  }
  if (!problems.empty()) {
    std::string text;
    for (const auto& problem : problems) text += "uplink: " + problem + "\n";
    throw ConfigError(text);
  }
  return profile;
}

}  // namespace edgegw
