// The shipped deploy/config/crane.toml, through the whole gateway, against a pymodbus server
// holding its register map: every register arrives as the series "<adapter name>.<register>"
// with the value the server holds, and each of its [[rules]] watches one of those series.
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "gateway/gateway.h"
#include "tests/integration/local_gateway_config.h"
#include "tests/integration/modbus/pymodbus_server.h"
#include "tests/missing_package.h"
#include "tests/temp_dir.h"
#include "tests/wait_for.h"

namespace edgegw {
namespace {

using RegisterTable = std::map<std::string, OptionValue>;

// The register's keys as the file has them, with the defaults docs/config.md documents, read
// here rather than through the adapter's parser so the server encodes independently of it.
std::string text(const RegisterTable& r, const char* key, const char* fallback) {
  auto found = r.find(key);
  return found == r.end() ? std::string(fallback) : std::get<std::string>(found->second);
}

double number(const RegisterTable& r, const char* key, double fallback) {
  auto found = r.find(key);
  if (found == r.end()) return fallback;
  if (const auto* integer = std::get_if<std::int64_t>(&found->second)) {
    return static_cast<double>(*integer);
  }
  return std::get<double>(found->second);
}

/// A raw value for register `i` of `type` whose encoding shows a wrong word or byte order or
/// a neighbour's address: both bytes of a register set, both words of a 32-bit value, a
/// fraction in floats, a sign in signed types, and bits alternating 1, 0.
double raw_value(const std::string& type, std::size_t i) {
  const double base = 10.0 * static_cast<double>(i + 1) + static_cast<double>(i % 10);
  if (type == "bool") return i % 2 == 0 ? 1.0 : 0.0;
  if (type == "int16") return -base;
  if (type == "uint16") return base + 256.0;
  if (type.starts_with("float")) return base + 0.25;
  const double wide = 65536.0 * static_cast<double>(i + 1) + base;
  return type.starts_with("int") ? -wide : wide;
}

TEST(ModbusCraneConfig, EveryRegisterOfTheShippedCraneMapArrivesWithTheValueTheServerHolds) {
  if (!PymodbusServer::available()) {
    return missing_package("python3-pymodbus",
                           "/usr/bin/python3 cannot import pymodbus.server, serial and "
                           "serial_asyncio (python3-serial, python3-serial-asyncio)");
  }
  GatewayConfig config = load_config_file(EDGEGW_SOURCE_DIR "/deploy/config/crane.toml");
  ASSERT_EQ(config.adapters.size(), 1u);
  auto& crane = config.adapters.front();
  ASSERT_EQ(crane.type, "modbus");
  const auto& registers = crane.lists.at("registers");
  ASSERT_FALSE(registers.empty());

  struct Expected {
    std::string series;
    double value;
  };
  std::vector<ServedValue> served;
  std::vector<Expected> expected;
  for (std::size_t i = 0; i < registers.size(); ++i) {
    const auto& r = registers[i];
    const std::string type = text(r, "type", "uint16");
    served.push_back({.table = text(r, "table", "holding"),
                      .address = static_cast<int>(std::get<std::int64_t>(r.at("address"))),
                      .type = type,
                      .word_order = text(r, "word_order", "big"),
                      .byte_order = text(r, "byte_order", "big"),
                      .raw = raw_value(type, i)});
    expected.push_back(
        {.series = crane.name + "." + std::get<std::string>(r.at("name")),
         .value = served.back().raw * number(r, "scale", 1.0) + number(r, "offset", 0.0)});
  }
  PymodbusServer server(served);

  // The shipped file as it is, but for where the device, the buffer, the API and the bundles
  // are: the server on loopback, a temporary buffer, bundles into a directory.
  TempDir dir;
  crane.values["host"] = std::string("127.0.0.1");
  crane.values["port"] = std::int64_t{server.port()};
  crane.values["poll_interval_ms"] = std::int64_t{20};
  use_local_test_settings(config, dir);
  config.uplink.directory = dir.file("outbox");
  SystemClock clock;
  Gateway gateway(config, clock);
  gateway.start();

  auto latest_by_series = [&] {
    std::map<std::string, double> out;
    for (const auto& s : gateway.api().latest()) out[s.series] = s.value;
    return out;
  };
  const bool arrived = wait_for([&] {
    const auto latest = latest_by_series();
    for (const auto& e : expected) {
      if (!latest.contains(e.series)) return false;
    }
    return true;
  });
  const auto latest = latest_by_series();
  const auto status = gateway.status();
  gateway.stop();

  ASSERT_EQ(status.adapters.size(), 1u);
  const auto& health = status.adapters.front().health;
  EXPECT_TRUE(arrived) << "not every register arrived; adapter: " << health.last_error << "\n"
                       << server.output();
  for (const auto& e : expected) {
    auto found = latest.find(e.series);
    if (found == latest.end()) {
      ADD_FAILURE() << e.series << " never arrived";
      continue;
    }
    EXPECT_DOUBLE_EQ(found->second, e.value) << e.series;
  }
  EXPECT_EQ(latest.size(), expected.size()) << "series the map does not name arrived";
  // check-config does not know which series the adapters produce: a rule on a misspelt
  // series would never raise (or, stale, always). Each of the file's rules watches one that
  // arrived.
  for (const auto& rule : config.rules) {
    if (!rule.series.empty()) {
      EXPECT_TRUE(latest.contains(rule.series)) << rule.name << " watches " << rule.series;
    }
  }
  EXPECT_EQ(health.errors, 0u) << health.last_error;
  for (const auto& [reason, count] : status.readings_rejected) {
    EXPECT_EQ(count, 0u) << "readings rejected: " << reason;
  }
}

}  // namespace
}  // namespace edgegw
