#include "tests/integration/modbus/pymodbus_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "tests/integration/child_process.h"

namespace edgegw {
namespace {

using testing::free_loopback_port;

constexpr const char* kPython = "/usr/bin/python3";

std::string read_file(const std::string& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

void kill_and_reap(pid_t& pid) {
  if (pid <= 0) return;
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  pid = -1;
}

template <class Ready>
void wait_until(Ready ready, pid_t& pid, const std::string& what, const std::string& log_file) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!ready()) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      pid = -1;
      throw std::runtime_error(what + " exited during start-up:\n" + read_file(log_file));
    }
    if (std::chrono::steady_clock::now() > until) {
      throw std::runtime_error(what + " did not come up in time:\n" + read_file(log_file));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

std::string spec_json(const std::vector<ServedValue>& values) {
  std::ostringstream json;
  json.precision(17);
  json << "[";
  for (std::size_t i = 0; i < values.size(); ++i) {
    const auto& v = values[i];
    json << (i ? ",\n" : "") << "{\"table\":\"" << v.table << "\",\"address\":" << v.address
         << ",\"type\":\"" << v.type << "\",\"word_order\":\"" << v.word_order
         << "\",\"byte_order\":\"" << v.byte_order << "\",\"raw\":";
    // Integers go over as JSON integers, so Python packs them exactly.
    if (v.type.starts_with("float")) {
      json << v.raw;
    } else {
      json << static_cast<long long>(v.raw);
    }
    json << "}";
  }
  json << "]\n";
  return json.str();
}

}  // namespace

bool PymodbusServer::available() {
  const std::string command = std::string(kPython) +
                              " -c 'import pymodbus.server, serial, serial_asyncio' "
                              ">/dev/null 2>&1";
  return ::access(kPython, X_OK) == 0 && std::system(command.c_str()) == 0;
}

PymodbusServer::PymodbusServer(std::vector<ServedValue> values)
    : PymodbusServer(std::move(values), "", 0) {}

PymodbusServer::PymodbusServer(std::vector<ServedValue> values, std::string serial_device, int baud)
    : spec_file_(dir_.file("spec.json")),
      output_file_(dir_.file("server.out")),
      serial_device_(std::move(serial_device)),
      baud_(baud) {
  std::ofstream(spec_file_) << spec_json(values);
  if (serial_device_.empty()) port_ = free_loopback_port();
  start();
}

PymodbusServer::~PymodbusServer() {
  kill_and_reap(pid_);
}

void PymodbusServer::start() {
  if (pid_ > 0) return;
  std::vector<std::string> args{kPython, EDGEGW_MODBUS_SERVER, "--spec", spec_file_};
  if (serial_device_.empty()) {
    args.insert(args.end(), {"--port", std::to_string(port_)});
  } else {
    args.insert(args.end(), {"--serial", serial_device_, "--baud", std::to_string(baud_)});
  }
  pid_ = testing::spawn_child(std::move(args), output_file_);
  wait_until([&] { return read_file(output_file_).find("ready") != std::string::npos; }, pid_,
             "the pymodbus server", output_file_);
}

void PymodbusServer::stop() {
  kill_and_reap(pid_);
}

std::string PymodbusServer::output() const {
  return read_file(output_file_);
}

bool PtyPair::available() {
  return ::access("/usr/bin/socat", X_OK) == 0;
}

PtyPair::PtyPair() : first_(dir_.file("ttyV0")), second_(dir_.file("ttyV1")) {
  const std::string log = dir_.file("socat.out");
  pid_ = testing::spawn_child({"/usr/bin/socat", "-d", "-d", "pty,raw,echo=0,link=" + first_,
                               "pty,raw,echo=0,link=" + second_},
                              log);
  wait_until(
      [&] {
        // socat logs "starting data transfer loop" once both ends exist.
        return read_file(log).find("starting data transfer loop") != std::string::npos;
      },
      pid_, "socat", log);
}

PtyPair::~PtyPair() {
  kill_and_reap(pid_);
}

}  // namespace edgegw
