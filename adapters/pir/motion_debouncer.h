#pragma once

#include <chrono>
#include <optional>
#include <vector>

#include "adapters/gpio/gpio_line.h"

namespace edgegw::pir {

using TimePoint = std::chrono::steady_clock::time_point;

/// One motion value to send.
struct MotionReport {
  bool motion = false;
  TimePoint at;  ///< when the level changed (the kernel's edge time), or now for a heartbeat
  bool heartbeat = false;  ///< a repeat of the unchanged state

  friend bool operator==(const MotionReport&, const MotionReport&) = default;
};

/// A PIR line's edges turned into motion reports: a level counts only once it has held for the
/// debounce time, and the unchanged state is repeated every heartbeat, so a quiet sensor can be
/// told from a dead one. Pure logic on the times it is given; the adapter supplies the edges,
/// the kernel's timestamps and the time now.
class MotionDebouncer {
 public:
  /// `heartbeat` zero: only changes are reported. `active_low`: a low pin means motion.
  MotionDebouncer(std::chrono::milliseconds debounce, std::chrono::milliseconds heartbeat,
                  bool active_low);

  /// The level read as the line was requested: reported at once, as the state at `now`.
  MotionReport begin(int physical_level, TimePoint now);
  /// An edge the kernel saw. Any edge, even one that repeats the level (the opposite edge
  /// between them was lost in a bounce), restarts the debounce time.
  void edge(const gpio::EdgeEvent& event);
  /// The level read now; one that differs from what the edges said (events lost) counts as an
  /// edge now.
  void confirm(int physical_level, TimePoint now);
  /// What is due by `now`: a change whose level held for the debounce time, then a heartbeat.
  std::vector<MotionReport> advance(TimePoint now);
  /// When advance() next has something to report if no edge comes; nothing when never.
  std::optional<TimePoint> next_deadline() const;

  bool reported_motion() const { return reported_; }

 private:
  bool motion_of(int physical_level) const { return (physical_level != 0) != active_low_; }

  std::chrono::milliseconds debounce_;
  std::chrono::milliseconds heartbeat_;
  bool active_low_;
  bool reported_ = false;
  bool level_ = false;  ///< what the latest edge says the line is at
  TimePoint level_since_;
  TimePoint last_report_;
};

}  // namespace edgegw::pir
