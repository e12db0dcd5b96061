#pragma once

#include <memory>

#include "adapters/modbus/modbus_client.h"
#include "adapters/modbus/modbus_options.h"

struct _modbus;

namespace edgegw::modbus {

/// ModbusClient on libmodbus: Modbus TCP or RTU as `options.transport` says, talking to
/// `options.unit_id` with `options.timeout_ms` as the response (and TCP connect) timeout.
class LibmodbusClient final : public ModbusClient {
 public:
  explicit LibmodbusClient(const ModbusOptions& options);
  ~LibmodbusClient() override;
  LibmodbusClient(const LibmodbusClient&) = delete;
  LibmodbusClient& operator=(const LibmodbusClient&) = delete;

  ClientResult connect() override;
  void close() override;
  ClientResult read_registers(std::uint16_t address, std::span<std::uint16_t> out) override;
  ClientResult read_input_registers(std::uint16_t address, std::span<std::uint16_t> out) override;
  ClientResult read_bits(std::uint16_t address, std::span<std::uint8_t> out) override;
  ClientResult read_input_bits(std::uint16_t address, std::span<std::uint8_t> out) override;

 private:
  /// What the last libmodbus call's errno means; drops stale bytes after a broken exchange.
  ClientResult failure(int error);
  template <class Read>
  ClientResult read(std::size_t count, Read read_call);

  _modbus* context_ = nullptr;
  bool connected_ = false;
  std::string where_;
};

}  // namespace edgegw::modbus
