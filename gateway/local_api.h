#pragma once

#include <memory>
#include <vector>

#include "adapters/adapter.h"
#include "gateway/api/api_backend.h"
#include "gateway/config/config.h"
#include "gateway/ingest/ingest.h"
#include "gateway/live_settings.h"
#include "gateway/status_collector.h"
#include "gateway/uplink/uplink.h"
#include "storage/sqlite_buffer.h"

namespace edgegw {

/// What the local REST API (and the page) asks of the running gateway, answered from its
/// parts. Every part outlives it.
class LocalApi final : public api::ApiBackend {
 public:
  /// `armed_changed` runs after PUT /api/v1/armed (the shadow reports it).
  LocalApi(const LiveSettings& settings, SqliteBuffer& buffer, Ingest& ingest, Uplink& uplink,
           const std::vector<std::unique_ptr<Adapter>>& adapters, const StatusCollector& status,
           std::function<void()> armed_changed = {});

  GatewayStatus status() const override { return status_.collect(); }
  std::vector<ReadingProblem> check(std::span<const NamedReading> batch) const override {
    return ingest_.check(batch);
  }
  void submit(std::vector<NamedReading> batch, std::function<void(SubmitResult)> done) override {
    ingest_.submit(std::move(batch), std::move(done));
  }
  std::vector<api::SensorLatest> latest() const override;
  std::optional<std::vector<api::SensorPoint>> history(std::string_view series,
                                                       std::int64_t since_ms,
                                                       std::size_t limit) const override;
  std::vector<api::AlarmView> alarms() const override;
  bool ack_alarm(std::int64_t id) override { return ingest_.alarm_board().acknowledge(id); }
  /// Closes the open bundle now.
  void flush() override { uplink_.request_flush(); }
  void set_armed(bool armed) override {
    ingest_.set_armed(armed);
    if (armed_changed_) armed_changed_();
  }
  /// The configuration in force, with what changed live (LiveSettings::config_json).
  std::string config_json() const override { return settings_.config_json(); }
  void calibrate_scale(std::string_view adapter, std::optional<double> known_grams,
                       std::function<void(api::ScaleReply)> done) override;

 private:
  const LiveSettings& settings_;
  SqliteBuffer& buffer_;
  Ingest& ingest_;
  Uplink& uplink_;
  const std::vector<std::unique_ptr<Adapter>>& adapters_;
  const StatusCollector& status_;
  std::function<void()> armed_changed_;
};

}  // namespace edgegw
