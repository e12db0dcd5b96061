// A whole gateway with an hx711 adapter on a fake HX711 (this machine has no GPIO): tare and
// calibration over REST, kept in the buffer's settings table across a restart.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "gateway/gateway.h"
#include "gateway/scale/calibration_setting.h"
#include "tests/fakes/fake_gpio.h"
#include "tests/fakes/fake_hx711.h"
#include "tests/http_client.h"
#include "tests/integration/local_gateway_config.h"
#include "tests/temp_dir.h"
#include "tests/wait_for.h"

namespace edgegw {
namespace {

namespace json = boost::json;
using boost::beast::http::verb;

constexpr unsigned kDout = 5;
constexpr unsigned kSck = 6;

/// A load cell on the bench: the fake part behind the lines the gateway's adapter requests.
struct BenchScale {
  hx711::FakePulseClock pulse_clock;
  hx711::FakeHx711 part{pulse_clock};

  AdapterHardware hardware() {
    AdapterHardware hardware = system_hardware();
    hardware.gpio = [this] {
      auto lines = std::make_unique<gpio::FakeLineOpener>();
      lines->provide(kDout, part.dout());
      lines->provide(kSck, part.pd_sck());
      return lines;
    };
    hardware.pulse_clock = [this] { return std::make_unique<hx711::LentPulseClock>(pulse_clock); };
    return hardware;
  }
};

GatewayConfig scale_config(const TempDir& dir) {
  GatewayConfig config = directory_uplink_config(dir, "gw-scale");
  config.adapters.push_back({.type = "hx711",
                             .name = "scale",
                             .values = {{"name", std::string("scale")},
                                        {"dout_line", std::int64_t{kDout}},
                                        {"sck_line", std::int64_t{kSck}},
                                        {"data_rate_sps", std::int64_t{80}},
                                        {"rate_hz", 10.0},
                                        {"samples", std::int64_t{1}}}});
  config.adapters.push_back(
      {.type = "simulator", .name = "crane", .values = {{"profile", std::string("crane")}}});
  return config;
}

/// The latest weight the gateway accepted, once it equals `grams`.
bool weighs(Gateway& gateway, double grams) {
  return wait_for([&] {
    for (const auto& sensor : gateway.api().latest()) {
      if (sensor.series == "scale.weight_g" && sensor.value == grams) return true;
    }
    return false;
  });
}

HttpResult post(const Gateway& gateway, const std::string& target, const std::string& body = {}) {
  return http_request(gateway.api_port(), verb::post, target, body);
}

TEST(ScaleCalibration, TareAndCalibrationOverRestSurviveARestart) {
  TempDir dir;
  const auto config = scale_config(dir);
  {
    BenchScale bench;
    bench.part.deliver_forever(8000);  // the empty scale
    SystemClock clock;
    Gateway gateway(config, clock, bench.hardware());
    gateway.start();
    ASSERT_TRUE(weighs(gateway, 8000)) << "offset 0, scale 1 from the config";

    const auto tared = post(gateway, "/api/v1/adapters/scale/tare");
    ASSERT_EQ(tared.status, 200) << tared.body;
    EXPECT_EQ(json::parse(tared.body),
              json::parse(R"({"adapter":"scale","offset":8000.0,"scale":1.0,)"
                          R"("raw_counts":8000.0,"stored":true})"));
    ASSERT_TRUE(weighs(gateway, 0));

    bench.part.deliver_forever(10000);  // 500 g put on: 2000 counts at 4 counts per gram
    ASSERT_TRUE(weighs(gateway, 2000));
    const auto calibrated =
        post(gateway, "/api/v1/adapters/scale/calibrate", R"({"known_grams":500})");
    ASSERT_EQ(calibrated.status, 200) << calibrated.body;
    EXPECT_EQ(json::parse(calibrated.body).at("scale"), 4.0);
    ASSERT_TRUE(weighs(gateway, 500));

    EXPECT_EQ(post(gateway, "/api/v1/adapters/crane/tare").status, 409) << "not a load cell";
    EXPECT_EQ(post(gateway, "/api/v1/adapters/nope/tare").status, 404);
    gateway.stop();
  }
  {
    BenchScale bench;
    bench.part.deliver_forever(10000);  // the 500 g still on
    SystemClock clock;
    Gateway gateway(config, clock, bench.hardware());
    gateway.start();
    EXPECT_TRUE(weighs(gateway, 500)) << "the stored tare and scale are in use after a restart";
    EXPECT_EQ(gateway.buffer().setting(calibration_setting_name("scale")),
              calibration_setting_value({.offset = 8000, .scale = 4}));
    gateway.stop();
  }
}

TEST(ScaleCalibration, AnUnreadableStoredCalibrationLeavesTheConfiguredOne) {
  TempDir dir;
  auto config = scale_config(dir);
  config.adapters[0].values["offset"] = 1000.0;
  config.adapters[0].values["scale"] = 2.0;
  SystemClock clock;
  SqliteBuffer::open(config.storage, clock)
      ->store_setting(calibration_setting_name("scale"), R"({"offset":5,"scale":0})");
  BenchScale bench;
  bench.part.deliver_forever(3000);
  Gateway gateway(config, clock, bench.hardware());
  gateway.start();
  EXPECT_TRUE(weighs(gateway, 1000)) << "(3000 - 1000) / 2 from the config";
  gateway.stop();
}

}  // namespace
}  // namespace edgegw
