#include "gateway/ingest/ingest.h"

#include <spdlog/spdlog.h>

#include <cmath>
#include <memory>
#include <vector>

namespace edgegw {

std::string_view reject_reason_name(RejectReason reason) {
  switch (reason) {
    case RejectReason::not_finite:
      return "not_finite";
    case RejectReason::out_of_range:
      return "out_of_range";
    case RejectReason::future_timestamp:
      return "future_timestamp";
    case RejectReason::stale_timestamp:
      return "stale_timestamp";
    case RejectReason::unknown_series:
      return "unknown_series";
    case RejectReason::storage_full:
      return "storage_full";
    case RejectReason::storage_failed:
      return "storage_failed";
  }
  return "unknown";
}

namespace {

// The setting that keeps `armed` across restarts.
constexpr const char* kArmedSetting = "armed";

}  // namespace

Ingest::Ingest(SqliteBuffer& buffer, const Clock& clock, std::int64_t max_future_ms,
               std::int64_t max_past_ms, const std::vector<rules::RuleOptions>& rules)
    : buffer_(buffer),
      clock_(clock),
      max_future_ms_(max_future_ms),
      max_past_ms_(max_past_ms),
      rules_(
          rules,
          [&buffer](SeriesId id) -> std::optional<std::string> {
            if (auto info = buffer.catalog().find(id)) return info->spec.name;
            return std::nullopt;
          },
          [this](Alarm alarm) { return store_alarm(std::move(alarm)); }) {
  const bool armed = buffer_.setting(kArmedSetting).value_or("true") == "true";
  armed_.store(armed, std::memory_order_relaxed);
  rules_.set_armed(armed, clock_.wall_ms());
}

Ingest::~Ingest() {
  buffer_.wait_for_queued_appends();
}

std::optional<RejectReason> Ingest::check_value(std::optional<SeriesId> series, double value,
                                                std::int64_t ts_ms) const {
  if (!std::isfinite(value)) return RejectReason::not_finite;
  if (series) {
    if (auto it = limits_.find(*series); it != limits_.end()) {
      if (value < it->second.min || value > it->second.max) return RejectReason::out_of_range;
    }
  }
  std::int64_t now = clock_.wall_ms();
  if (ts_ms > now + max_future_ms_) return RejectReason::future_timestamp;
  if (ts_ms < now - max_past_ms_) return RejectReason::stale_timestamp;
  return std::nullopt;
}

std::optional<RejectReason> Ingest::check(const Reading& reading) const {
  if (!buffer_.catalog().find(reading.series)) return RejectReason::unknown_series;
  return check_value(reading.series, reading.value, reading.ts_ms);
}

std::vector<ReadingProblem> Ingest::check(std::span<const NamedReading> batch) const {
  std::vector<ReadingProblem> problems;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    std::optional<SeriesId> id;
    if (auto info = buffer_.catalog().find(batch[i].series)) id = info->id;
    if (auto reason = check_value(id, batch[i].value, batch[i].ts_ms)) {
      problems.push_back({.index = i, .reason = *reason});
    }
  }
  return problems;
}

void Ingest::submit(std::vector<NamedReading> batch, std::function<void(SubmitResult)> done) {
  buffer_.post([this, batch = std::move(batch), done = std::move(done)] {
    std::vector<Reading> readings;
    readings.reserve(batch.size());
    try {
      for (const auto& named : batch) {
        // On the storage thread register_series runs inline; known names cost a lookup.
        auto known = buffer_.catalog().find(named.series);
        SeriesId id =
            known ? known->id
                  : buffer_.register_series({.name = named.series, .unit = "", .resolution = 0.0});
        readings.push_back(
            {.series = id, .ts_ms = named.ts_ms, .value = named.value, .quality = named.quality});
      }
    } catch (const std::exception&) {
      count_rejected(RejectReason::storage_failed, batch.size());
      done(SubmitResult::failed);
      return;
    }
    bool queued = accept(
        std::move(readings),
        [done](AppendStatus status) {
          done(status == AppendStatus::accepted       ? SubmitResult::accepted
               : status == AppendStatus::storage_full ? SubmitResult::storage_full
                                                      : SubmitResult::failed);
        },
        SqliteBuffer::Waiter::client);
    if (!queued) {
      refused_batches_.fetch_add(1, std::memory_order_relaxed);
      done(SubmitResult::busy);
    }
  });
}

bool Ingest::accept(std::vector<Reading> valid, std::function<void(AppendStatus)> done,
                    SqliteBuffer::Waiter waiter) {
  return buffer_.append(
      std::move(valid),
      [this, done = std::move(done)](AppendStatus status, std::int64_t, std::int64_t,
                                     std::span<const Reading> committed) {
        count_append(status, committed.size());
        if (status == AppendStatus::accepted) {
          recent_.add(committed);
          rules_.on_readings(committed);
        }
        if (done) done(status);
      },
      waiter);
}

std::int64_t Ingest::store_alarm(Alarm alarm) {
  if (alarm.first_ts_ms == 0) alarm.first_ts_ms = alarm.ts_ms;
  if (alarm.last_ts_ms == 0) alarm.last_ts_ms = alarm.ts_ms;
  alarm.id = buffer_.add_alarm(alarm);
  if (alarm.id == 0) {
    spdlog::error("alarm {} could not be stored: the buffer is full and holds nothing to shed",
                  alarm.kind);
    return 0;
  }
  if (alarm.state == AlarmState::raised) {
    alarm.alarm_id = alarm.id;
    std::lock_guard lock(alarm_kinds_mutex_);
    ++alarms_by_kind_[alarm.kind];
  }
  const std::int64_t id = alarm.id;
  alarm_board_.add(std::move(alarm));
  if (alarm_listener_) alarm_listener_();
  return id;
}

void Ingest::raise_alarm(Alarm alarm) {
  store_alarm(std::move(alarm));
}

void Ingest::tick() {
  buffer_.post([this] { rules_.on_tick(clock_.wall_ms(), adapter_up_); });
}

void Ingest::set_armed(bool armed) {
  armed_.store(armed, std::memory_order_relaxed);
  // On the storage thread, like every other touch of the rules; whatever is queued after this
  // (a reading, an alarm) sees the new state.
  buffer_.post([this, armed] {
    if (!buffer_.store_setting(kArmedSetting, armed ? "true" : "false")) {
      spdlog::error("ingest: armed = {} holds until a restart only: storage refused it", armed);
    }
    rules_.set_armed(armed, clock_.wall_ms());
  });
}

void Ingest::count_append(AppendStatus status, std::uint64_t n) {
  storage_ok_.store(status == AppendStatus::accepted, std::memory_order_relaxed);
  switch (status) {
    case AppendStatus::accepted:
      accepted_.fetch_add(n, std::memory_order_relaxed);
      break;
    case AppendStatus::storage_full:
      count_rejected(RejectReason::storage_full, n);
      break;
    case AppendStatus::failed:
      count_rejected(RejectReason::storage_failed, n);
      break;
  }
}

void Ingest::watch_alarm_levels(SeriesId series, const std::string& name) {
  const auto levels = rules_.alarm_levels(name);
  if (!levels) return;
  auto& watched = alarm_levels_[series];
  watched.series = name;
  watched.high.store(levels->high, std::memory_order_relaxed);
  watched.low.store(levels->low, std::memory_order_relaxed);
}

void Ingest::retune_rule(rules::RuleOptions options) {
  buffer_.post([this, options = std::move(options)] {
    if (!rules_.retune(options, clock_.wall_ms())) return;
    for (auto& [id, watched] : alarm_levels_) {
      if (watched.series != options.series) continue;
      const auto levels = rules_.alarm_levels(watched.series).value_or(rules::AlarmLevels{});
      watched.high.store(levels.high, std::memory_order_relaxed);
      watched.low.store(levels.low, std::memory_order_relaxed);
    }
  });
}

bool Ingest::offer(std::span<const Reading> readings) {
  std::vector<Reading> valid;
  valid.reserve(readings.size());
  std::array<std::uint64_t, kRejectReasonCount> rejected{};
  bool may_alarm = false;
  for (const auto& reading : readings) {
    if (auto reason = check(reading)) {
      ++rejected[static_cast<std::size_t>(*reason)];
      continue;
    }
    valid.push_back(reading);
    if (!alarm_levels_.empty()) {
      const auto levels = alarm_levels_.find(reading.series);
      may_alarm =
          may_alarm || (levels != alarm_levels_.end() &&
                        (reading.value >= levels->second.high.load(std::memory_order_relaxed) ||
                         reading.value <= levels->second.low.load(std::memory_order_relaxed)));
    }
  }
  if (!valid.empty()) {
    // No one waits on an adapter's batch: it may wait longer to share a commit, unless it
    // may raise an alarm. Committing it takes every batch queued before it along.
    const auto waiter = may_alarm ? SqliteBuffer::Waiter::urgent : SqliteBuffer::Waiter::nobody;
    if (!accept(std::move(valid), {}, waiter)) {
      // Back-pressure: nothing was taken, so nothing is counted; the adapter offers again.
      refused_batches_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
  }
  for (std::size_t i = 0; i < kRejectReasonCount; ++i) {
    if (rejected[i] != 0) count_rejected(static_cast<RejectReason>(i), rejected[i]);
  }
  return true;
}

}  // namespace edgegw
