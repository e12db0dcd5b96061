#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <thread>

#include "adapters/adapter.h"
#include "adapters/simulator/simulator_generator.h"
#include "adapters/simulator/simulator_options.h"
#include "gateway/model/clock.h"

namespace edgegw {

/// Runs a SimulatorGenerator on its own thread, paced by `clock`: every poll it generates
/// what the clock says is due and offers it in batches of at most `batch_max`. A refused batch
/// is kept and offered again after a short wait, so nothing is lost or duplicated.
class SimulatorAdapter final : public Adapter {
 public:
  /// `options` must have passed parse_simulator_options. Builds nothing that runs: safe for
  /// check-config.
  SimulatorAdapter(SimulatorOptions options, Clock& clock);
  ~SimulatorAdapter() override;

  const std::string& name() const override { return options_.name; }
  std::vector<SeriesSpec> series() const override { return simulator_series(options_); }
  void start(ReadingSink& sink, std::vector<SeriesId> ids) override;
  void stop() override;
  /// Up from start() to stop(); a simulator's source never fails.
  AdapterHealth health() const override {
    return {.up = running_.load(std::memory_order_relaxed), .errors = 0, .last_error = {}};
  }

  const SimulatorOptions& options() const { return options_; }
  /// How many offers the sink refused (back-pressure).
  std::uint64_t refused_offers() const { return refused_offers_.load(std::memory_order_relaxed); }
  /// Readings the sink has taken.
  std::uint64_t delivered_readings() const {
    return delivered_readings_.load(std::memory_order_relaxed);
  }

 private:
  void run(ReadingSink& sink);
  /// Waits up to `period` of real time; returns false once stop() was called.
  bool pause(std::chrono::milliseconds period);

  SimulatorOptions options_;
  Clock& clock_;
  std::optional<SimulatorGenerator> generator_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::atomic<bool> running_{false};
  std::atomic<std::uint64_t> refused_offers_{0};
  std::atomic<std::uint64_t> delivered_readings_{0};
};

}  // namespace edgegw
