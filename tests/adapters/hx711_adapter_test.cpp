#include "adapters/hx711/hx711_adapter.h"

#include <gtest/gtest.h>

#include <mutex>

#include "adapters/registry.h"
#include "tests/adapters/fake_gpio.h"
#include "tests/adapters/fake_hx711.h"
#include "tests/adapters/recording_sink.h"
#include "tests/wait_for.h"

namespace edgegw {
namespace {

using edgegw::testing::RecordingSink;

using hx711::FakeHx711;
using hx711::FakePulseClock;

constexpr unsigned kDout = 5;
constexpr unsigned kSck = 6;

/// The adapter owns its pulse clock; this one lends it the test's, which the fake part shares.
class LentPulseClock final : public hx711::PulseClock {
 public:
  explicit LentPulseClock(hx711::PulseClock& to) : to_(to) {}
  std::chrono::nanoseconds now() const override { return to_.now(); }
  void wait(std::chrono::nanoseconds period) override { to_.wait(period); }

 private:
  hx711::PulseClock& to_;
};

std::map<std::string, OptionValue> valid_values() {
  return {{"name", std::string("scale")},
          {"dout_line", std::int64_t{5}},
          {"sck_line", std::int64_t{6}}};
}

TEST(Hx711Options, DefaultsAndTheKeysOfTheBrief) {
  Hx711Options options;
  auto values = valid_values();
  values["gain"] = std::string("B32");
  values["rate_hz"] = 2.0;
  values["samples"] = std::int64_t{3};
  values["offset"] = 8123.5;
  values["scale"] = -21.7;
  values["timeout_ms"] = std::int64_t{300};
  values["chip"] = std::string("gpiochip4");
  EXPECT_TRUE(parse_hx711_options(values, options).empty());
  EXPECT_EQ(parse_gain(options.gain), hx711::Gain::b32);
  EXPECT_EQ(options.chip, "gpiochip4");
  EXPECT_EQ(options.scale, -21.7);
}

TEST(Hx711Options, ErrorsNameTheirKey) {
  auto keys_of = [](std::map<std::string, OptionValue> values) {
    Hx711Options options;
    std::vector<std::string> keys;
    for (const auto& [key, message] : parse_hx711_options(values, options)) keys.push_back(key);
    return keys;
  };
  auto values = valid_values();
  values["scale"] = 0.0;
  EXPECT_EQ(keys_of(values), std::vector<std::string>{"scale"});
  values = valid_values();
  values["gain"] = std::string("A32");
  EXPECT_EQ(keys_of(values), std::vector<std::string>{"gain"});
  values = valid_values();
  values["rate_hz"] = 3.0;
  values["samples"] = std::int64_t{4};  // 12 conversions a second from a 10 sps part
  EXPECT_EQ(keys_of(values), std::vector<std::string>{"samples"});
  values = valid_values();
  values["sck_line"] = std::int64_t{5};
  EXPECT_EQ(keys_of(values), std::vector<std::string>{"sck_line"});
  values = valid_values();
  values["data_rate_sps"] = std::int64_t{40};
  EXPECT_EQ(keys_of(values), std::vector<std::string>{"data_rate_sps"});
  values = valid_values();
  values.erase("dout_line");
  EXPECT_EQ(keys_of(values), std::vector<std::string>{"dout_line"});
}

TEST(Hx711Registry, CheckConfigKnowsTheType) {
  EXPECT_TRUE(check_adapter("hx711", valid_values()).errors.empty());
  EXPECT_EQ(check_adapter("hx711", valid_values()).name, "scale");
}

TEST(Hx711Scale, TheMedianRejectsASpikeAndTheCalibrationGivesGrams) {
  FakePulseClock clock;
  FakeHx711 part(clock);
  part.queue({0, 1100, 1102, 8000000, 1098, 1104});
  hx711::Hx711Driver driver(part.pd_sck(), part.dout(), clock, hx711::Gain::a128);
  Hx711Scale scale(5, std::chrono::milliseconds(200), {.offset = 1000, .scale = 2});
  const auto weighing = scale.sample(driver);
  ASSERT_TRUE(weighing.ok) << weighing.message;
  EXPECT_EQ(weighing.raw, 1102);
  EXPECT_EQ(weighing.grams, 51);
}

TEST(Hx711Scale, ANewCalibrationAppliesToTheNextWeighing) {
  FakePulseClock clock;
  FakeHx711 part(clock);
  part.deliver_forever(-400);
  hx711::Hx711Driver driver(part.pd_sck(), part.dout(), clock, hx711::Gain::a128);
  Hx711Scale scale(1, std::chrono::milliseconds(200), {.offset = 0, .scale = 1});
  EXPECT_EQ(scale.sample(driver).grams, -400);
  scale.set_calibration({.offset = -500, .scale = 4});
  EXPECT_EQ(scale.sample(driver).grams, 25);
}

class Hx711AdapterTest : public ::testing::Test {
 protected:
  Hx711AdapterTest() {
    lines_->provide(kDout, part_.dout());
    lines_->provide(kSck, part_.pd_sck());
  }

  std::unique_ptr<Hx711Adapter> make(Hx711Options options) {
    options.name = "scale";
    options.dout_line = kDout;
    options.sck_line = kSck;
    options.data_rate_sps = 80;
    return std::make_unique<Hx711Adapter>(
        options, clock_,
        Hx711Hardware{.lines = std::move(lines_),
                      .pulse_clock = std::make_unique<LentPulseClock>(pulse_clock_)});
  }

  SystemClock clock_;
  FakePulseClock pulse_clock_;
  FakeHx711 part_{pulse_clock_};
  std::unique_ptr<gpio::FakeLineOpener> lines_ = std::make_unique<gpio::FakeLineOpener>();
  RecordingSink sink_;
};

TEST_F(Hx711AdapterTest, EmitsGramsAndRawCountsOnItsSeries) {
  part_.deliver_forever(2500);
  Hx711Options options;
  options.rate_hz = 40;
  options.samples = 1;
  options.offset = 500;
  options.scale = 4;
  options.emit_raw = true;
  auto adapter = make(options);
  ASSERT_EQ(adapter->series().size(), 2u);
  EXPECT_EQ(adapter->series()[0].name, "scale.weight_g");
  EXPECT_EQ(adapter->series()[1].name, "scale.raw_counts");
  adapter->start(sink_, {7, 8});
  ASSERT_TRUE(wait_for([&] { return sink_.taken().size() >= 4; }));
  EXPECT_TRUE(adapter->health().up);
  adapter->set_calibration(0, 1);
  ASSERT_TRUE(wait_for([&] { return sink_.taken().back().value == 2500; }));
  adapter->stop();
  const auto taken = sink_.taken();
  EXPECT_EQ(taken[0], (Reading{.series = 7, .ts_ms = taken[0].ts_ms, .value = 500}));
  EXPECT_EQ(taken[1], (Reading{.series = 8, .ts_ms = taken[0].ts_ms, .value = 2500}));
  EXPECT_TRUE(part_.powered_down()) << "stop() leaves the part powered down";
  EXPECT_FALSE(adapter->health().up);
}

TEST_F(Hx711AdapterTest, ADoutThatNeverFallsIsCountedInHealth) {
  Hx711Options options;  // nothing queued: the part never has data ready
  options.rate_hz = 40;
  options.samples = 1;
  options.timeout_ms = 50;
  auto adapter = make(options);
  adapter->start(sink_, {7});
  ASSERT_TRUE(wait_for([&] { return adapter->health().errors >= 3; }));
  adapter->stop();
  const auto health = adapter->health();
  EXPECT_FALSE(health.up);
  EXPECT_NE(health.last_error.find("DOUT"), std::string::npos) << health.last_error;
  EXPECT_TRUE(sink_.taken().empty());
  EXPECT_EQ(adapter->weighings(), 0u);
}

TEST_F(Hx711AdapterTest, ABusyLineIsReportedAndStopDoesNotWaitOutTheBackoff) {
  lines_->refuse_requests = 100;
  Hx711Options options;
  auto adapter = make(options);
  adapter->start(sink_, {7});
  ASSERT_TRUE(wait_for([&] { return adapter->health().errors >= 1; }));
  EXPECT_NE(adapter->health().last_error.find("busy"), std::string::npos)
      << adapter->health().last_error;
  const auto asked = std::chrono::steady_clock::now();
  adapter->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - asked, std::chrono::milliseconds(500));
}

}  // namespace
}  // namespace edgegw
