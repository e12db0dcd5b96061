#include "gateway/local_api.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "gateway/scale/calibration_setting.h"

namespace edgegw {

LocalApi::LocalApi(const LiveSettings& settings, SqliteBuffer& buffer, Ingest& ingest,
                   Uplink& uplink, const std::vector<std::unique_ptr<Adapter>>& adapters,
                   const StatusCollector& status, std::function<void()> armed_changed)
    : settings_(settings),
      buffer_(buffer),
      ingest_(ingest),
      uplink_(uplink),
      adapters_(adapters),
      status_(status),
      armed_changed_(std::move(armed_changed)) {}

void LocalApi::calibrate_scale(std::string_view name, std::optional<double> known_grams,
                               std::function<void(api::ScaleReply)> done) {
  using Status = api::ScaleReply::Status;
  Adapter* adapter = nullptr;
  for (const auto& candidate : adapters_) {
    if (candidate->name() == name) adapter = candidate.get();
  }
  if (!adapter) return done({.status = Status::unknown_adapter, .outcome = {}});
  Weigher* weigher = adapter->weigher();
  if (!weigher) return done({.status = Status::not_a_scale, .outcome = {}});
  api::ScaleReply reply{
      .status = Status::done,
      .outcome = known_grams ? weigher->calibrate(*known_grams) : weigher->tare()};
  if (!reply.outcome.ok) {
    reply.status = Status::refused;
    return done(std::move(reply));
  }
  spdlog::info("adapter {}: {} (offset {}, scale {} counts/g)", name,
               known_grams ? "calibrated" : "tared", reply.outcome.calibration.offset,
               reply.outcome.calibration.scale);
  // Stored on the storage thread, in the order the requests came; the answer waits for it.
  buffer_.post([this, key = calibration_setting_name(name), reply = std::move(reply),
                done = std::move(done)]() mutable {
    if (!buffer_.store_setting(key, calibration_setting_value(reply.outcome.calibration))) {
      spdlog::error("{}: storage refused it; it holds until a restart only", key);
      reply.status = api::ScaleReply::Status::not_stored;
    }
    done(std::move(reply));
  });
}

std::vector<api::SensorLatest> LocalApi::latest() const {
  std::vector<api::SensorLatest> out;
  for (const auto& reading : ingest_.recent().latest()) {
    auto info = buffer_.catalog().find(reading.series);
    if (!info) continue;
    out.push_back({.series = info->spec.name,
                   .unit = info->spec.unit,
                   .ts_ms = reading.ts_ms,
                   .value = reading.value});
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.series < b.series; });
  return out;
}

std::optional<std::vector<api::SensorPoint>> LocalApi::history(std::string_view series,
                                                               std::int64_t since_ms,
                                                               std::size_t limit) const {
  auto info = buffer_.catalog().find(std::string(series));
  if (!info) return std::nullopt;
  std::vector<api::SensorPoint> points;
  if (auto window = ingest_.recent().window(info->id, since_ms, limit)) {
    for (const auto& r : *window) points.push_back({.ts_ms = r.ts_ms, .value = r.value});
  }
  return points;
}

std::vector<api::AlarmView> LocalApi::alarms() const {
  std::vector<api::AlarmView> out;
  for (const auto& entry : ingest_.alarm_board().entries()) {
    out.push_back({.id = entry.alarm.id,
                   .kind = entry.alarm.kind,
                   .series = entry.alarm.series,
                   .ts_ms = entry.alarm.ts_ms,
                   .value = entry.alarm.value,
                   .message = entry.alarm.message,
                   .acked = entry.acknowledged,
                   .published = entry.published,
                   .alarm_state = std::string(alarm_state_name(entry.alarm.state)),
                   .severity = std::string(severity_name(entry.alarm.severity)),
                   .threshold = entry.alarm.threshold,
                   .first_ts_ms = entry.alarm.first_ts_ms});
  }
  return out;
}

}  // namespace edgegw
