#include "gateway/api/resource_handlers.h"

#include <boost/json.hpp>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "gateway/billing/cost_model.h"
#include "gateway/status_document.h"

namespace edgegw::api {
namespace {

namespace json = boost::json;

constexpr double kDaysPerMonth = 30.0;

HttpResponse json_ok(const json::value& value) {
  return json_response(200, json::serialize(value));
}

/// A whole decimal number and nothing else ("12", "-3"); no sign for unsigned targets.
template <class Int>
std::optional<Int> parse_integer(std::string_view text) {
  Int value{};
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

json::object alarm_json(const AlarmView& alarm) {
  return {{"id", alarm.id},
          {"kind", alarm.kind},
          {"series", alarm.series},
          {"ts_ms", alarm.ts_ms},
          {"value", alarm.value},
          {"message", alarm.message},
          {"state", alarm.acked ? "acked" : "open"},
          {"published", alarm.published},
          {"alarm_state", alarm.alarm_state},
          {"severity", alarm.severity},
          {"threshold", alarm.threshold ? json::value(*alarm.threshold) : json::value(nullptr)},
          {"first_ts_ms", alarm.first_ts_ms}};
}

}  // namespace

HttpResponse handle_readyz(const GatewayStatus& status, bool uplink_is_mqtt) {
  if (!status.storage_ok) {
    return json_error(503, "storage_failed", "the buffer's last write failed");
  }
  if (uplink_is_mqtt && !status.uplink_connected) {
    const std::string reason = status.uplink_last_error.empty()
                                   ? "the uplink is not connected to the broker"
                                   : "the uplink is not connected: " + status.uplink_last_error;
    return json_error(503, "uplink_disconnected", reason);
  }
  return json_response(200, R"({"status":"ready"})");
}

HttpResponse handle_status(const GatewayStatus& s) {
  return json_ok(status_document(s));
}

HttpResponse handle_cost(const GatewayStatus& s) {
  // Rates are extrapolated from the units counted since start; right after start they are
  // noisy, so the uptime they rest on is part of the answer.
  const double days = static_cast<double>(s.uptime_s) / billing::kSecondsPerDay;
  const double per_day = days > 0 ? static_cast<double>(s.billable_units) / days : 0.0;
  const double naive_per_day = days > 0 ? static_cast<double>(s.naive_units) / days : 0.0;
  json::object root{{"provider", s.provider},
                    {"uptime_s", s.uptime_s},
                    {"billable_units", s.billable_units},
                    {"naive_units", s.naive_units},
                    {"billable_units_per_day", per_day},
                    {"naive_units_per_day", naive_per_day},
                    {"days_per_month", kDaysPerMonth}};
  // What one full bundle is metered at and how the bytes add up, so a user can check the
  // packer fills exactly one unit of this provider.
  const billing::MeteredSize& full = s.full_bundle;
  root["metering"] =
      json::object{{"rule", s.metering_rule},
                   {"unit_bytes", s.metering_unit_bytes},
                   {"full_bundle", json::object{{"metered_bytes", full.total()},
                                                {"payload_bytes", full.payload},
                                                {"topic_bytes", full.topic},
                                                {"property_bytes", full.properties},
                                                {"allowance_bytes", full.allowance}}}};
  root["savings_factor"] =
      s.billable_units > 0
          ? json::value(static_cast<double>(s.naive_units) / static_cast<double>(s.billable_units))
          : json::value(nullptr);
  if (s.provider == "aws") {
    root["unit"] = "AWS IoT Core 5 KB message unit";
    root["plan"] = "list price per million units";
    root["usd_per_month"] = billing::aws_cost_usd(per_day * kDaysPerMonth);
    root["naive_usd_per_month"] = billing::aws_cost_usd(naive_per_day * kDaysPerMonth);
  } else if (s.provider == "azure") {
    // Azure bills whole hub units by daily quota, so the tier matters; the snapshot does not
    // carry the configured one, hence the cheapest standard tier for each rate.
    const auto tier = billing::cheapest_azure_tier(per_day, /*standard_only=*/true);
    const auto naive_tier = billing::cheapest_azure_tier(naive_per_day, /*standard_only=*/true);
    root["unit"] = "Azure IoT Hub 4 KB message block";
    root["plan"] = std::string(billing::azure_tier_info(tier).name) + " x " +
                   std::to_string(billing::azure_units_needed(per_day, tier));
    root["naive_plan"] = std::string(billing::azure_tier_info(naive_tier).name) + " x " +
                         std::to_string(billing::azure_units_needed(naive_per_day, naive_tier));
    root["usd_per_month"] = billing::azure_monthly_cost_usd(per_day, tier);
    root["naive_usd_per_month"] = billing::azure_monthly_cost_usd(naive_per_day, naive_tier);
  } else {
    // A self-hosted broker has no price list to apply.
    root["unit"] = "bundle unit of payload";
    root["plan"] = nullptr;
    root["usd_per_month"] = nullptr;
    root["naive_usd_per_month"] = nullptr;
  }
  return json_ok(root);
}

HttpResponse handle_sensors(const ApiBackend& backend) {
  json::array sensors;
  for (const auto& sensor : backend.latest()) {
    sensors.push_back(json::object{{"series", sensor.series},
                                   {"unit", sensor.unit},
                                   {"ts_ms", sensor.ts_ms},
                                   {"value", sensor.value}});
  }
  return json_ok(json::object{{"sensors", std::move(sensors)}});
}

HttpResponse handle_sensor_history(const HttpRequest& request, const ApiBackend& backend) {
  const auto series = request.path_param("series");
  if (!series || series->empty()) return json_error(404, "unknown_series", "no series named");

  std::int64_t since_ms = 0;
  if (const auto since = request.query_param("since")) {
    const auto parsed = *since ? parse_integer<std::int64_t>(**since) : std::nullopt;
    if (!parsed) {
      return json_error(400, "invalid_parameter", "since must be a timestamp in milliseconds");
    }
    since_ms = *parsed;
  }
  std::size_t limit = kDefaultHistoryLimit;
  if (const auto text = request.query_param("limit")) {
    const auto parsed = *text ? parse_integer<std::size_t>(**text) : std::nullopt;
    if (!parsed || *parsed == 0 || *parsed > kMaxHistoryLimit) {
      return json_error(
          400, "invalid_parameter",
          "limit must be a whole number from 1 to " + std::to_string(kMaxHistoryLimit));
    }
    limit = *parsed;
  }

  const auto points = backend.history(*series, since_ms, limit);
  if (!points) {
    return json_error(404, "unknown_series", "no series named \"" + std::string(*series) + "\"");
  }
  json::array out;
  out.reserve(points->size());
  for (const auto& point : *points) {
    out.push_back(json::object{{"ts_ms", point.ts_ms}, {"value", point.value}});
  }
  return json_ok(json::object{{"series", *series}, {"points", std::move(out)}});
}

HttpResponse handle_alarms(const HttpRequest& request, const ApiBackend& backend) {
  bool open_only = false;
  if (const auto state = request.query_param("state")) {
    if (*state == "open") {
      open_only = true;
    } else if (*state != "all") {
      return json_error(400, "invalid_parameter", "state must be \"open\" or \"all\"");
    }
  }
  json::array alarms;
  for (const auto& alarm : backend.alarms()) {
    if (open_only && alarm.acked) continue;
    alarms.push_back(alarm_json(alarm));
  }
  return json_ok(json::object{{"alarms", std::move(alarms)}});
}

HttpResponse handle_ack_alarm(const HttpRequest& request, ApiBackend& backend) {
  const auto text = request.path_param("id");
  const auto id = text ? parse_integer<std::int64_t>(*text) : std::nullopt;
  if (!id) return json_error(400, "invalid_parameter", "the alarm id must be a whole number");
  if (!backend.ack_alarm(*id)) {
    return json_error(404, "unknown_alarm", "no alarm with id " + std::to_string(*id));
  }
  return json_ok(json::object{{"id", *id}, {"state", "acked"}});
}

HttpResponse handle_flush(ApiBackend& backend) {
  backend.flush();
  // The flush runs on the pipeline; the answer only says it was asked for.
  return json_response(202, R"({"flush":"requested"})");
}

HttpResponse handle_put_armed(const HttpRequest& request, ApiBackend& backend) {
  if (!is_json_content_type(request.header("Content-Type").value_or(""))) {
    return json_error(415, "unsupported_media_type", "send Content-Type: application/json");
  }
  json::error_code ec;
  const auto body = json::parse(request.body, ec);
  if (ec) return json_error(400, "malformed_json", "the body is not JSON: " + ec.message());
  const auto* object = body.if_object();
  const auto* armed = object ? object->if_contains("armed") : nullptr;
  if (!armed || !armed->is_bool() || object->size() != 1) {
    return json_error(400, "invalid_body",
                      R"(the body must be {"armed": true} or {"armed": false})");
  }
  backend.set_armed(armed->as_bool());
  return json_ok(json::object{{"armed", armed->as_bool()}});
}

HttpResponse handle_config(const ApiBackend& backend) {
  return json_response(200, backend.config_json());
}

namespace {

/// The answer to a tare or a calibration, from what the backend made of it.
HttpResponse scale_response(std::string_view adapter, const ScaleReply& reply) {
  using Status = ScaleReply::Status;
  const std::string name(adapter);
  switch (reply.status) {
    case Status::unknown_adapter:
      return json_error(404, "unknown_adapter", "no adapter named \"" + name + "\"");
    case Status::not_a_scale:
      return json_error(409, "not_a_load_cell",
                        "adapter \"" + name + "\" does not weigh: only load cells are tared");
    case Status::refused:
      return json_error(409, "calibration_refused", reply.outcome.error);
    case Status::done:
    case Status::not_stored:
      break;
  }
  json::object body{{"adapter", name},
                    {"offset", reply.outcome.calibration.offset},
                    {"scale", reply.outcome.calibration.scale},
                    {"raw_counts", reply.outcome.raw},
                    {"stored", reply.status == Status::done}};
  if (reply.status == Status::not_stored) {
    body["error"] = json::object{
        {"code", "not_stored"},
        {"message", "in use, but storage refused to keep it: it holds until a restart only"}};
    return json_response(503, json::serialize(body));
  }
  return json_ok(std::move(body));
}

void calibrate(const HttpRequest& request, ApiBackend& backend, std::optional<double> known_grams,
               Reply reply) {
  const std::string adapter(request.path_param("name").value_or(""));
  backend.calibrate_scale(adapter, known_grams,
                          [adapter, reply = std::move(reply)](ScaleReply result) {
                            reply(scale_response(adapter, result));
                          });
}

}  // namespace

void handle_tare(const HttpRequest& request, ApiBackend& backend, Reply reply) {
  calibrate(request, backend, std::nullopt, std::move(reply));
}

void handle_calibrate(const HttpRequest& request, ApiBackend& backend, Reply reply) {
  if (!is_json_content_type(request.header("Content-Type").value_or(""))) {
    reply(json_error(415, "unsupported_media_type", "send Content-Type: application/json"));
    return;
  }
  json::error_code ec;
  const auto body = json::parse(request.body, ec);
  if (ec) {
    reply(json_error(400, "malformed_json", "the body is not JSON: " + ec.message()));
    return;
  }
  const auto* object = body.if_object();
  const auto* grams = object ? object->if_contains("known_grams") : nullptr;
  const double known = grams && grams->is_number() ? grams->to_number<double>() : 0.0;
  if (!grams || !grams->is_number() || object->size() != 1 || !std::isfinite(known) ||
      known <= 0.0) {
    reply(json_error(400, "invalid_body",
                     R"(the body must be {"known_grams": <the weight on the scale, above 0>})"));
    return;
  }
  calibrate(request, backend, known, std::move(reply));
}

}  // namespace edgegw::api
