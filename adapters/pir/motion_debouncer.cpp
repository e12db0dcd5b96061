#include "adapters/pir/motion_debouncer.h"

#include <algorithm>

namespace edgegw::pir {

MotionDebouncer::MotionDebouncer(std::chrono::milliseconds debounce,
                                 std::chrono::milliseconds heartbeat, bool active_low)
    : debounce_(debounce), heartbeat_(heartbeat), active_low_(active_low) {}

MotionReport MotionDebouncer::begin(int physical_level, TimePoint now) {
  reported_ = level_ = motion_of(physical_level);
  level_since_ = last_report_ = now;
  return {.motion = reported_, .at = now, .heartbeat = false};
}

void MotionDebouncer::edge(const gpio::EdgeEvent& event) {
  level_ = motion_of(event.level);
  level_since_ = event.when;
}

void MotionDebouncer::confirm(int physical_level, TimePoint now) {
  if (motion_of(physical_level) == level_) return;
  level_ = motion_of(physical_level);
  level_since_ = now;
}

std::vector<MotionReport> MotionDebouncer::advance(TimePoint now) {
  std::vector<MotionReport> due;
  if (level_ != reported_ && now - level_since_ >= debounce_) {
    reported_ = level_;
    last_report_ = now;
    due.push_back({.motion = reported_, .at = level_since_, .heartbeat = false});
  }
  if (heartbeat_.count() > 0 && now - last_report_ >= heartbeat_) {
    last_report_ = now;
    due.push_back({.motion = reported_, .at = now, .heartbeat = true});
  }
  return due;
}

std::optional<TimePoint> MotionDebouncer::next_deadline() const {
  std::optional<TimePoint> next;
  if (level_ != reported_) next = level_since_ + debounce_;
  if (heartbeat_.count() > 0) {
    const TimePoint beat = last_report_ + heartbeat_;
    next = next ? std::min(*next, beat) : beat;
  }
  return next;
}

}  // namespace edgegw::pir
