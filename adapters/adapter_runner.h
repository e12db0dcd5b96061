#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>

#include "adapters/adapter.h"
#include "adapters/source.h"
#include "gateway/model/clock.h"

namespace edgegw {

/// A StopSignal on an eventfd, so a wait for the stop can sit in one poll() beside a source's
/// own file descriptor.
class EventStopSignal final : public StopSignal {
 public:
  EventStopSignal();
  ~EventStopSignal() override;
  EventStopSignal(const EventStopSignal&) = delete;
  EventStopSignal& operator=(const EventStopSignal&) = delete;

  bool stopping() const override { return stopping_.load(std::memory_order_acquire); }
  bool sleep_for(std::chrono::nanoseconds period) const override;
  /// Waits until `due` (its time by `clock`, or its fd readable) or the stop; false on stop.
  bool wait(const ReadDue& due, const Clock& clock) const;

  void request_stop();
  /// Makes the signal ready for another start.
  void rearm();

 private:
  /// poll()s the stop fd and `fd` (if any) for up to `timeout` (negative: forever).
  void wait_fds(int fd, std::chrono::nanoseconds timeout) const;

  int fd_;
  std::atomic<bool> stopping_{false};
};

/// The core runner every adapter runs under: one thread that opens the source (again, with
/// capped exponential backoff and jitter, after a failed open or a lost link), reads it when
/// it says the next read is due, and offers what it read to the sink. A refused offer
/// (back-pressure) is kept and offered again after a short wait, and no new read starts until
/// it is taken, so nothing is lost or duplicated. The runner keeps the health the gateway
/// shows: up while the source is open and its last read gave readings or no error.
class AdapterRunner final : public Adapter {
 public:
  AdapterRunner(std::unique_ptr<Source> source, Clock& clock);
  ~AdapterRunner() override;

  const std::string& name() const override { return source_->name(); }
  std::vector<SeriesSpec> series() const override { return source_->series(); }
  void start(ReadingSink& sink, std::vector<SeriesId> ids) override;
  /// Asks the thread to stop and joins it; a read in progress finishes first (a source that
  /// blocks asks its StopSignal).
  void stop() override;
  AdapterHealth health() const override;
  Weigher* weigher() override { return source_->weigher(); }
  void retune(const std::map<std::string, OptionValue>& values) override;

  Source& source() { return *source_; }
  /// Offers the sink refused (back-pressure).
  std::uint64_t refused_offers() const { return refused_offers_.load(std::memory_order_relaxed); }
  /// Readings the sink has taken.
  std::uint64_t delivered_readings() const {
    return delivered_readings_.load(std::memory_order_relaxed);
  }
  /// Reads done (each open attempt that failed is not one).
  std::uint64_t reads() const { return reads_.load(std::memory_order_relaxed); }

 private:
  void run(ReadingSink& sink);
  /// Offers `batch` until it is taken or stop; false on stop.
  bool deliver(ReadingSink& sink, std::vector<Reading>& batch);
  void record(const SourceRead& result, bool produced);
  void record_error(std::string message);
  void set_up(bool up);
  /// Hands the source what retune() left, on the runner's thread.
  void apply_retune();

  std::unique_ptr<Source> source_;
  Clock& clock_;
  EventStopSignal stop_;
  std::thread thread_;
  mutable std::mutex health_mutex_;
  AdapterHealth health_;
  std::mutex retune_mutex_;
  std::map<std::string, OptionValue> retune_;  // not yet handed to the source
  std::atomic<std::uint64_t> refused_offers_{0};
  std::atomic<std::uint64_t> delivered_readings_{0};
  std::atomic<std::uint64_t> reads_{0};
};

}  // namespace edgegw
