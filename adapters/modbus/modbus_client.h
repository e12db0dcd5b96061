#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace edgegw::modbus {

/// What a request to the device came to. The kind says what to do next: an exception, a
/// timeout or a corrupt frame spoils one block and the next block is still worth asking for;
/// a lost connection means reconnecting first.
struct ClientResult {
  enum class Kind {
    ok,
    exception,        ///< the device answered with a Modbus exception (`exception_code`)
    timeout,          ///< no (complete) answer within the response timeout
    crc,              ///< an RTU frame with a bad CRC
    bad_response,     ///< an answer that does not fit the request (wrong length, unit, function)
    connection_lost,  ///< the link is gone (refused, reset, closed, unplugged)
  };
  Kind kind = Kind::ok;
  int exception_code = 0;  ///< 1 illegal function, 2 illegal data address, 3 illegal value, ...
  std::string message;     ///< for people: logs and /api/v1/status

  bool ok() const { return kind == Kind::ok; }
  static ClientResult success() { return {}; }
};

/// A Modbus master's view of one device (one unit id on a TCP link or a serial line). Blocking;
/// used from one thread. The libmodbus implementation is LibmodbusClient; tests use a fake.
class ModbusClient {
 public:
  virtual ~ModbusClient() = default;
  /// Opens the link (a TCP connection, or the serial port). Idempotent while connected.
  virtual ClientResult connect() = 0;
  /// Closes the link; the next request needs connect() again.
  virtual void close() = 0;
  /// Function 3: `out.size()` holding registers from `address`.
  virtual ClientResult read_registers(std::uint16_t address, std::span<std::uint16_t> out) = 0;
  /// Function 4: input registers.
  virtual ClientResult read_input_registers(std::uint16_t address,
                                            std::span<std::uint16_t> out) = 0;
  /// Function 1: coils, one byte (0 or 1) per bit.
  virtual ClientResult read_bits(std::uint16_t address, std::span<std::uint8_t> out) = 0;
  /// Function 2: discrete inputs.
  virtual ClientResult read_input_bits(std::uint16_t address, std::span<std::uint8_t> out) = 0;
};

}  // namespace edgegw::modbus
