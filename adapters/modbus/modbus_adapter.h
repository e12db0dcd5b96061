#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "adapters/adapter.h"
#include "adapters/modbus/modbus_client.h"
#include "adapters/modbus/modbus_options.h"
#include "adapters/modbus/modbus_poller.h"
#include "gateway/model/clock.h"

namespace edgegw {

/// One Modbus device (TCP or RTU) polled on its own thread: a ModbusPoller paced by its
/// poll interval, its readings offered to the sink. A refused offer is kept and offered again
/// after a short wait, and no new poll starts until it is taken, so nothing is lost.
class ModbusAdapter final : public Adapter {
 public:
  /// `options` must have passed parse_modbus_options. Nothing connects before start().
  ModbusAdapter(ModbusOptions options, Clock& clock, std::unique_ptr<modbus::ModbusClient> client);
  ~ModbusAdapter() override;

  const std::string& name() const override { return options_.name; }
  std::vector<SeriesSpec> series() const override;
  void start(ReadingSink& sink, std::vector<SeriesId> ids) override;
  /// Joins the thread; a request in progress finishes first (at most timeout_ms).
  void stop() override;
  AdapterHealth health() const override;

  const ModbusOptions& options() const { return options_; }
  std::uint64_t refused_offers() const { return refused_offers_.load(std::memory_order_relaxed); }
  std::uint64_t delivered_readings() const {
    return delivered_readings_.load(std::memory_order_relaxed);
  }
  /// Completed poll cycles (including those that only tried to connect).
  std::uint64_t polls() const { return polls_.load(std::memory_order_relaxed); }

 private:
  void run(ReadingSink& sink);
  /// Waits until `until` (or `period`), returns false once stop() was called.
  bool pause_until(std::chrono::steady_clock::time_point until);
  bool pause(std::chrono::milliseconds period);

  ModbusOptions options_;
  Clock& clock_;
  std::unique_ptr<modbus::ModbusClient> client_;
  std::optional<modbus::ModbusPoller> poller_;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::atomic<bool> running_{false};
  std::atomic<std::uint64_t> refused_offers_{0};
  std::atomic<std::uint64_t> delivered_readings_{0};
  std::atomic<std::uint64_t> polls_{0};
};

}  // namespace edgegw
