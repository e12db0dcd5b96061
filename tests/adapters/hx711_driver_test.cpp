#include "adapters/hx711/hx711_driver.h"

#include <gtest/gtest.h>

#include "tests/fakes/fake_hx711.h"

namespace edgegw::hx711 {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

constexpr milliseconds kTimeout{200};

TEST(Hx711Framing, SignExtensionOfThe24BitWord) {
  EXPECT_EQ(sign_extend_24(0x800000), -8388608);
  EXPECT_EQ(sign_extend_24(0x7FFFFF), 8388607);
  EXPECT_EQ(sign_extend_24(0xFFFFFF), -1);
  EXPECT_EQ(sign_extend_24(0x000000), 0);
  EXPECT_EQ(sign_extend_24(0x000001), 1);
  EXPECT_EQ(sign_extend_24(0xFF800000), -8388608) << "bits above the 24th are ignored";
}

TEST(Hx711Framing, ExtremeAndAsymmetricFramesComeOutMsbFirst) {
  FakePulseClock clock;
  FakeHx711 part(clock);
  // 0x123456 reads back differently if the bit order is reversed.
  part.queue({0, -8388608, 8388607, -1, 0x123456, -0x123456});
  Hx711Driver driver(part.pd_sck(), part.dout(), clock, Gain::a128);
  for (std::int32_t expected : {-8388608, 8388607, -1, 0x123456, -0x123456}) {
    const auto frame = driver.read(kTimeout);
    ASSERT_TRUE(frame.ok()) << frame.message;
    EXPECT_EQ(frame.raw, expected);
  }
}

class Hx711GainPulses : public ::testing::TestWithParam<std::pair<Gain, int>> {};

TEST_P(Hx711GainPulses, EveryFrameGetsTheGainsPulseCountAndSelectsIt) {
  const auto [gain, pulses] = GetParam();
  FakePulseClock clock;
  FakeHx711 part(clock);
  part.queue({111, 222, 333});
  Hx711Driver driver(part.pd_sck(), part.dout(), clock, gain);
  // The first frame was converted at a gain chosen before this driver: dropped.
  auto frame = driver.read(kTimeout);
  ASSERT_TRUE(frame.ok()) << frame.message;
  EXPECT_EQ(frame.raw, 222);
  frame = driver.read(kTimeout);
  ASSERT_TRUE(frame.ok()) << frame.message;
  EXPECT_EQ(frame.raw, 333);
  driver.read(milliseconds(1));  // lets the fake see the last frame's pulses end
  EXPECT_EQ(part.pulses_per_frame(), (std::vector<int>{pulses, pulses, pulses}));
  EXPECT_EQ(part.next_gain(), gain);
}

INSTANTIATE_TEST_SUITE_P(AllGains, Hx711GainPulses,
                         ::testing::Values(std::pair{Gain::a128, 25}, std::pair{Gain::b32, 26},
                                           std::pair{Gain::a64, 27}));

TEST(Hx711Timing, NoPulseIsHighLongerThan50Microseconds) {
  FakePulseClock clock;
  FakeHx711 part(clock);
  part.access_time = microseconds(5);  // a slow board's ioctls
  part.deliver_forever(4242);
  Hx711Driver driver(part.pd_sck(), part.dout(), clock, Gain::a64);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(driver.read(kTimeout).ok());
  EXPECT_EQ(part.high_phases().size(), 21u * 27u);
  EXPECT_LE(part.longest_high(), kMaxPulseHigh);
  EXPECT_EQ(part.resets(), 0);
}

TEST(Hx711Timing, ADriverThatDawdlesIsCaughtByThePartAndByItself) {
  FakePulseClock clock;
  FakeHx711 part(clock);
  part.deliver_forever(4242);
  Hx711Driver dawdler(part.pd_sck(), part.dout(), clock, Gain::a128,
                      {.high = microseconds(55), .low = microseconds(1)});
  const auto frame = dawdler.read(kTimeout);
  EXPECT_GT(part.longest_high(), kMaxPulseHigh);
  EXPECT_EQ(frame.error, FrameResult::Error::pulse_too_long);
  EXPECT_NE(frame.message.find("50 µs"), std::string::npos) << frame.message;
}

TEST(Hx711Timing, APulseStretchedByPreemptionDropsTheFrameAndTheResetIsRecoveredFrom) {
  FakePulseClock clock;
  FakeHx711 part(clock);
  part.queue({1, 2, 3, 4});
  part.stall_on_rise[25 + 10] = microseconds(70);  // the 10th data bit of the second frame
  Hx711Driver driver(part.pd_sck(), part.dout(), clock, Gain::b32);
  const auto stretched = driver.read(kTimeout);
  EXPECT_EQ(stretched.error, FrameResult::Error::pulse_too_long);
  EXPECT_EQ(part.resets(), 1) << "held past 60 µs, the part powered down and reset";
  // Frame 3 was converted at the reset's A/128: dropped; frame 4 is at B/32 again.
  const auto frame = driver.read(kTimeout);
  ASSERT_TRUE(frame.ok()) << frame.message;
  EXPECT_EQ(frame.raw, 4);
  EXPECT_EQ(part.next_gain(), Gain::b32);
}

TEST(Hx711Timing, ADoutThatNeverFallsTimesOutWithoutClocking) {
  FakePulseClock clock;
  FakeHx711 part(clock);  // nothing queued: never ready
  Hx711Driver driver(part.pd_sck(), part.dout(), clock, Gain::a128);
  const auto started = clock.now();
  const auto frame = driver.read(milliseconds(100));
  EXPECT_EQ(frame.error, FrameResult::Error::not_ready);
  EXPECT_NE(frame.message.find("DOUT"), std::string::npos) << frame.message;
  EXPECT_GE(clock.now() - started, milliseconds(100));
  EXPECT_LT(clock.now() - started, milliseconds(102)) << "waited far past the timeout";
  EXPECT_TRUE(part.high_phases().empty());
}

TEST(Hx711Power, PowerDownHoldsClockHighPast60MicrosecondsAndPowerUpResets) {
  FakePulseClock clock;
  FakeHx711 part(clock);
  part.queue({10, 20, 30, 40});
  Hx711Driver driver(part.pd_sck(), part.dout(), clock, Gain::a64);
  ASSERT_EQ(driver.read(kTimeout).raw, 20);
  ASSERT_TRUE(driver.power_down());
  EXPECT_TRUE(part.powered_down());
  EXPECT_TRUE(driver.powered_down());
  ASSERT_TRUE(driver.power_up());
  EXPECT_FALSE(part.powered_down());
  EXPECT_EQ(part.resets(), 1);
  EXPECT_EQ(part.next_gain(), Gain::a128);
  // After the reset frame 30 was converted at A/128: dropped.
  const auto frame = driver.read(kTimeout);
  ASSERT_TRUE(frame.ok()) << frame.message;
  EXPECT_EQ(frame.raw, 40);
  EXPECT_EQ(part.next_gain(), Gain::a64);
}

TEST(Hx711Power, AReadWhilePoweredDownPowersUpFirst) {
  FakePulseClock clock;
  FakeHx711 part(clock);
  part.deliver_forever(7);
  Hx711Driver driver(part.pd_sck(), part.dout(), clock, Gain::a128);
  ASSERT_TRUE(driver.power_down());
  const auto frame = driver.read(kTimeout);
  ASSERT_TRUE(frame.ok()) << frame.message;
  EXPECT_EQ(frame.raw, 7);
  EXPECT_FALSE(driver.powered_down());
}

TEST(Hx711Median, OneSpikeAmongFiveDoesNotMoveIt) {
  std::vector<std::int32_t> samples{100, 101, 8000000, 99, 102};
  EXPECT_EQ(median_of(samples), 101.0);
  std::vector<std::int32_t> negative_spike{100, -8388608, 101, 99};
  EXPECT_EQ(median_of(negative_spike), 99.5);
  std::vector<std::int32_t> none;
  EXPECT_EQ(median_of(none), std::nullopt);
}

}  // namespace
}  // namespace edgegw::hx711
