#include "adapters/modbus/modbus_poller.h"

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

}  // namespace

ModbusPoller::ModbusPoller(const ModbusOptions& options, ModbusClient& client, const Clock& clock,
                           std::vector<SeriesId> ids)
    : options_(options),
      client_(client),
      clock_(clock),
      ids_(std::move(ids)),
      blocks_(plan_blocks(options.registers,
                          static_cast<std::uint16_t>(options.max_block_registers),
                          static_cast<std::uint16_t>(options.max_block_bits))) {
  assert(ids_.size() == options_.registers.size());
  std::size_t widest = 0;
  for (const auto& block : blocks_) widest = std::max<std::size_t>(widest, block.count);
  words_.resize(widest);
  bits_.resize(widest);
}

std::chrono::milliseconds ModbusPoller::backoff_delay(const ModbusOptions& options, int failed) {
  std::int64_t delay = options.reconnect_min_ms;
  for (int i = 1; i < failed && delay < options.reconnect_max_ms; ++i) delay *= 2;
  return std::chrono::milliseconds(std::min(delay, options.reconnect_max_ms));
}

AdapterHealth ModbusPoller::health() const {
  std::lock_guard lock(health_mutex_);
  return health_;
}

void ModbusPoller::record_failure(const ReadBlock* block, const ClientResult& result) {
  std::string reason = kind_name(result.kind);
  if (result.kind == ClientResult::Kind::exception) {
    reason += " " + std::to_string(result.exception_code);
  }
  std::string where = block ? std::string(table_name(block->table)) + " " +
                                  std::to_string(block->start) + "+" + std::to_string(block->count)
                            : std::string("connect");
  std::lock_guard lock(health_mutex_);
  ++health_.errors;
  health_.last_error =
      where + ": " + reason + (result.message.empty() ? "" : ": " + result.message);
}

void ModbusPoller::link_down(TimePoint now) {
  client_.close();
  connected_ = false;
  ++failed_attempts_;
  reconnect_at_ = now + backoff_delay(options_, failed_attempts_);
  std::lock_guard lock(health_mutex_);
  health_.up = false;
}

ClientResult ModbusPoller::read_block(const ReadBlock& block) {
  switch (block.table) {
    case Table::holding:
      return client_.read_registers(block.start, std::span(words_).first(block.count));
    case Table::input:
      return client_.read_input_registers(block.start, std::span(words_).first(block.count));
    case Table::coil:
      return client_.read_bits(block.start, std::span(bits_).first(block.count));
    case Table::discrete:
      return client_.read_input_bits(block.start, std::span(bits_).first(block.count));
  }
  return {.kind = ClientResult::Kind::bad_response, .message = "unknown table"};
}

ModbusPoller::TimePoint ModbusPoller::poll(std::vector<Reading>& out) {
  const TimePoint started = clock_.monotonic();
  if (!connected_) {
    if (started < reconnect_at_) return reconnect_at_;
    ClientResult opened = client_.connect();
    if (!opened.ok()) {
      record_failure(nullptr, opened);
      link_down(started);
      return reconnect_at_;
    }
    connected_ = true;
  }

  std::size_t good_blocks = 0;
  bool timed_out = false;
  for (const auto& block : blocks_) {
    ClientResult result = read_block(block);
    if (!result.ok()) {
      record_failure(&block, result);
      if (result.kind == ClientResult::Kind::connection_lost) {
        link_down(clock_.monotonic());
        return reconnect_at_;
      }
      timed_out = timed_out || result.kind == ClientResult::Kind::timeout;
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
  if (good_blocks == 0 && timed_out) {
    link_down(clock_.monotonic());
    return reconnect_at_;
  }
  if (good_blocks > 0) failed_attempts_ = 0;
  {
    std::lock_guard lock(health_mutex_);
    health_.up = good_blocks > 0;
  }
  const TimePoint due = started + std::chrono::milliseconds(options_.poll_interval_ms);
  return std::max(due, clock_.monotonic());
}

}  // namespace edgegw::modbus
