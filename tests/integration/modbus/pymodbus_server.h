#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "tests/temp_dir.h"

namespace edgegw {

/// One value the test device holds: where, how it is encoded, and its raw value.
struct ServedValue {
  std::string table;  ///< "holding" "input" "coil" "discrete"
  int address = 0;
  std::string type;
  std::string word_order = "big";
  std::string byte_order = "big";
  double raw = 0;
};

/// tests/integration/modbus/modbus_server.py (pymodbus) as a child process serving `values`:
/// Modbus TCP on a free loopback port, or RTU on a serial device. Started by the constructor,
/// killed by the destructor; stop()/start() keep the port. Throws if it does not come up.
class PymodbusServer {
 public:
  /// Whether /usr/bin/python3 can import pymodbus (with pyserial, which it imports for TCP too).
  static bool available();

  /// TCP on a free loopback port.
  explicit PymodbusServer(std::vector<ServedValue> values);
  /// RTU on `serial_device` (one end of a PTY pair) at `baud`.
  PymodbusServer(std::vector<ServedValue> values, std::string serial_device, int baud);
  ~PymodbusServer();
  PymodbusServer(const PymodbusServer&) = delete;
  PymodbusServer& operator=(const PymodbusServer&) = delete;

  void start();
  void stop();
  int port() const { return port_; }
  std::string output() const;

 private:
  TempDir dir_;
  std::string spec_file_;
  std::string output_file_;
  std::string serial_device_;
  int baud_ = 19200;
  int port_ = 0;
  pid_t pid_ = -1;
};

/// `socat -d -d pty,raw,echo=0 pty,raw,echo=0`: two linked pseudo-terminals, a serial line
/// without hardware. Killed by the destructor.
class PtyPair {
 public:
  static bool available();
  PtyPair();
  ~PtyPair();
  PtyPair(const PtyPair&) = delete;
  PtyPair& operator=(const PtyPair&) = delete;
  const std::string& device_end() const { return first_; }   ///< the device's (server's) end
  const std::string& master_end() const { return second_; }  ///< the gateway's end

 private:
  TempDir dir_;
  std::string first_;
  std::string second_;
  pid_t pid_ = -1;
};

}  // namespace edgegw
