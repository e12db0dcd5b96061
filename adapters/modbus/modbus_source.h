#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "adapters/modbus/modbus_client.h"
#include "adapters/modbus/modbus_options.h"
#include "adapters/modbus/register_map.h"
#include "adapters/source.h"
#include "gateway/model/clock.h"

namespace edgegw::modbus {

/// One Modbus device (TCP or RTU) as a source: open connects, each read asks for every planned
/// block once per poll interval and decodes what came back. A block that fails with an
/// exception, a timeout or a bad frame is an error of the read and the other blocks are still
/// read; a lost link, or every block timing out, closes the source and the runner connects again
/// with backoff (reconnect_min_ms doubled per failure up to reconnect_max_ms, with jitter).
class ModbusSource final : public Source {
 public:
  /// `options` must have passed parse_modbus_options. Nothing connects before open().
  ModbusSource(ModbusOptions options, Clock& clock, std::unique_ptr<ModbusClient> client);

  const std::string& name() const override { return options_.name; }
  std::vector<SeriesSpec> series() const override;
  /// `ids[i]` is the series id of `options.registers[i]`.
  void bind(std::vector<SeriesId> ids) override { ids_ = std::move(ids); }
  ReconnectBackoff::Settings reopen_backoff() const override;
  std::string open() override;
  void close() override { client_->close(); }
  /// Appends one reading per point of every block that was read, stamped with the wall time
  /// its answer arrived. A stop asked between blocks ends the read there.
  SourceRead read(std::vector<Reading>& out, const StopSignal& stop) override;
  /// One poll interval after the last read started; at once if that overran it.
  ReadDue next_read(std::chrono::steady_clock::time_point started) const override;

  const ModbusOptions& options() const { return options_; }
  /// poll_interval_ms.
  void retune(const std::map<std::string, OptionValue>& values) override;
  const std::vector<ReadBlock>& blocks() const { return blocks_; }

 private:
  ClientResult read_block(const ReadBlock& block);

  ModbusOptions options_;
  Clock& clock_;
  std::unique_ptr<ModbusClient> client_;
  std::vector<SeriesId> ids_;
  std::vector<ReadBlock> blocks_;
  std::vector<std::uint16_t> words_;
  std::vector<std::uint8_t> bits_;
};

}  // namespace edgegw::modbus
