#pragma once
// A Modbus device in memory behind the ModbusClient interface: four tables of values, addresses
// that answer "illegal data address" like a real device's unmapped ones, and failures to inject
// (refused connections, a dropped link, timeouts, CRC errors), with every request recorded.

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <vector>

#include "adapters/modbus/modbus_client.h"

namespace edgegw::modbus {

class FakeModbusClient final : public ModbusClient {
 public:
  struct Request {
    Table table;
    std::uint16_t address;
    std::size_t count;
  };

  std::map<std::uint16_t, std::uint16_t> holding, input;
  std::map<std::uint16_t, std::uint8_t> coils, discrete;
  /// Reads that touch one of these (in any table) fail with exception 2.
  std::set<std::uint16_t> illegal_addresses;
  /// Connection attempts to refuse before one succeeds.
  int refuse_connects = 0;
  /// Results to return for the next reads, in order, instead of answering.
  std::deque<ClientResult> next_failures;

  ClientResult connect() override {
    std::lock_guard lock(mutex_);
    ++connects_;
    if (refuse_connects > 0) {
      --refuse_connects;
      return {.kind = ClientResult::Kind::connection_lost, .message = "Connection refused"};
    }
    connected_ = true;
    return ClientResult::success();
  }
  void close() override {
    std::lock_guard lock(mutex_);
    if (connected_) ++closes_;
    connected_ = false;
  }
  ClientResult read_registers(std::uint16_t address, std::span<std::uint16_t> out) override {
    return answer(Table::holding, address, out, holding);
  }
  ClientResult read_input_registers(std::uint16_t address, std::span<std::uint16_t> out) override {
    return answer(Table::input, address, out, input);
  }
  ClientResult read_bits(std::uint16_t address, std::span<std::uint8_t> out) override {
    return answer(Table::coil, address, out, coils);
  }
  ClientResult read_input_bits(std::uint16_t address, std::span<std::uint8_t> out) override {
    return answer(Table::discrete, address, out, discrete);
  }

  int connects() const {
    std::lock_guard lock(mutex_);
    return connects_;
  }
  int closes() const {
    std::lock_guard lock(mutex_);
    return closes_;
  }
  bool connected() const {
    std::lock_guard lock(mutex_);
    return connected_;
  }
  std::vector<Request> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  void clear_requests() {
    std::lock_guard lock(mutex_);
    requests_.clear();
  }

 private:
  template <class Word>
  ClientResult answer(Table table, std::uint16_t address, std::span<Word> out,
                      const std::map<std::uint16_t, Word>& values) {
    std::lock_guard lock(mutex_);
    requests_.push_back({table, address, out.size()});
    if (!connected_) return {.kind = ClientResult::Kind::connection_lost, .message = "closed"};
    if (!next_failures.empty()) {
      ClientResult failure = next_failures.front();
      next_failures.pop_front();
      if (failure.kind == ClientResult::Kind::connection_lost) connected_ = false;
      return failure;
    }
    for (std::size_t i = 0; i < out.size(); ++i) {
      const auto at = static_cast<std::uint16_t>(address + i);
      if (illegal_addresses.contains(at)) {
        return {.kind = ClientResult::Kind::exception,
                .exception_code = 2,
                .message = "Illegal data address"};
      }
      auto found = values.find(at);
      out[i] = found == values.end() ? Word{0} : found->second;
    }
    return ClientResult::success();
  }

  mutable std::mutex mutex_;
  bool connected_ = false;
  int connects_ = 0;
  int closes_ = 0;
  std::vector<Request> requests_;
};

}  // namespace edgegw::modbus
