#include "adapters/hx711/hx711_source.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <mutex>
#include <optional>

#include "adapters/adapter_runner.h"
#include "adapters/registry.h"
#include "tests/fakes/fake_gpio.h"
#include "tests/fakes/fake_hx711.h"
#include "tests/fakes/recording_sink.h"
#include "tests/wait_for.h"

namespace edgegw {
namespace {

using edgegw::testing::RecordingSink;

using hx711::FakeHx711;
using hx711::FakePulseClock;
using hx711::LentPulseClock;

constexpr unsigned kDout = 5;
constexpr unsigned kSck = 6;

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

class Hx711SourceTest : public ::testing::Test {
 protected:
  Hx711SourceTest() {
    lines_->provide(kDout, part_.dout());
    lines_->provide(kSck, part_.pd_sck());
  }

  std::unique_ptr<AdapterRunner> make(Hx711Options options) {
    options.name = "scale";
    options.dout_line = kDout;
    options.sck_line = kSck;
    options.data_rate_sps = 80;
    auto source = std::make_unique<Hx711Source>(
        options, clock_,
        Hx711Hardware{.lines = std::move(lines_),
                      .pulse_clock = std::make_unique<LentPulseClock>(pulse_clock_)});
    source_ = source.get();
    return std::make_unique<AdapterRunner>(std::move(source), clock_);
  }

  SystemClock clock_;
  FakePulseClock pulse_clock_;
  FakeHx711 part_{pulse_clock_};
  std::unique_ptr<gpio::FakeLineOpener> lines_ = std::make_unique<gpio::FakeLineOpener>();
  RecordingSink sink_;
  Hx711Source* source_ = nullptr;
};

TEST_F(Hx711SourceTest, EmitsGramsAndRawCountsOnItsSeries) {
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
  adapter->weigher()->set_calibration({.offset = 0, .scale = 1});
  ASSERT_TRUE(wait_for([&] { return sink_.taken().back().value == 2500; }));
  adapter->stop();
  const auto taken = sink_.taken();
  EXPECT_EQ(taken[0], (Reading{.series = 7, .ts_ms = taken[0].ts_ms, .value = 500}));
  EXPECT_EQ(taken[1], (Reading{.series = 8, .ts_ms = taken[0].ts_ms, .value = 2500}));
  EXPECT_TRUE(part_.powered_down()) << "stop() leaves the part powered down";
  EXPECT_FALSE(adapter->health().up);
}

TEST_F(Hx711SourceTest, ADoutThatNeverFallsIsCountedInHealth) {
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
  EXPECT_EQ(source_->weighings(), 0u);
}

TEST_F(Hx711SourceTest, ABusyLineIsReportedAndStopDoesNotWaitOutTheBackoff) {
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

/// The source alone, read by the test on a manual clock: tare and calibration without a thread.
class Hx711WeigherTest : public ::testing::Test {
 protected:
  Hx711WeigherTest() {
    auto lines = std::make_unique<gpio::FakeLineOpener>();
    lines->provide(kDout, part_.dout());
    lines->provide(kSck, part_.pd_sck());
    Hx711Options options;
    options.name = "scale";
    options.dout_line = kDout;
    options.sck_line = kSck;
    options.data_rate_sps = 80;
    options.rate_hz = 2;  // a weighing counts as recent for 2 / 2 Hz + 1 s = 2 s
    options.samples = 1;
    source_.emplace(options, clock_,
                    Hx711Hardware{.lines = std::move(lines),
                                  .pulse_clock = std::make_unique<LentPulseClock>(pulse_clock_)});
    source_->bind({1});
    EXPECT_EQ(source_->open(), "");
  }
  /// One weighing of a part that now converts `raw` (the driver drops the first frame after a
  /// power-up, so the part delivers it for as long as it is asked).
  double weigh(std::int32_t raw) {
    part_.deliver_forever(raw);
    std::vector<Reading> out;
    const auto result = source_->read(out, stop_);
    EXPECT_TRUE(result.errors.empty());
    return out.empty() ? NAN : out.front().value;
  }

  ManualClock clock_;
  FakePulseClock pulse_clock_;
  FakeHx711 part_{pulse_clock_};
  EventStopSignal stop_;
  std::optional<Hx711Source> source_;
};

TEST_F(Hx711WeigherTest, TareZeroesTheLoadAndCalibrationScalesToTheKnownWeight) {
  const auto before = source_->tare();
  EXPECT_FALSE(before.ok);
  EXPECT_EQ(before.error, "no weighing yet");

  EXPECT_EQ(weigh(1000), 1000);
  const auto tared = source_->tare();
  ASSERT_TRUE(tared.ok) << tared.error;
  EXPECT_EQ(tared.raw, 1000);
  EXPECT_EQ(tared.calibration, (ScaleCalibration{.offset = 1000, .scale = 1}));
  EXPECT_EQ(weigh(1000), 0) << "the tared load reads 0 g";

  EXPECT_EQ(weigh(3000), 2000);
  const auto calibrated = source_->calibrate(500);
  ASSERT_TRUE(calibrated.ok) << calibrated.error;
  EXPECT_EQ(calibrated.calibration, (ScaleCalibration{.offset = 1000, .scale = 4}));
  EXPECT_EQ(weigh(3000), 500) << "the known weight reads as itself";
  EXPECT_EQ(weigh(1400), 100);
  EXPECT_EQ(source_->calibration(), (ScaleCalibration{.offset = 1000, .scale = 4}));
}

TEST_F(Hx711WeigherTest, ACalibrationThatCannotBeRightIsRefusedAndChangesNothing) {
  weigh(1000);
  ASSERT_TRUE(source_->tare().ok);
  for (double bad : {0.0, -5.0, std::numeric_limits<double>::quiet_NaN(),
                     std::numeric_limits<double>::infinity()}) {
    const auto outcome = source_->calibrate(bad);
    EXPECT_FALSE(outcome.ok) << bad;
    EXPECT_EQ(outcome.error, "known_grams must be a weight above 0 g");
  }
  weigh(1099);  // 99 counts over the tare: noise, not a weight
  const auto nothing_on = source_->calibrate(500);
  EXPECT_FALSE(nothing_on.ok);
  EXPECT_EQ(nothing_on.error, "the load reads as the tare: is the known weight on the scale?");
  EXPECT_EQ(source_->calibration(), (ScaleCalibration{.offset = 1000, .scale = 1}));
}

TEST_F(Hx711WeigherTest, AWeighingOlderThanTwoPeriodsAndASecondIsTooOldToTareOn) {
  weigh(1000);
  clock_.advance(std::chrono::milliseconds(2000));
  EXPECT_TRUE(source_->tare().ok) << "exactly at the limit it still counts";
  weigh(1200);
  clock_.advance(std::chrono::milliseconds(2001));
  const auto stale = source_->tare();
  EXPECT_FALSE(stale.ok);
  EXPECT_EQ(stale.error, "the latest weighing is too old to stand for the load now");
  EXPECT_EQ(stale.calibration.offset, 1000) << "the earlier tare stays";
}

TEST_F(Hx711WeigherTest, AFailedWeighingSaysWhyThereIsNothingRecentToTareOn) {
  std::vector<Reading> out;
  const auto result = source_->read(out, stop_);  // nothing queued: DOUT never falls
  ASSERT_EQ(result.errors.size(), 1u);
  const auto outcome = source_->tare();
  EXPECT_FALSE(outcome.ok);
  EXPECT_EQ(outcome.error, "no weighing yet: " + result.errors[0]);
}

}  // namespace
}  // namespace edgegw
