#pragma once

#include <deque>
#include <mutex>
#include <vector>

#include "gateway/model/alarm.h"

namespace edgegw {

/// The recent alarms as an operator sees them on site: open until someone acknowledges them
/// on the page or the API. Independent of delivery to the cloud (the uplink's business).
/// Thread-safe; keeps the newest `capacity` alarms.
class AlarmBoard {
 public:
  struct Entry {
    Alarm alarm;
    bool acknowledged = false;  ///< by an operator on site
    bool published = false;     ///< by the broker (PUBACK)
  };

  explicit AlarmBoard(std::size_t capacity = 200) : capacity_(capacity) {}

  /// One entry per excursion: a raise adds one, its clear updates it (state, time, value).
  void add(Alarm alarm) {
    std::lock_guard lock(mutex_);
    if (alarm.state == AlarmState::cleared) {
      for (auto& entry : entries_) {
        if (entry.alarm.id != alarm.alarm_id) continue;
        entry.alarm.state = AlarmState::cleared;
        entry.alarm.ts_ms = alarm.ts_ms;
        entry.alarm.last_ts_ms = alarm.last_ts_ms;
        entry.alarm.value = alarm.value;
        return;
      }
    }
    entries_.push_back({std::move(alarm), false, false});
    if (entries_.size() > capacity_) entries_.pop_front();
  }

  /// Marks the alarm acknowledged by an operator; false if no such alarm is on the board.
  bool acknowledge(std::int64_t id) {
    return update(id, [](Entry& entry) { entry.acknowledged = true; });
  }
  /// Marks the alarm delivered to the cloud.
  void published(std::int64_t id) {
    update(id, [](Entry& entry) { entry.published = true; });
  }

  /// Newest first.
  std::vector<Entry> entries() const {
    std::lock_guard lock(mutex_);
    return {entries_.rbegin(), entries_.rend()};
  }

 private:
  template <class Change>
  bool update(std::int64_t id, Change change) {
    std::lock_guard lock(mutex_);
    for (auto& entry : entries_) {
      if (entry.alarm.id == id) {
        change(entry);
        return true;
      }
    }
    return false;
  }

  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::deque<Entry> entries_;
};

}  // namespace edgegw
