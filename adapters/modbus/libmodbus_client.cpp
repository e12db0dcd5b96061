#include "adapters/modbus/libmodbus_client.h"

#include <modbus/modbus.h>

#include <cerrno>
#include <cstring>

namespace edgegw::modbus {

LibmodbusClient::LibmodbusClient(const ModbusOptions& options) {
  if (options.transport == "rtu") {
    context_ =
        modbus_new_rtu(options.device.c_str(), static_cast<int>(options.baud),
                       options.parity.empty() ? 'N' : options.parity[0],
                       static_cast<int>(options.data_bits), static_cast<int>(options.stop_bits));
    where_ = options.device;
  } else {
    context_ = modbus_new_tcp(options.host.c_str(), static_cast<int>(options.port));
    where_ = options.host + ":" + std::to_string(options.port);
  }
  if (!context_) return;  // reported by connect(): a bad device name or host, or no memory
  modbus_set_slave(context_, static_cast<int>(options.unit_id));
  const auto timeout_us = options.timeout_ms * 1000;
  modbus_set_response_timeout(context_, static_cast<std::uint32_t>(timeout_us / 1'000'000),
                              static_cast<std::uint32_t>(timeout_us % 1'000'000));
}

LibmodbusClient::~LibmodbusClient() {
  close();
  if (context_) modbus_free(context_);
}

ClientResult LibmodbusClient::connect() {
  if (connected_) return ClientResult::success();
  if (!context_) {
    return {.kind = ClientResult::Kind::connection_lost,
            .message = where_ + ": libmodbus could not set up the connection"};
  }
  if (modbus_connect(context_) != 0) {
    const int error = errno;
    return {.kind = ClientResult::Kind::connection_lost,
            .message = where_ + ": " + modbus_strerror(error)};
  }
  connected_ = true;
  return ClientResult::success();
}

void LibmodbusClient::close() {
  if (connected_ && context_) modbus_close(context_);
  connected_ = false;
}

ClientResult LibmodbusClient::failure(int error) {
  ClientResult result{.message = modbus_strerror(error)};
  if (error > MODBUS_ENOBASE && error <= EMBXGTAR) {
    result.kind = ClientResult::Kind::exception;
    result.exception_code = error - MODBUS_ENOBASE;
  } else if (error == ETIMEDOUT) {
    result.kind = ClientResult::Kind::timeout;
  } else if (error == EMBBADCRC) {
    result.kind = ClientResult::Kind::crc;
  } else if (error == EMBBADDATA || error == EMBBADEXC || error == EMBUNKEXC || error == EMBMDATA ||
             error == EMBBADSLAVE) {
    result.kind = ClientResult::Kind::bad_response;
  } else {
    // Everything else is the link itself (reset, broken pipe, closed, a vanished serial port).
    result.kind = ClientResult::Kind::connection_lost;
  }
  if (result.kind == ClientResult::Kind::timeout || result.kind == ClientResult::Kind::crc ||
      result.kind == ClientResult::Kind::bad_response) {
    // A late or garbled answer may still be on its way; reading it as the answer to the next
    // request would shift every value after it.
    modbus_flush(context_);
  }
  return result;
}

template <class Read>
ClientResult LibmodbusClient::read(std::size_t count, Read read_call) {
  if (!connected_) {
    return {.kind = ClientResult::Kind::connection_lost, .message = "not connected"};
  }
  const int got = read_call();
  if (got < 0) return failure(errno);
  if (static_cast<std::size_t>(got) != count) {
    return {.kind = ClientResult::Kind::bad_response,
            .message = "asked for " + std::to_string(count) + ", got " + std::to_string(got)};
  }
  return ClientResult::success();
}

ClientResult LibmodbusClient::read_registers(std::uint16_t address, std::span<std::uint16_t> out) {
  return read(out.size(), [&] {
    return modbus_read_registers(context_, address, static_cast<int>(out.size()), out.data());
  });
}

ClientResult LibmodbusClient::read_input_registers(std::uint16_t address,
                                                   std::span<std::uint16_t> out) {
  return read(out.size(), [&] {
    return modbus_read_input_registers(context_, address, static_cast<int>(out.size()), out.data());
  });
}

ClientResult LibmodbusClient::read_bits(std::uint16_t address, std::span<std::uint8_t> out) {
  return read(out.size(), [&] {
    return modbus_read_bits(context_, address, static_cast<int>(out.size()), out.data());
  });
}

ClientResult LibmodbusClient::read_input_bits(std::uint16_t address, std::span<std::uint8_t> out) {
  return read(out.size(), [&] {
    return modbus_read_input_bits(context_, address, static_cast<int>(out.size()), out.data());
  });
}

}  // namespace edgegw::modbus
