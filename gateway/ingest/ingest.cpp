#include "gateway/ingest/ingest.h"

#include <cmath>
#include <vector>

namespace edgegw {

std::string_view reject_reason_name(RejectReason reason) {
  switch (reason) {
    case RejectReason::not_finite: return "not_finite";
    case RejectReason::out_of_range: return "out_of_range";
    case RejectReason::future_timestamp: return "future_timestamp";
    case RejectReason::stale_timestamp: return "stale_timestamp";
    case RejectReason::unknown_series: return "unknown_series";
    case RejectReason::storage_full: return "storage_full";
    case RejectReason::storage_failed: return "storage_failed";
  }
  return "unknown";
}

Ingest::Ingest(SqliteBuffer& buffer, const Clock& clock, std::int64_t max_future_ms,
               std::int64_t max_past_ms)
    : buffer_(buffer), clock_(clock), max_future_ms_(max_future_ms), max_past_ms_(max_past_ms) {}

std::optional<RejectReason> Ingest::check(const Reading& reading) const {
  if (!std::isfinite(reading.value)) return RejectReason::not_finite;
  if (!buffer_.catalog().find(reading.series)) return RejectReason::unknown_series;
  if (auto it = limits_.find(reading.series); it != limits_.end()) {
    if (reading.value < it->second.min || reading.value > it->second.max) {
      return RejectReason::out_of_range;
    }
  }
  std::int64_t now = clock_.wall_ms();
  if (reading.ts_ms > now + max_future_ms_) return RejectReason::future_timestamp;
  if (reading.ts_ms < now - max_past_ms_) return RejectReason::stale_timestamp;
  return std::nullopt;
}

bool Ingest::offer(std::span<const Reading> readings) {
  std::vector<Reading> valid;
  valid.reserve(readings.size());
  std::array<std::uint64_t, kRejectReasonCount> rejected{};
  for (const auto& reading : readings) {
    if (auto reason = check(reading)) {
      ++rejected[static_cast<std::size_t>(*reason)];
    } else {
      valid.push_back(reading);
    }
  }
  if (!valid.empty()) {
    auto count = valid.size();
    bool queued = buffer_.append(
        std::move(valid), [this, count](AppendStatus status, std::int64_t, std::int64_t) {
          switch (status) {
            case AppendStatus::accepted:
              accepted_.fetch_add(count, std::memory_order_relaxed);
              break;
            case AppendStatus::storage_full:
              count_rejected(RejectReason::storage_full, count);
              break;
            case AppendStatus::failed:
              count_rejected(RejectReason::storage_failed, count);
              break;
          }
        });
    if (!queued) {
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
