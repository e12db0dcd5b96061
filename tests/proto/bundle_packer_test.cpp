#include "proto/bundle_packer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <deque>
#include <memory>
#include <random>
#include <span>
#include <vector>

#include "edgegw/v1/bundle.pb.h"
#include "proto/bundle_decoder.h"
#include "tests/proto/bundle_test_support.h"

namespace edgegw {
namespace {

constexpr std::int64_t kStart = 1'700'000'000'000;

v1::Bundle parse_message(const PackedBundle& packed) {
  v1::Bundle bundle;
  EXPECT_TRUE(bundle.ParseFromString(test::message_bytes(packed.payload)));
  return bundle;
}

PackerOptions options_with(BundleEncoding encoding, std::size_t budget = 5120) {
  PackerOptions options;
  options.gateway_id = "gw-01";
  options.budget_bytes = budget;
  options.encoding = encoding;
  return options;
}

std::vector<Reading> one_series(SeriesId id, const std::vector<double>& values,
                                std::int64_t period_ms = 1000) {
  std::vector<Reading> readings;
  for (std::size_t i = 0; i < values.size(); ++i) {
    readings.push_back(
        {id, kStart + static_cast<std::int64_t>(i) * period_ms, values[i], Quality::good});
  }
  return readings;
}

void expect_bit_exact(const DecodedBundle& decoded, const std::vector<Reading>& readings) {
  ASSERT_EQ(decoded.readings.size(), readings.size());
  for (std::size_t i = 0; i < readings.size(); ++i) {
    EXPECT_EQ(std::bit_cast<std::uint64_t>(decoded.readings[i].value),
              std::bit_cast<std::uint64_t>(readings[i].value))
        << "reading " << i << ": " << readings[i].value << " came back as "
        << decoded.readings[i].value;
    EXPECT_EQ(decoded.readings[i].ts_ms, readings[i].ts_ms);
  }
}

TEST(BundleEncodingTest, ParsesTheConfigSpellingsOnly) {
  EXPECT_EQ(parse_bundle_encoding("proto"), BundleEncoding::proto);
  EXPECT_EQ(parse_bundle_encoding("proto+zstd"), BundleEncoding::proto_zstd);
  EXPECT_EQ(parse_bundle_encoding("zstd"), std::nullopt);
  EXPECT_EQ(parse_bundle_encoding(""), std::nullopt);
  EXPECT_EQ(to_string(BundleEncoding::proto_zstd), "proto+zstd");
}

TEST(BundlePackerTest, LosslessSeriesOfTenthsPacksAsSmallIntegersWithExponentOne) {
  SeriesCatalog catalog;
  test::add_series(catalog, 1, "temp", "C", 0.0);
  std::vector<double> values;
  for (int i = 0; i < 1000; ++i)
    values.push_back(12.3 + 0.1 * (i % 7));  // 12.3, 12.4, ... as doubles
  for (double& v : values) v = std::round(v * 10) / 10;
  auto readings = one_series(1, values);

  BundlePacker packer(options_with(BundleEncoding::proto), catalog);
  PackedBundle packed = packer.pack(7, readings);
  ASSERT_EQ(packed.reading_count, readings.size());
  EXPECT_LE(static_cast<double>(packed.payload.size()) / 1000.0, 2.1);  // 1 ts byte + 1 value byte
  v1::Bundle bundle = parse_message(packed);
  ASSERT_EQ(bundle.series_size(), 1);
  EXPECT_EQ(bundle.series(0).decimal_exponent(), 1);
  EXPECT_EQ(bundle.series(0).value_deltas(0), 123);
  expect_bit_exact(decode_bundle(packed.payload), readings);
}

TEST(BundlePackerTest, LosslessRoundHundredsUseANegativeExponent) {
  SeriesCatalog catalog;
  test::add_series(catalog, 1, "load", "kg", 0.0);
  auto readings = one_series(1, {4200, 4300, 4200, 4100, 0, 4200, 19900});

  BundlePacker packer(options_with(BundleEncoding::proto), catalog);
  PackedBundle packed = packer.pack(1, readings);
  v1::Bundle bundle = parse_message(packed);
  ASSERT_EQ(bundle.series_size(), 1);
  EXPECT_EQ(bundle.series(0).decimal_exponent(), -2);
  EXPECT_EQ(bundle.series(0).value_deltas(0), 42);
  EXPECT_EQ(bundle.series(0).value_xor_size(), 0);
  expect_bit_exact(decode_bundle(packed.payload), readings);
}

TEST(BundlePackerTest, ExponentGrowsWhenAFinerValueArrivesAndEarlierValuesStayExact) {
  SeriesCatalog catalog;
  test::add_series(catalog, 1, "x", "", 0.0);
  auto readings = one_series(1, {4200, 17, 12.3, 0.25, -7.125});

  BundlePacker packer(options_with(BundleEncoding::proto), catalog);
  PackedBundle packed = packer.pack(1, readings);
  EXPECT_EQ(packed.raw_size, packed.payload.size());
  EXPECT_EQ(parse_message(packed).series(0).decimal_exponent(), 3);
  expect_bit_exact(decode_bundle(packed.payload), readings);
}

TEST(BundlePackerTest, RandomDoublesFallBackToXorAndStayBitExact) {
  SeriesCatalog catalog;
  test::add_series(catalog, 1, "noise", "", 0.0);
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> dist(-1e6, 1e6);
  std::vector<double> values;
  for (int i = 0; i < 200; ++i) values.push_back(dist(rng));
  auto readings = one_series(1, values);

  BundlePacker packer(options_with(BundleEncoding::proto), catalog);
  PackedBundle packed = packer.pack(1, readings);
  ASSERT_EQ(packed.reading_count, readings.size());
  v1::Bundle bundle = parse_message(packed);
  EXPECT_EQ(bundle.series(0).value_xor_size(), 200);
  EXPECT_EQ(bundle.series(0).value_deltas_size(), 0);
  expect_bit_exact(decode_bundle(packed.payload), readings);
}

TEST(BundlePackerTest, NegativeZeroAndExtremesInALosslessSeriesComeBackBitExact) {
  SeriesCatalog catalog;
  test::add_series(catalog, 1, "x", "", 0.0);
  auto readings = one_series(1, {1.5, -0.0, 0.0, 1e308, -1e308, 4.9e-324, 2.2250738585072014e-308,
                                 9007199254740993.0, 1152921504606846976.0});
  for (auto encoding : {BundleEncoding::proto, BundleEncoding::proto_zstd}) {
    BundlePacker packer(options_with(encoding), catalog);
    expect_bit_exact(decode_bundle(packer.pack(1, readings).payload), readings);
  }
}

TEST(BundlePackerTest, PowerOfTenResolutionRoundsToADecimalExponent) {
  SeriesCatalog catalog;
  test::add_series(catalog, 1, "weight", "g", 0.1);
  auto readings = one_series(1, {250.04, 250.16, 249.93, 250.0}, 100);

  BundlePacker packer(options_with(BundleEncoding::proto), catalog);
  PackedBundle packed = packer.pack(1, readings);
  v1::Bundle bundle = parse_message(packed);
  EXPECT_EQ(bundle.series(0).decimal_exponent(), 1);
  EXPECT_EQ(bundle.series(0).step(), 0.0);
  DecodedBundle decoded = decode_bundle(packed.payload);
  ASSERT_EQ(decoded.readings.size(), 4u);
  // Decimal form decodes to the doubles that print as they read.
  EXPECT_EQ(decoded.readings[0].value, 250.0);
  EXPECT_EQ(decoded.readings[1].value, 250.2);
  EXPECT_EQ(decoded.readings[2].value, 249.9);
  EXPECT_EQ(decoded.readings[3].value, 250.0);
}

TEST(BundlePackerTest, OtherResolutionsUseAStep) {
  SeriesCatalog catalog;
  test::add_series(catalog, 1, "angle", "deg", 0.5);
  auto readings = one_series(1, {10.2, 10.3, -3.76});

  BundlePacker packer(options_with(BundleEncoding::proto), catalog);
  PackedBundle packed = packer.pack(1, readings);
  EXPECT_EQ(parse_message(packed).series(0).step(), 0.5);
  DecodedBundle decoded = decode_bundle(packed.payload);
  ASSERT_EQ(decoded.readings.size(), 3u);
  EXPECT_EQ(decoded.readings[0].value, 10.0);
  EXPECT_EQ(decoded.readings[1].value, 10.5);
  EXPECT_EQ(decoded.readings[2].value, -4.0);
}

TEST(BundlePackerTest, ValueTooLargeForItsResolutionIsKeptLosslessly) {
  SeriesCatalog catalog;
  test::add_series(catalog, 1, "x", "", 0.01);
  auto readings = one_series(1, {1.234, 1e300, -5.5});

  BundlePacker packer(options_with(BundleEncoding::proto), catalog);
  PackedBundle packed = packer.pack(1, readings);
  EXPECT_EQ(packed.raw_size, packed.payload.size());
  DecodedBundle decoded = decode_bundle(packed.payload);
  ASSERT_EQ(decoded.readings.size(), 3u);
  EXPECT_EQ(decoded.readings[1].value, 1e300);
  EXPECT_NEAR(decoded.readings[0].value, 1.234, 0.005);
}

TEST(BundlePackerTest, QualityColumnAppearsOnlyWhenSomeReadingIsNotGood) {
  SeriesCatalog catalog;
  test::add_series(catalog, 1, "a", "", 1.0);
  test::add_series(catalog, 2, "b", "", 1.0);
  auto readings = one_series(1, {1, 2, 3, 4, 5});
  auto doubtful = one_series(2, {1, 2, 3, 4, 5});
  doubtful[1].quality = Quality::uncertain;
  doubtful[4].quality = Quality::bad;
  readings.insert(readings.end(), doubtful.begin(), doubtful.end());

  BundlePacker packer(options_with(BundleEncoding::proto), catalog);
  PackedBundle packed = packer.pack(1, readings);
  v1::Bundle bundle = parse_message(packed);
  ASSERT_EQ(bundle.series_size(), 2);
  EXPECT_EQ(bundle.series(0).quality_marks_size(), 0);
  EXPECT_EQ(bundle.series(1).quality_marks_size(), 2);
  DecodedBundle decoded = decode_bundle(packed.payload);
  ASSERT_EQ(decoded.readings.size(), 10u);
  for (std::size_t i = 0; i < 10; ++i)
    EXPECT_EQ(decoded.readings[i].quality, readings[i].quality) << i;
}

TEST(BundlePackerTest, OutOfOrderAndDuplicateTimestampsRoundTrip) {
  SeriesCatalog catalog;
  test::add_series(catalog, 1, "a", "", 0.0);
  std::vector<Reading> readings;
  for (std::int64_t ts : {kStart, kStart, kStart - 5000, kStart + 100, kStart + 100, kStart + 99,
                          std::int64_t{0}, std::int64_t{-1}, INT64_MAX, INT64_MIN, kStart}) {
    readings.push_back({1, ts, 1.0, Quality::good});
  }
  BundlePacker packer(options_with(BundleEncoding::proto), catalog);
  PackedBundle packed = packer.pack(1, readings);
  EXPECT_EQ(packed.raw_size, packed.payload.size());
  expect_bit_exact(decode_bundle(packed.payload), readings);
}

TEST(BundlePackerTest, StopsAtTheFirstReadingThatDoesNotFitAndSaysFull) {
  SeriesCatalog catalog;
  test::add_series(catalog, 1, "a", "", 0.0);
  test::add_series(catalog, 2, "b", "", 0.0);
  std::mt19937_64 rng(7);
  std::vector<Reading> readings;
  for (int i = 0; i < 2000; ++i) {
    readings.push_back({static_cast<SeriesId>(1 + i % 2), kStart + i * 10,
                        std::uniform_real_distribution<double>(0, 1)(rng), Quality::good});
  }
  for (std::size_t budget : {256u, 1000u, 5120u}) {
    BundlePacker packer(options_with(BundleEncoding::proto, budget), catalog);
    PackedBundle packed = packer.pack(1, readings);
    EXPECT_TRUE(packed.full);
    EXPECT_LE(packed.payload.size(), budget);
    EXPECT_GE(packed.payload.size(), budget - 12);  // within one XOR reading of the budget
    BundlePacker unlimited(options_with(BundleEncoding::proto, 1 << 20), catalog);
    auto with_next = std::span<const Reading>(readings).first(packed.reading_count + 1);
    EXPECT_GT(unlimited.pack(1, with_next).payload.size(), budget);
  }
}

TEST(BundlePackerTest, WholeInputThatFitsIsNotFull) {
  SeriesCatalog catalog;
  test::add_series(catalog, 1, "a", "", 0.0);
  auto readings = one_series(1, {1, 2, 3});
  for (auto encoding : {BundleEncoding::proto, BundleEncoding::proto_zstd}) {
    BundlePacker packer(options_with(encoding), catalog);
    PackedBundle packed = packer.pack(9, readings);
    EXPECT_EQ(packed.bundle_seq, 9u);
    EXPECT_EQ(packed.reading_count, 3u);
    EXPECT_FALSE(packed.full);
  }
}

TEST(BundlePackerTest, BudgetTooSmallForOneReadingGivesNoReadings) {
  SeriesCatalog catalog;
  test::add_series(catalog, 1, "a-rather-long-series-name", "kilograms", 0.0);
  auto readings = one_series(1, {1.5});
  for (auto encoding : {BundleEncoding::proto, BundleEncoding::proto_zstd}) {
    BundlePacker packer(options_with(encoding, 24), catalog);
    PackedBundle packed = packer.pack(1, readings);
    EXPECT_EQ(packed.reading_count, 0u);
    EXPECT_TRUE(packed.full);
    EXPECT_EQ(decode_bundle(packed.payload).readings.size(), 0u);
  }
}

TEST(BundlePackerTest, EmptyInputGivesAnEmptyBundleThatIsNotFull) {
  SeriesCatalog catalog;
  BundlePacker packer(options_with(BundleEncoding::proto), catalog);
  PackedBundle packed = packer.pack(3, {});
  EXPECT_EQ(packed.reading_count, 0u);
  EXPECT_FALSE(packed.full);
  DecodedBundle decoded = decode_bundle(packed.payload);
  EXPECT_EQ(decoded.gateway_id, "gw-01");
  EXPECT_EQ(decoded.bundle_seq, 3u);
}

TEST(BundlePackerTest, SeriesMissingFromTheCatalogIsPackedLosslesslyUnderItsId) {
  SeriesCatalog catalog;
  auto readings = one_series(77, {0.1, 0.2});
  BundlePacker packer(options_with(BundleEncoding::proto), catalog);
  DecodedBundle decoded = decode_bundle(packer.pack(1, readings).payload);
  ASSERT_EQ(decoded.readings.size(), 2u);
  EXPECT_EQ(decoded.readings[0].series, "series-77");
  expect_bit_exact(decoded, readings);
}

TEST(BundlePackerTest, NamesThatAreNotUtf8AreRepairedSoTheBundleStaysDecodable) {
  SeriesCatalog catalog;
  test::add_series(catalog, 1,
                   "temp\xff\xc0\xaf"
                   "C",
                   "\xe2\x82", 0.0);
  PackerOptions options = options_with(BundleEncoding::proto);
  options.gateway_id = "gw-\xed\xa0\x80";  // an encoded surrogate
  BundlePacker packer(options, catalog);
  PackedBundle packed = packer.pack(1, one_series(1, {1.0}));
  EXPECT_EQ(packed.raw_size, packed.payload.size());
  DecodedBundle decoded = decode_bundle(packed.payload);
  EXPECT_EQ(decoded.gateway_id, "gw-\ufffd\ufffd\ufffd");
  ASSERT_EQ(decoded.readings.size(), 1u);
  EXPECT_EQ(decoded.readings[0].series, "temp\ufffd\ufffd\ufffdC");
  EXPECT_EQ(decoded.readings[0].unit, "\ufffd\ufffd");
}

TEST(BundlePackerTest, PayloadStartsWithTheFormatHeader) {
  SeriesCatalog catalog;
  test::add_series(catalog, 1, "a", "", 0.0);
  auto readings = one_series(1, {1});
  EXPECT_EQ(BundlePacker(options_with(BundleEncoding::proto), catalog).pack(1, readings).payload[0],
            '\x10');
  EXPECT_EQ(
      BundlePacker(options_with(BundleEncoding::proto_zstd), catalog).pack(1, readings).payload[0],
      '\x11');
}

// The stream the benchmark uses, in miniature: a 10 Hz load cell in grams (0.1 g resolution,
// 0.1 g noise) and eight crane channels at 1-10 Hz with a few ms of timestamp jitter.
std::vector<Reading> mixed_site_stream(SeriesCatalog& catalog, std::size_t count) {
  struct Channel {
    SeriesId id;
    const char* name;
    const char* unit;
    double resolution;
    std::int64_t period_ms;
    double level;
    double noise;
    std::int64_t next_ts;
  };
  std::vector<Channel> channels = {
      {1, "chocolate_weight", "g", 0.1, 100, 1250.0, 0.1, 0},
      {2, "crane_load", "t", 0.01, 100, 12.5, 0.02, 0},
      {3, "boom_angle", "deg", 0.1, 200, 45.0, 0.1, 0},
      {4, "radius", "m", 0.01, 200, 18.2, 0.01, 0},
      {5, "hoist_height", "m", 0.01, 500, 30.0, 0.02, 0},
      {6, "wind_speed", "m/s", 0.1, 1000, 6.0, 0.4, 0},
      {7, "slew", "deg", 0.1, 200, 120.0, 0.1, 0},
      {8, "hours", "h", 0.01, 1000, 5120.25, 0.0, 0},
      {9, "fault_code", "", 0.0, 1000, 0.0, 0.0, 0},
  };
  for (auto& c : channels) {
    test::add_series(catalog, c.id, c.name, c.unit, c.resolution);
    c.next_ts = kStart;
  }
  std::mt19937_64 rng(2024);
  std::normal_distribution<double> unit_noise(0, 1);
  std::vector<Reading> readings;
  while (readings.size() < count) {
    auto it =
        std::min_element(channels.begin(), channels.end(),
                         [](const Channel& a, const Channel& b) { return a.next_ts < b.next_ts; });
    std::int64_t jitter = static_cast<std::int64_t>(rng() % 5) - 2;
    it->level += it->noise * 0.05 * unit_noise(rng);  // slow drift
    readings.push_back(
        {it->id, it->next_ts + jitter, it->level + it->noise * unit_noise(rng), Quality::good});
    it->next_ts += it->period_ms;
  }
  return readings;
}

TEST(BundlePackerTest, MixedSiteStreamMeetsTheDensityTargets) {
  SeriesCatalog catalog;
  auto readings = mixed_site_stream(catalog, 20000);
  struct Target {
    BundleEncoding encoding;
    std::size_t min_readings;
  };
  for (Target target :
       {Target{BundleEncoding::proto, 1600}, Target{BundleEncoding::proto_zstd, 3500}}) {
    BundlePacker packer(options_with(target.encoding), catalog);
    PackedBundle packed = packer.pack(1, readings);
    ASSERT_TRUE(packed.full);
    std::printf("%-10s %zu readings in %zu bytes: %.3f bytes/reading, %.2f%% of budget\n",
                std::string(to_string(target.encoding)).c_str(), packed.reading_count,
                packed.payload.size(),
                static_cast<double>(packed.payload.size()) / packed.reading_count,
                100.0 * static_cast<double>(packed.payload.size()) / 5120);
    EXPECT_GE(packed.reading_count, target.min_readings) << to_string(target.encoding);
    EXPECT_GE(packed.payload.size(), 5120 * 98 / 100) << to_string(target.encoding);
  }
}

/// Two series of sensor-like values (tenths of a gram, a wind speed with noise).
std::vector<Reading> mixed_stream(std::size_t count) {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> noise(0.0, 0.4);
  std::vector<Reading> readings;
  for (std::size_t i = 0; i < count; ++i) {
    const auto ts = kStart + static_cast<std::int64_t>(i) * 100;
    readings.push_back(i % 3 == 0 ? Reading{2, ts, std::round((9.0 + noise(rng)) * 10) / 10}
                                  : Reading{1, ts, std::round((500 + noise(rng)) * 10) / 10});
  }
  return readings;
}

/// Feeds `readings` to open bundles the way the bundler does and returns every payload: a
/// reading an open bundle refuses starts the next, with any readings a close gives back.
std::vector<PackedBundle> fill_open_bundles(BundlePacker& packer,
                                            std::span<const Reading> readings) {
  std::vector<PackedBundle> closed;
  std::vector<Reading> held;  // in the open bundle
  std::uint64_t seq = 1;
  auto bundle = std::make_unique<OpenBundle>(packer, seq);
  std::deque<Reading> queue(readings.begin(), readings.end());
  while (!queue.empty()) {
    if (bundle->add(queue.front())) {
      held.push_back(queue.front());
      queue.pop_front();
      continue;
    }
    closed.push_back(bundle->close(true));
    queue.insert(queue.begin(),
                 held.begin() + static_cast<std::ptrdiff_t>(closed.back().reading_count),
                 held.end());
    held.clear();
    bundle = std::make_unique<OpenBundle>(packer, ++seq);
  }
  if (bundle->count() > 0) closed.push_back(bundle->close(false));
  return closed;
}

TEST(OpenBundleTest, FilledOneReadingAtATimeItIsByteForByteWhatPackWrites) {
  SeriesCatalog catalog;
  test::add_series(catalog, 1, "load", "g", 0.1);
  test::add_series(catalog, 2, "wind", "m/s", 0.1);
  const auto readings = mixed_stream(6000);
  BundlePacker packer(options_with(BundleEncoding::proto), catalog);
  auto closed = fill_open_bundles(packer, readings);
  ASSERT_GE(closed.size(), 2u);

  std::size_t offset = 0;
  for (const auto& bundle : closed) {
    BundlePacker reference(options_with(BundleEncoding::proto), catalog);
    PackedBundle packed = reference.pack(bundle.bundle_seq, std::span(readings).subspan(offset));
    EXPECT_EQ(bundle.payload, packed.payload) << "bundle " << bundle.bundle_seq;
    EXPECT_EQ(bundle.reading_count, packed.reading_count);
    EXPECT_EQ(bundle.full, packed.full);
    EXPECT_LE(bundle.payload.size(), 5120u);
    offset += bundle.reading_count;
  }
  EXPECT_EQ(offset, readings.size());
}

TEST(OpenBundleTest, UnderZstdEachBundleFitsTheBudgetAndTheStreamArrivesWholeAndInOrder) {
  SeriesCatalog catalog;
  test::add_series(catalog, 1, "load", "g", 0.1);
  test::add_series(catalog, 2, "wind", "m/s", 0.1);
  const auto readings = mixed_stream(40'000);
  BundlePacker packer(options_with(BundleEncoding::proto_zstd), catalog);
  auto closed = fill_open_bundles(packer, readings);
  ASSERT_GE(closed.size(), 3u);

  std::vector<Reading> delivered;
  for (const auto& bundle : closed) {
    EXPECT_LE(bundle.payload.size(), 5120u) << "bundle " << bundle.bundle_seq;
    auto decoded = decode_bundle(bundle.payload);
    EXPECT_EQ(decoded.readings.size(), bundle.reading_count);
    EXPECT_EQ(decoded.bundle_seq, bundle.bundle_seq);
    for (const auto& r : decoded.readings) {
      delivered.push_back({r.series == "load" ? SeriesId{1} : SeriesId{2}, r.ts_ms, r.value});
    }
  }
  auto by_time = [](const Reading& a, const Reading& b) { return a.ts_ms < b.ts_ms; };
  std::sort(delivered.begin(), delivered.end(), by_time);
  ASSERT_EQ(delivered.size(), readings.size());
  for (std::size_t i = 0; i < readings.size(); ++i) {
    ASSERT_EQ(delivered[i].ts_ms, readings[i].ts_ms) << i;
    ASSERT_EQ(delivered[i].value, readings[i].value) << i;
  }
  // Full bundles come close to the budget: the search ran where it mattered.
  for (std::size_t i = 0; i + 1 < closed.size(); ++i) {
    EXPECT_GT(closed[i].payload.size(), 5120u * 9 / 10) << "bundle " << closed[i].bundle_seq;
  }
}

TEST(OpenBundleTest, AReadingOverTheBudgetOnItsOwnGoesAloneRatherThanStallTheStream) {
  SeriesCatalog catalog;
  std::mt19937 rng(3);
  std::string name;  // a name zstd cannot squeeze under the budget either
  for (int i = 0; i < 300; ++i) name.push_back(static_cast<char>('a' + rng() % 26));
  test::add_series(catalog, 1, name, "", 0.0);
  for (auto encoding : {BundleEncoding::proto, BundleEncoding::proto_zstd}) {
    BundlePacker packer(options_with(encoding, 256), catalog);
    OpenBundle bundle(packer, 1);
    EXPECT_TRUE(bundle.add({1, kStart, 1.0})) << "an empty bundle takes its first reading";
    // proto refuses the second at once; proto+zstd finds out when it compresses.
    bundle.add({1, kStart + 1, 2.0});
    PackedBundle packed = bundle.close(true);
    EXPECT_EQ(packed.reading_count, 1u) << to_string(encoding) << ": the second starts the next";
    EXPECT_EQ(decode_bundle(packed.payload).readings.size(), 1u);
  }
}

}  // namespace
}  // namespace edgegw
