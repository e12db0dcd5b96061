#include "adapters/modbus/modbus_source.h"

#include <algorithm>
#include <cassert>

namespace edgegw::modbus {
namespace {

std::string kind_name(ClientResult::Kind kind) {
  switch (kind) {
    case ClientResult::Kind::ok:
      return "ok";
    case ClientResult::Kind::exception:
      return "exception";
    case ClientResult::Kind::timeout:
      return "timeout";
    case ClientResult::Kind::crc:
      return "crc";
    case ClientResult::Kind::bad_response:
      return "bad response";
    case ClientResult::Kind::connection_lost:
      return "connection lost";
  }
  return "?";
}

/// "holding 0+12: exception 2: Illegal data address", for /api/v1/status.
std::string describe_failure(const ReadBlock* block, const ClientResult& result) {
  std::string reason = kind_name(result.kind);
  if (result.kind == ClientResult::Kind::exception) {
    reason += " " + std::to_string(result.exception_code);
  }
  std::string where = block ? std::string(table_name(block->table)) + " " +
                                  std::to_string(block->start) + "+" + std::to_string(block->count)
                            : std::string("connect");
  return where + ": " + reason + (result.message.empty() ? "" : ": " + result.message);
}

}  // namespace

ModbusSource::ModbusSource(ModbusOptions options, Clock& clock,
                           std::unique_ptr<ModbusClient> client)
    : options_(std::move(options)),
      clock_(clock),
      client_(std::move(client)),
      blocks_(plan_blocks(options_.registers,
                          static_cast<std::uint16_t>(options_.max_block_registers),
                          static_cast<std::uint16_t>(options_.max_block_bits))) {
  std::size_t widest = 0;
  for (const auto& block : blocks_) widest = std::max<std::size_t>(widest, block.count);
  words_.resize(widest);
  bits_.resize(widest);
}

std::vector<SeriesSpec> ModbusSource::series() const {
  std::vector<SeriesSpec> specs;
  specs.reserve(options_.registers.size());
  for (const auto& point : options_.registers) {
    specs.push_back({.name = options_.name + "." + point.name, .unit = point.unit});
  }
  return specs;
}

ReconnectBackoff::Settings ModbusSource::reopen_backoff() const {
  using std::chrono::milliseconds;
  // A link counts as good again after one full backoff's worth of polls.
  return {.min = milliseconds(options_.reconnect_min_ms),
          .max = milliseconds(options_.reconnect_max_ms),
          .stable_after = milliseconds(options_.reconnect_max_ms)};
}

std::string ModbusSource::open() {
  const ClientResult opened = client_->connect();
  return opened.ok() ? std::string() : describe_failure(nullptr, opened);
}

ClientResult ModbusSource::read_block(const ReadBlock& block) {
  switch (block.table) {
    case Table::holding:
      return client_->read_registers(block.start, std::span(words_).first(block.count));
    case Table::input:
      return client_->read_input_registers(block.start, std::span(words_).first(block.count));
    case Table::coil:
      return client_->read_bits(block.start, std::span(bits_).first(block.count));
    case Table::discrete:
      return client_->read_input_bits(block.start, std::span(bits_).first(block.count));
  }
  return {.kind = ClientResult::Kind::bad_response, .message = "unknown table"};
}

SourceRead ModbusSource::read(std::vector<Reading>& out, const StopSignal& stop) {
  assert(ids_.size() == options_.registers.size());
  SourceRead result;
  std::size_t good_blocks = 0;
  std::size_t timeouts = 0;
  for (const auto& block : blocks_) {
    // Each request may wait timeout_ms: a stop does not wait for the whole map.
    if (stop.stopping()) return result;
    const ClientResult answer = read_block(block);
    if (!answer.ok()) {
      result.errors.push_back(describe_failure(&block, answer));
      if (answer.kind == ClientResult::Kind::connection_lost) {
        result.lost = true;
        return result;
      }
      if (answer.kind == ClientResult::Kind::timeout) ++timeouts;
      continue;
    }
    ++good_blocks;
    const std::int64_t ts = clock_.wall_ms();
    for (std::size_t index : block.points) {
      const RegisterPoint& point = options_.registers[index];
      const std::size_t at = point.address - block.start;
      const double value =
          is_bit_table(block.table)
              ? decode_bit(point, bits_[at])
              : decode_registers(point, std::span<const std::uint16_t>(words_).subspan(at));
      out.push_back({.series = ids_[index], .ts_ms = ts, .value = value});
    }
  }
  // Every block timing out looks like a device or a TCP connection that is gone without
  // saying so (a half-open socket, a cable pulled): open the link afresh, after the backoff.
  result.lost = good_blocks == 0 && timeouts == blocks_.size();
  return result;
}

void ModbusSource::retune(const std::map<std::string, OptionValue>& values) {
  const auto found = values.find("poll_interval_ms");
  if (found == values.end()) return;
  if (const auto* ms = std::get_if<std::int64_t>(&found->second)) options_.poll_interval_ms = *ms;
}

ReadDue ModbusSource::next_read(std::chrono::steady_clock::time_point started) const {
  return {.at = started + std::chrono::milliseconds(options_.poll_interval_ms), .fd = -1};
}

}  // namespace edgegw::modbus
