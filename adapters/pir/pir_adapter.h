#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>

#include "adapters/adapter.h"
#include "adapters/gpio/gpio_line.h"
#include "adapters/pir/motion_debouncer.h"
#include "adapters/pir/pir_options.h"
#include "gateway/model/clock.h"

namespace edgegw {

/// A PIR motion sensor on one GPIO line. Its thread sleeps in poll() on the line's event fd
/// and a stop eventfd, with a timeout only for the next debounce deadline or heartbeat, and
/// emits "<name>.motion" (1/0) on each debounced change, stamped with the kernel's edge time,
/// plus a heartbeat. A line that cannot be requested, or fails, is requested again with backoff.
class PirAdapter final : public Adapter {
 public:
  /// `options` must have passed parse_pir_options. `clock` must be the system clock's domain
  /// (the kernel stamps edges with CLOCK_MONOTONIC) or, in tests, the fake line's.
  PirAdapter(PirOptions options, Clock& clock, std::unique_ptr<gpio::LineOpener> lines);
  ~PirAdapter() override;

  const std::string& name() const override { return options_.name; }
  std::vector<SeriesSpec> series() const override;
  void start(ReadingSink& sink, std::vector<SeriesId> ids) override;
  void stop() override;
  AdapterHealth health() const override;

  std::uint64_t refused_offers() const { return refused_offers_.load(std::memory_order_relaxed); }

 private:
  void run(ReadingSink& sink, SeriesId id);
  /// Sleeps until `timeout` passes (negative: forever) or stop; false once stopping.
  bool wait_for_stop(int timeout_ms) const;
  void record_error(std::string message);
  void deliver(ReadingSink& sink, SeriesId id, const std::vector<pir::MotionReport>& reports);

  PirOptions options_;
  Clock& clock_;
  std::unique_ptr<gpio::LineOpener> lines_;
  int stop_fd_;
  std::thread thread_;
  mutable std::mutex mutex_;
  AdapterHealth health_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> refused_offers_{0};
};

}  // namespace edgegw
