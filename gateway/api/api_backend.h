#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/weigher.h"
#include "gateway/ingest/ingest.h"
#include "gateway/status.h"

namespace edgegw::api {

/// The latest reading of one series (GET /api/v1/sensors).
struct SensorLatest {
  std::string series;
  std::string unit;  ///< from the [[series]] config; empty when not configured
  std::int64_t ts_ms = 0;
  double value = 0.0;
};

/// One reading of a series' recent window (GET /api/v1/sensors/{series}).
struct SensorPoint {
  std::int64_t ts_ms = 0;
  double value = 0.0;
};

/// One recent alarm (GET /api/v1/alarms).
struct AlarmView {
  std::int64_t id = 0;
  std::string kind;  ///< the rule that raised it, e.g. "weight_drop", "overload"
  std::string series;
  std::int64_t ts_ms = 0;
  double value = 0.0;
  std::string message;
  bool acked = false;      ///< acknowledged by a local operator (state "acked", else "open")
  bool published = false;  ///< the broker acknowledged its publish
  std::string alarm_state = "raised";  ///< "raised" | "cleared": the excursion's own state
  std::string severity = "warning";
  std::optional<double> threshold{};
  std::int64_t first_ts_ms = 0;
};

/// What a tare or a calibration of a load cell came to (POST /api/v1/adapters/{name}/tare and
/// /calibrate).
struct ScaleReply {
  enum class Status {
    done,             ///< in use and stored: it survives a restart
    unknown_adapter,  ///< 404
    not_a_scale,      ///< the adapter does not weigh: 409
    refused,          ///< the load cell could not do it now (outcome.error says why): 409
    not_stored,       ///< in use, but storage refused it: it holds until a restart only (503)
  };
  Status status = Status::done;
  CalibrationOutcome outcome;
};

/// What the HTTP API needs from the running gateway. The gateway implements it; tests fake it.
/// Handlers call it on the io_context thread, so every call must return without blocking.
class ApiBackend {
 public:
  virtual ~ApiBackend() = default;

  /// A cheap, thread-safe snapshot of counters and state.
  virtual GatewayStatus status() const = 0;
  /// Every reading of `batch` the pipeline would reject, with its index and reason.
  virtual std::vector<ReadingProblem> check(std::span<const NamedReading> batch) const = 0;
  /// Stores a checked batch whole or not at all; `done` may run on any thread, exactly once.
  virtual void submit(std::vector<NamedReading> batch, std::function<void(SubmitResult)> done) = 0;

  /// The latest reading of every series seen since start, from memory.
  virtual std::vector<SensorLatest> latest() const = 0;
  /// Up to `limit` readings of `series` with ts_ms >= since_ms, oldest first, the newest
  /// `limit` when there are more; nothing for a series the gateway does not know (404).
  virtual std::optional<std::vector<SensorPoint>> history(std::string_view series,
                                                          std::int64_t since_ms,
                                                          std::size_t limit) const = 0;
  /// Recent alarms, newest first.
  virtual std::vector<AlarmView> alarms() const = 0;
  /// Marks alarm `id` acknowledged by an operator; false for an unknown id (404).
  virtual bool ack_alarm(std::int64_t id) = 0;
  /// Asks the bundler to close the open bundle and the uplink to send now; returns at once.
  virtual void flush() = 0;
  /// Arms or disarms the alarm rules that depend on it.
  virtual void set_armed(bool armed) = 0;
  /// Tares the load cell of adapter `adapter` (no `known_grams`) or calibrates it to the known
  /// weight on it now, and stores the result; `done` may run on any thread, exactly once.
  virtual void calibrate_scale(std::string_view adapter, std::optional<double> known_grams,
                               std::function<void(ScaleReply)> done) = 0;
  /// The effective configuration as a JSON document, secrets redacted.
  virtual std::string config_json() const = 0;
};

}  // namespace edgegw::api
