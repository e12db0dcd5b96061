#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <vector>

#include "adapters/adapter.h"
#include "adapters/modbus/modbus_client.h"
#include "adapters/modbus/modbus_options.h"
#include "adapters/modbus/register_map.h"
#include "gateway/model/clock.h"

namespace edgegw::modbus {

/// One device's poll cycle, without a thread: connect when due (capped exponential backoff
/// after failures), read every planned block, decode what came back. A block that fails with
/// an exception, a timeout or a bad frame is counted and the other blocks are still read; a
/// lost link closes the client and waits out the backoff. The adapter's thread calls poll()
/// and sleeps until the time it returns; tests call it directly with a manual clock.
class ModbusPoller {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  /// `ids[i]` is the series id of `options.registers[i]`.
  ModbusPoller(const ModbusOptions& options, ModbusClient& client, const Clock& clock,
               std::vector<SeriesId> ids);

  /// Runs one cycle now, appending one reading per point of every block that was read, stamped
  /// with the wall time its answer arrived. Returns when the next cycle is due: one interval
  /// after this one started, at once if this one overran it, or when the backoff ends.
  TimePoint poll(std::vector<Reading>& out);

  /// Safe from any thread.
  AdapterHealth health() const;
  /// Connection attempts that failed since the last good poll (what the backoff counts).
  int failed_attempts() const { return failed_attempts_; }
  const std::vector<ReadBlock>& blocks() const { return blocks_; }

  /// The wait before the next attempt after `failed` consecutive failures: reconnect_min_ms
  /// doubled per failure, capped at reconnect_max_ms. No jitter: one device per link, so there
  /// is no herd of clients to spread out.
  static std::chrono::milliseconds backoff_delay(const ModbusOptions& options, int failed);

 private:
  ClientResult read_block(const ReadBlock& block);
  void record_failure(const ReadBlock* block, const ClientResult& result);
  void link_down(TimePoint now);

  const ModbusOptions& options_;
  ModbusClient& client_;
  const Clock& clock_;
  std::vector<SeriesId> ids_;
  std::vector<ReadBlock> blocks_;
  std::vector<std::uint16_t> words_;
  std::vector<std::uint8_t> bits_;

  bool connected_ = false;
  int failed_attempts_ = 0;
  TimePoint reconnect_at_{};

  mutable std::mutex health_mutex_;
  AdapterHealth health_;
};

}  // namespace edgegw::modbus
