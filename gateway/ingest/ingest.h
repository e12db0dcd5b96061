#pragma once

#include <array>
#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "adapters/adapter.h"
#include "gateway/ingest/alarm_board.h"
#include "gateway/ingest/recent_readings.h"
#include "gateway/model/clock.h"
#include "gateway/rules/rules_engine.h"
#include "storage/sqlite_buffer.h"

namespace edgegw {

/// Why a reading was not accepted. Each reason is a label of edgegw_readings_rejected_total.
enum class RejectReason : std::uint8_t {
  not_finite,        ///< NaN or infinity
  out_of_range,      ///< outside the series' configured [min, max]
  future_timestamp,  ///< stamped further ahead than ingest.max_future_s
  stale_timestamp,   ///< stamped further back than ingest.max_past_days
  unknown_series,    ///< a series id the buffer never registered
  storage_full,      ///< the buffer could not make room (disk full, nothing left to shed)
  storage_failed,    ///< SQLite reported another error; see the log
};
inline constexpr std::size_t kRejectReasonCount = 7;
std::string_view reject_reason_name(RejectReason reason);

/// A reading as a local device posts it: the series by name.
struct NamedReading {
  std::string series;
  std::int64_t ts_ms = 0;
  double value = 0.0;
  /// What the device says of its own reading; the bundle marks all but good ones.
  Quality quality = Quality::good;
};

/// One bad reading of a posted batch: its index in the batch and why.
struct ReadingProblem {
  std::size_t index = 0;
  RejectReason reason = RejectReason::not_finite;
};

/// How a posted batch ended.
enum class SubmitResult {
  accepted,      ///< every reading is durable
  busy,          ///< the buffer's queue is full; nothing was stored, try again shortly
  storage_full,  ///< nothing could be shed to make room; nothing was stored
  failed,        ///< SQLite failed; nothing was stored
};

/// Valid range of one series; series without limits accept any finite value.
struct SeriesLimits {
  double min = -1e308;
  double max = 1e308;
};

/// The front door of the pipeline, one path for adapters and posted batches alike: validate,
/// hand to the buffer, and once committed (on the storage thread, which owns the rules' state)
/// show the readings on the recent-readings ring and run the rules, which raise and clear
/// alarms. Counts what it rejects and why.
class Ingest final : public ReadingSink {
 public:
  Ingest(SqliteBuffer& buffer, const Clock& clock, std::int64_t max_future_ms,
         std::int64_t max_past_ms, const std::vector<rules::RuleOptions>& rules = {});
  /// Commits what is still queued first: each queued batch's callback refers to this object.
  ~Ingest();
  Ingest(const Ingest&) = delete;
  Ingest& operator=(const Ingest&) = delete;

  void set_limits(SeriesId series, SeriesLimits limits) { limits_[series] = limits; }
  /// An adapter's series: a reading of it at a threshold rule's level is committed at once
  /// (storage.flush_interval_ms) rather than after storage.adapter_flush_interval_ms, so that
  /// the alarm it may raise does not wait for the adapters' commit. Call before adapters start.
  void watch_alarm_levels(SeriesId series, const std::string& name);
  /// A rule's thresholds changed while running (RulesEngine::retune), on the storage thread
  /// like every other touch of the rules.
  void retune_rule(rules::RuleOptions options);

  /// Why `reading` would be rejected, or nothing if it is valid.
  std::optional<RejectReason> check(const Reading& reading) const;

  bool offer(std::span<const Reading> readings) override;
  /// Stores an alarm decided elsewhere (a test, later a cloud command) as it is and publishes
  /// it. Blocks until stored; not for the storage thread's own callers.
  void raise_alarm(Alarm alarm);
  /// Lets time-based rules (stale series, offline adapters) look at the clock; the gateway
  /// calls it once a second when ticks_needed(). Never blocks: the rules run on the storage
  /// thread.
  void tick();
  /// Whether any rule is time-based: without one the gateway does not tick, and nothing wakes
  /// once a second for nothing.
  bool ticks_needed() const { return rules_.watches_time(); }
  /// How offline rules learn whether an adapter is up. Set before the first tick.
  void set_adapter_up(rules::RulesEngine::AdapterUp adapter_up) {
    adapter_up_ = std::move(adapter_up);
  }

  /// Called after each alarm is stored, to publish it at once. Set before adapters start.
  void set_alarm_listener(std::function<void()> listener) { alarm_listener_ = std::move(listener); }
  /// Alarms raised (stored) so far, by kind.
  std::map<std::string, std::uint64_t> alarms_raised_by_kind() const {
    std::lock_guard lock(alarm_kinds_mutex_);
    return alarms_by_kind_;
  }
  std::uint64_t alarms_raised() const {
    std::uint64_t total = 0;
    for (const auto& [kind, count] : alarms_raised_by_kind()) total += count;
    return total;
  }
  /// Armed: rules marked armed_only count. Disarming (the owner is at the box) clears their
  /// alarms. Persisted: a restart keeps it. Never blocks: stored on the storage thread.
  void set_armed(bool armed);
  bool armed() const { return armed_.load(std::memory_order_relaxed); }
  /// Whether the buffer took the last batch it was given (for readiness).
  bool storage_ok() const { return storage_ok_.load(std::memory_order_relaxed); }

  const RecentReadings& recent() const { return recent_; }
  AlarmBoard& alarm_board() { return alarm_board_; }
  const AlarmBoard& alarm_board() const { return alarm_board_; }

  /// Every reading of `batch` that would be rejected, with the reason. A posted batch is
  /// stored whole or not at all, so the caller rejects it if this is not empty.
  std::vector<ReadingProblem> check(std::span<const NamedReading> batch) const;

  /// Stores a checked batch, registering series names seen for the first time (lossless,
  /// no unit). Never blocks: `done` runs on the storage thread once the batch is durable or
  /// refused. Rejections found later (a full disk) are counted like offer()'s.
  void submit(std::vector<NamedReading> batch, std::function<void(SubmitResult)> done);

  std::uint64_t accepted() const { return accepted_.load(std::memory_order_relaxed); }
  std::uint64_t rejected(RejectReason reason) const {
    return rejected_[static_cast<std::size_t>(reason)].load(std::memory_order_relaxed);
  }
  std::uint64_t refused_batches() const { return refused_batches_.load(std::memory_order_relaxed); }

 private:
  std::optional<RejectReason> check_value(std::optional<SeriesId> series, double value,
                                          std::int64_t ts_ms) const;
  /// The one way into the buffer: appends `valid`, and once it is committed counts it, shows it
  /// and runs the rules on it (storage thread); then `done`. False: the queue was full.
  bool accept(std::vector<Reading> valid, std::function<void(AppendStatus)> done,
              SqliteBuffer::Waiter waiter);
  /// Stores an alarm, shows it on the board and wakes the uplink; returns its id (0: not
  /// stored). Runs on the storage thread, or blocks until it has.
  std::int64_t store_alarm(Alarm alarm);
  /// Counts a batch's fate once the buffer has decided it.
  void count_append(AppendStatus status, std::uint64_t n);
  void count_rejected(RejectReason reason, std::uint64_t n) {
    rejected_[static_cast<std::size_t>(reason)].fetch_add(n, std::memory_order_relaxed);
  }

  SqliteBuffer& buffer_;
  const Clock& clock_;
  std::int64_t max_future_ms_;
  std::int64_t max_past_ms_;
  std::unordered_map<SeriesId, SeriesLimits> limits_;  // filled before adapters start
  /// Filled before adapters start; a retuned rule changes the levels in place.
  struct WatchedLevels {
    std::string series;
    std::atomic<double> high;
    std::atomic<double> low;
  };
  std::unordered_map<SeriesId, WatchedLevels> alarm_levels_;
  std::atomic<std::uint64_t> accepted_{0};
  std::array<std::atomic<std::uint64_t>, kRejectReasonCount> rejected_{};
  std::atomic<std::uint64_t> refused_batches_{0};
  mutable std::mutex alarm_kinds_mutex_;
  std::map<std::string, std::uint64_t> alarms_by_kind_;
  std::atomic<bool> armed_{true};
  std::atomic<bool> storage_ok_{true};
  RecentReadings recent_;
  AlarmBoard alarm_board_;
  std::function<void()> alarm_listener_;
  rules::RulesEngine::AdapterUp adapter_up_ = [](const std::string&) { return true; };
  rules::RulesEngine rules_;  // touched only on the storage thread
};

}  // namespace edgegw
