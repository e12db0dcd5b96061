// Property test: whatever the packer accepts comes back from the decoder, within the series'
// resolution or bit for bit, and every bundle respects the budget exactly.

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "proto/bundle_builder.h"
#include "proto/bundle_decoder.h"
#include "proto/bundle_packer.h"
#include "tests/proto/bundle_test_support.h"

namespace edgegw {
namespace {

struct GeneratedStream {
  std::map<SeriesId, SeriesSpec> specs;
  std::vector<Reading> readings;

  void fill(SeriesCatalog& catalog) const {
    for (const auto& [id, spec] : specs) catalog.insert(SeriesInfo{id, spec});
  }
};

double extreme_value(std::mt19937_64& rng) {
  static const double kExtremes[] = {1e308,
                                     -1e308,
                                     std::numeric_limits<double>::denorm_min(),
                                     -std::numeric_limits<double>::denorm_min(),
                                     2.5e-310,
                                     0.0,
                                     -0.0,
                                     std::numeric_limits<double>::max(),
                                     std::numeric_limits<double>::lowest(),
                                     std::numeric_limits<double>::min(),
                                     9007199254740993.0,
                                     1152921504606846976.0,
                                     -123456789012345678.0,
                                     12.3,
                                     4200,
                                     1e22,
                                     1e23,
                                     0.1,
                                     1e-7};
  return kExtremes[rng() % std::size(kExtremes)];
}

/// Several series with their own rates, resolutions, value shapes, disorder and qualities,
/// interleaved as a buffer would hand them over.
GeneratedStream generate_stream(std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto uniform = [&](double lo, double hi) {
    return std::uniform_real_distribution<double>(lo, hi)(rng);
  };
  auto chance = [&](double p) { return uniform(0, 1) < p; };

  GeneratedStream stream;
  const int series_count = 1 + static_cast<int>(rng() % 6);
  struct State {
    SeriesId id;
    double resolution;
    int shape;
    std::int64_t ts;
    std::int64_t period;
    int jitter;
    double level;
    double quality_rate;
    double disorder_rate;
  };
  static const double kResolutions[] = {0.0, 0.0, 0.1, 0.01, 1.0, 0.5, 0.0, 100.0};
  static const char* kNames[] = {"load", "boom \"angle\"", "radius\\m", "hoist\theight",
                                 "wind", "slew°",          "hours",     "fault\x01"};
  std::vector<State> states;
  for (int s = 0; s < series_count; ++s) {
    State state{};
    state.id = static_cast<SeriesId>(10 + s);
    state.resolution = kResolutions[rng() % std::size(kResolutions)];
    state.shape = static_cast<int>(rng() % 5);
    state.ts = 1'700'000'000'000 + static_cast<std::int64_t>(rng() % 100000);
    state.period = 1 + static_cast<std::int64_t>(rng() % 1000);
    state.jitter = static_cast<int>(rng() % 6);
    state.level = uniform(-1e4, 1e4);
    state.quality_rate = chance(0.5) ? 0.0 : uniform(0, 0.3);
    state.disorder_rate = chance(0.5) ? 0.0 : uniform(0, 0.2);
    std::string name = kNames[s] + std::to_string(seed % 3);
    stream.specs[state.id] = SeriesSpec{name, s % 2 ? "kg" : "", state.resolution};
    states.push_back(state);
  }

  const int total = 200 + static_cast<int>(rng() % 4000);
  for (int i = 0; i < total; ++i) {
    State& state = states[rng() % states.size()];
    Reading reading;
    reading.series = state.id;
    state.ts += state.period;
    if (chance(0.01)) state.ts += static_cast<std::int64_t>(rng() % 10'000'000);  // an outage
    reading.ts_ms =
        state.ts +
        (state.jitter ? static_cast<int>(rng() % (2 * state.jitter + 1)) - state.jitter : 0);
    if (chance(state.disorder_rate)) {
      // late or repeated timestamps: a reading from the past or the same instant again
      reading.ts_ms = chance(0.5) ? reading.ts_ms - static_cast<std::int64_t>(rng() % 5000)
                                  : state.ts - state.period;
    }
    switch (state.shape) {
      case 0:
        reading.value = state.level + std::normal_distribution<double>(0, 0.1)(rng);
        break;
      case 1:
        reading.value = std::round(uniform(0, 100)) / 10.0;
        break;  // 12.3-like
      case 2:
        reading.value = 100.0 * std::round(uniform(0, 500));
        break;  // 4200-like
      case 3:
        reading.value = uniform(-1e6, 1e6);
        break;  // full mantissas
      default:
        reading.value = static_cast<double>(static_cast<std::int64_t>(rng() % 2000) - 1000);
    }
    if (chance(0.01)) reading.value = extreme_value(rng);
    if (chance(state.quality_rate))
      reading.quality = chance(0.5) ? Quality::uncertain : Quality::bad;
    stream.readings.push_back(reading);
  }
  return stream;
}

/// Packed readings regrouped the way the decoder returns them: by series, in packing order.
std::map<std::string, std::vector<Reading>> expected_by_series(const GeneratedStream& stream,
                                                               std::span<const Reading> packed) {
  std::map<std::string, std::vector<Reading>> out;
  for (const Reading& reading : packed)
    out[stream.specs.at(reading.series).name].push_back(reading);
  return out;
}

void expect_round_trip(const GeneratedStream& stream, std::span<const Reading> offered,
                       const PackedBundle& packed, const PackerOptions& options,
                       const std::string& context) {
  SCOPED_TRACE(context);
  DecodedBundle decoded = decode_bundle(packed.payload);
  EXPECT_EQ(decoded.gateway_id, options.gateway_id);
  EXPECT_EQ(decoded.bundle_seq, packed.bundle_seq);
  EXPECT_EQ(decoded.encoding, options.encoding);
  ASSERT_EQ(decoded.readings.size(), packed.reading_count);

  auto expected = expected_by_series(stream, offered.first(packed.reading_count));
  std::map<std::string, std::size_t> position;
  for (const DecodedReading& got : decoded.readings) {
    auto it = expected.find(got.series);
    ASSERT_NE(it, expected.end()) << "unexpected series " << got.series;
    std::size_t& index = position[got.series];
    ASSERT_LT(index, it->second.size());
    const Reading& want = it->second[index++];
    const SeriesSpec& spec = stream.specs.at(want.series);
    EXPECT_EQ(got.unit, spec.unit);
    EXPECT_EQ(got.ts_ms, want.ts_ms);
    EXPECT_EQ(got.quality, want.quality);
    if (spec.resolution > 0) {
      const double slack = spec.resolution / 2 * (1 + 1e-12) + std::fabs(want.value) * 4e-16;
      EXPECT_LE(std::fabs(got.value - want.value), slack)
          << got.series << " value " << want.value << " decoded as " << got.value;
    } else {
      EXPECT_EQ(std::bit_cast<std::uint64_t>(got.value), std::bit_cast<std::uint64_t>(want.value))
          << got.series << " value " << want.value << " decoded as " << got.value;
    }
  }
  for (const auto& [name, readings] : expected) EXPECT_EQ(position[name], readings.size()) << name;
}

class BundleRoundTrip : public ::testing::TestWithParam<BundleEncoding> {};

TEST_P(BundleRoundTrip, EveryPackedReadingDecodesAndBudgetIsExact) {
  static const std::size_t kBudgets[] = {200, 700, 2048, 5120, 20000};
  const int seeds = GetParam() == BundleEncoding::proto ? 200 : 60;
  for (int seed = 1; seed <= seeds; ++seed) {
    GeneratedStream stream = generate_stream(static_cast<std::uint64_t>(seed));
    PackerOptions options;
    options.gateway_id = "gw-\"test\"";
    options.encoding = GetParam();
    options.budget_bytes = kBudgets[static_cast<std::size_t>(seed) % std::size(kBudgets)];
    options.zstd_level = seed % 4 == 0 ? 19 : 3;
    SeriesCatalog catalog;
    stream.fill(catalog);
    BundlePacker packer(options, catalog);

    std::span<const Reading> rest(stream.readings);
    std::uint64_t bundle_seq = 1000 * static_cast<std::uint64_t>(seed);
    // Pack the whole stream bundle after bundle, as the uplink drains the buffer.
    std::size_t offset = 0;
    while (!rest.empty()) {
      const std::string context = "seed " + std::to_string(seed) + " offset " +
                                  std::to_string(offset) + " budget " +
                                  std::to_string(options.budget_bytes);
      PackedBundle packed = packer.pack(bundle_seq, rest);
      ASSERT_GT(packed.reading_count, 0u) << context;
      EXPECT_LE(packed.payload.size(), options.budget_bytes) << context;
      EXPECT_EQ(packed.raw_size, test::raw_payload(packed.payload).size()) << context;
      EXPECT_EQ(packed.full, packed.reading_count < rest.size()) << context;

      expect_round_trip(stream, rest, packed, options, context);

      if (packed.full) {
        // The reading that stopped the bundle really would have pushed it over the budget.
        PackerOptions unlimited = options;
        unlimited.budget_bytes = 1 << 24;
        BundlePacker oversize(unlimited, catalog);
        PackedBundle with_next = oversize.pack(bundle_seq, rest.first(packed.reading_count + 1));
        EXPECT_EQ(with_next.reading_count, packed.reading_count + 1) << context;
        EXPECT_GT(with_next.payload.size(), options.budget_bytes) << context;
      }
      if (::testing::Test::HasFailure()) return;
      offset += packed.reading_count;
      rest = rest.subspan(packed.reading_count);
      ++bundle_seq;
    }
  }
}

// The zstd search serializes prefixes of one probe builder instead of rebuilding: each prefix
// must come out byte for byte as a builder that only ever saw those readings writes it, and
// the incremental size must match too.
TEST(BundleBuilderTest, PrefixOfABuilderSerializesLikeAFreshBuilder) {
  for (int seed = 1; seed <= 40; ++seed) {
    GeneratedStream stream = generate_stream(static_cast<std::uint64_t>(seed) + 5000);
    SeriesCatalog catalog;
    stream.fill(catalog);
    SeriesSpecCache specs(catalog);
    BundleBuilder whole("gw", 9, specs);
    for (const Reading& reading : stream.readings) ASSERT_TRUE(whole.try_add(reading, SIZE_MAX));

    std::mt19937_64 rng(static_cast<std::uint64_t>(seed));
    for (int probe = 0; probe < 20; ++probe) {
      const std::size_t n = rng() % (stream.readings.size() + 1);
      BundleBuilder fresh("gw", 9, specs);
      for (std::size_t i = 0; i < n; ++i) ASSERT_TRUE(fresh.try_add(stream.readings[i], SIZE_MAX));
      std::string expected;
      fresh.append_message(expected);
      ASSERT_EQ(expected.size(), fresh.message_size()) << "seed " << seed << " n " << n;
      std::string prefix;
      whole.append_message(prefix, n);
      ASSERT_EQ(prefix, expected) << "seed " << seed << " n " << n;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Encodings, BundleRoundTrip,
                         ::testing::Values(BundleEncoding::proto, BundleEncoding::proto_zstd),
                         [](const auto& info) {
                           return info.param == BundleEncoding::proto ? std::string("proto")
                                                                      : std::string("proto_zstd");
                         });

}  // namespace
}  // namespace edgegw
