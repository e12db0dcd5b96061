// Modbus poll throughput: the modbus adapter polling a pymodbus server on loopback TCP as fast
// as it answers (poll_interval_ms = 1), a map of 500 holding registers read in blocks of 125,
// next to the same map read one register per request. Prints a table row and a JSON line.
#include <chrono>
#include <cstdio>
#include <mutex>
#include <thread>

#include "adapters/registry.h"
#include "tests/integration/modbus/pymodbus_server.h"

namespace edgegw {
namespace {

class CountingSink final : public ReadingSink {
 public:
  bool offer(std::span<const Reading> readings) override {
    std::lock_guard lock(mutex_);
    count_ += readings.size();
    return true;
  }
  std::size_t count() const {
    std::lock_guard lock(mutex_);
    return count_;
  }

 private:
  mutable std::mutex mutex_;
  std::size_t count_ = 0;
};

/// Registers per second read from `server` with `registers` uint16 values and requests of at
/// most `block` registers, over `seconds`.
double registers_per_s(const PymodbusServer& server, int registers, int block, double seconds) {
  std::vector<AdapterOptionValues> map;
  for (int i = 0; i < registers; ++i) {
    map.push_back({{"name", "r" + std::to_string(i)}, {"address", std::int64_t{i}}});
  }
  SystemClock clock;
  const AdapterHardware hardware = system_hardware();
  OptionErrors errors;
  auto adapter = create_adapter("modbus",
                                {{"name", std::string("bench")},
                                 {"port", std::int64_t{server.port()}},
                                 {"poll_interval_ms", std::int64_t{1}},
                                 {"max_block_registers", std::int64_t{block}}},
                                {{"registers", map}}, AdapterContext{clock, hardware}, errors);
  if (!adapter) throw std::runtime_error("cannot build the bench adapter");
  std::vector<SeriesId> ids(map.size());
  for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<SeriesId>(i + 1);
  CountingSink sink;
  adapter->start(sink, ids);
  // The first poll includes connecting; measure from the first readings on.
  while (sink.count() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const auto start_count = sink.count();
  const auto start = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  const auto read = sink.count() - start_count;
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const auto errors_seen = adapter->health().errors;
  adapter->stop();
  if (errors_seen != 0) throw std::runtime_error("the bench adapter saw read errors");
  return static_cast<double>(read) / elapsed;
}

int run(int argc, char** argv) {
  const bool quick = argc > 1 && std::string(argv[1]) == "--quick";
  const double seconds = quick ? 1.0 : 5.0;
  if (!PymodbusServer::available()) {
    std::printf(
        "(m) Modbus poll throughput: skipped, /usr/bin/python3 cannot import pymodbus "
        "(scripts/install-deps.sh test installs python3-pymodbus)\n");
    return 0;
  }
  constexpr int kRegisters = 500;
  std::vector<ServedValue> served;
  for (int i = 0; i < kRegisters; ++i) {
    served.push_back({.table = "holding", .address = i, .type = "uint16", .raw = double(i)});
  }
  PymodbusServer server(served);
  const double blocked = registers_per_s(server, kRegisters, 125, seconds);
  const double single = registers_per_s(server, kRegisters, 1, seconds);
  std::printf(
      "(m) Modbus TCP poll throughput against pymodbus on loopback, %d holding registers, "
      "%.0f s each\n",
      kRegisters, seconds);
  std::printf("%-58s %10.0f %-3s\n", "  blocks of up to 125 registers per request", blocked, "/s");
  std::printf("%-58s %10.0f %-3s\n", "  one register per request", single, "/s");
  std::printf("{\"modbus_registers_per_s\":%.0f,\"modbus_registers_per_s_single\":%.0f}\n", blocked,
              single);
  return 0;
}

}  // namespace
}  // namespace edgegw

int main(int argc, char** argv) {
  return edgegw::run(argc, argv);
}
