#include "gateway/billing/metering.h"

#include <algorithm>

namespace edgegw::billing {
namespace {

constexpr std::string_view kAzureEventsMarker = "/messages/events/";

bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/// Length of a URL-encoded text once decoded: each valid %XX is one byte.
std::int64_t decoded_length(std::string_view text) {
  std::int64_t length = 0;
  for (std::size_t i = 0; i < text.size(); ++i, ++length) {
    if (text[i] == '%' && i + 2 < text.size() && is_hex(text[i + 1]) && is_hex(text[i + 2])) {
      i += 2;
    }
  }
  return length;
}

/// What AWS meters of the MQTT 5 properties of a PUBLISH. AWS IoT Core pricing, "Additional
/// details" (aws.amazon.com/iot-core/pricing/additional-details/): PUBLISH is "metered on the
/// size of the payload and topic in bytes"; for MQTT 5 also the user properties, response
/// topic, correlation data and content type.
std::int64_t aws_property_bytes(const Envelope& envelope) {
  std::int64_t bytes =
      static_cast<std::int64_t>(envelope.content_type.size() + envelope.response_topic.size() +
                                envelope.correlation_data.size());
  for (const auto& [name, value] : envelope.user_properties) {
    bytes += static_cast<std::int64_t>(name.size() + value.size());
  }
  return bytes;
}

}  // namespace

std::string_view provider_name(Provider provider) {
  switch (provider) {
    case Provider::aws:
      return "aws";
    case Provider::azure:
      return "azure";
    case Provider::generic:
      break;
  }
  return "generic";
}

AzurePropertyBag azure_property_bag(std::string_view topic) {
  // devices/<id>/messages/events/...: the id cannot hold a '/', so the first marker is it.
  if (!topic.starts_with("devices/")) return {};
  const auto at = topic.find(kAzureEventsMarker);
  if (at == std::string_view::npos) return {};
  return {.is_events = true, .bag = topic.substr(at + kAzureEventsMarker.size())};
}

std::int64_t azure_property_bytes(std::string_view bag) {
  // Microsoft, "Create and read IoT Hub messages", Message size: "the sum of the body size in
  // bytes, plus the size in bytes of all the values of the message system properties, plus the
  // size in bytes of all user property names and values". The hub meters what it decodes.
  std::int64_t bytes = 0;
  while (!bag.empty()) {
    const auto amp = bag.find('&');
    const std::string_view pair = bag.substr(0, amp);
    bag = amp == std::string_view::npos ? std::string_view{} : bag.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    const std::string_view name = pair.substr(0, eq);
    const std::string_view value =
        eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
    if (!name.starts_with("$.")) bytes += decoded_length(name);
    bytes += decoded_length(value);
  }
  return bytes;
}

MeteringModel MeteringModel::aws() {
  return {Provider::aws, kAwsUnitBytes};
}

MeteringModel MeteringModel::azure(std::string device_id, std::int64_t stamp_allowance_bytes) {
  MeteringModel model(Provider::azure, kAzureUnitBytes);
  model.azure_device_id_ = std::move(device_id);
  model.azure_stamp_allowance_ = std::max<std::int64_t>(0, stamp_allowance_bytes);
  return model;
}

MeteringModel MeteringModel::generic(std::int64_t unit_bytes) {
  return {Provider::generic, std::max<std::int64_t>(1, unit_bytes)};
}

MeteredSize MeteringModel::metered(std::int64_t payload_bytes, const Envelope& envelope) const {
  MeteredSize size{.payload = payload_bytes};
  switch (provider_) {
    case Provider::aws:
      size.topic = static_cast<std::int64_t>(envelope.topic.size());
      size.properties = aws_property_bytes(envelope);
      break;
    case Provider::azure:
      // IoT Hub meters the message, not the MQTT packet: the topic is only its address, but
      // the property bag in it becomes the message's properties.
      if (const AzurePropertyBag bag = azure_property_bag(envelope.topic); bag.is_events) {
        size.properties = azure_property_bytes(bag.bag);
        // Stamped on every device-to-cloud message: iothub-connection-device-id holds the
        // device id; the rest is the allowance (see kAzureDefaultStampAllowance).
        size.allowance =
            static_cast<std::int64_t>(azure_device_id_.size()) + azure_stamp_allowance_;
      }
      break;
    case Provider::generic:
      size.topic = static_cast<std::int64_t>(envelope.topic.size());
      break;
  }
  return size;
}

std::int64_t MeteringModel::units(std::int64_t payload_bytes, const Envelope& envelope) const {
  const std::int64_t bytes = metered(payload_bytes, envelope).total();
  return std::max<std::int64_t>(1, (bytes + unit_bytes_ - 1) / unit_bytes_);
}

std::int64_t MeteringModel::payload_budget(const Envelope& envelope) const {
  return std::max<std::int64_t>(0, unit_bytes_ - metered(0, envelope).total());
}

std::string MeteringModel::describe() const {
  switch (provider_) {
    case Provider::aws:
      return "AWS IoT Core: payload + topic (+ MQTT 5 properties) in 5120-byte units";
    case Provider::azure:
      return "Azure IoT Hub: body + property bag + " +
             std::to_string(azure_device_id_.size() + azure_stamp_allowance_) +
             " bytes stamped by the hub, in 4096-byte blocks";
    case Provider::generic:
      break;
  }
  return "generic broker: payload + topic in " + std::to_string(unit_bytes_) + "-byte units";
}

}  // namespace edgegw::billing
