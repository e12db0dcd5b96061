#include "gateway/scale/calibration_setting.h"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>

namespace edgegw {

namespace json = boost::json;

std::string calibration_setting_name(std::string_view adapter) {
  return "adapter." + std::string(adapter) + ".calibration";
}

std::string calibration_setting_value(const ScaleCalibration& calibration) {
  return json::serialize(
      json::object{{"offset", calibration.offset}, {"scale", calibration.scale}});
}

std::optional<ScaleCalibration> parse_calibration_setting(std::string_view value) {
  json::error_code ec;
  const json::value parsed = json::parse(value, ec);
  const json::object* object = ec ? nullptr : parsed.if_object();
  if (!object) return std::nullopt;
  const auto number = [object](std::string_view key) -> std::optional<double> {
    const json::value* found = object->if_contains(key);
    if (!found || !found->is_number()) return std::nullopt;
    return found->to_number<double>();
  };
  const auto offset = number("offset");
  const auto scale = number("scale");
  if (!offset || !scale) return std::nullopt;
  const ScaleCalibration calibration{.offset = *offset, .scale = *scale};
  if (!calibration.usable()) return std::nullopt;
  return calibration;
}

void restore_calibrations(SqliteBuffer& buffer,
                          const std::vector<std::unique_ptr<Adapter>>& adapters) {
  for (const auto& adapter : adapters) {
    Weigher* weigher = adapter->weigher();
    if (!weigher) continue;
    const auto stored = buffer.setting(calibration_setting_name(adapter->name()));
    if (!stored) continue;
    if (const auto calibration = parse_calibration_setting(*stored)) {
      weigher->set_calibration(*calibration);
      spdlog::info("adapter {}: stored calibration in use (offset {}, scale {} counts/g)",
                   adapter->name(), calibration->offset, calibration->scale);
    } else {
      spdlog::warn(
          "adapter {}: the stored calibration {} is unreadable; the configured offset "
          "and scale are used until the next tare",
          adapter->name(), *stored);
    }
  }
}

}  // namespace edgegw
