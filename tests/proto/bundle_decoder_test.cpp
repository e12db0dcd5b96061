#include "proto/bundle_decoder.h"

#include <gtest/gtest.h>

#include <bit>
#include <cstdlib>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "edgegw/v1/bundle.pb.h"
#include "proto/bundle_packer.h"
#include "tests/proto/bundle_test_support.h"

namespace edgegw {
namespace {

constexpr std::int64_t kStart = 1'700'000'000'000;

std::string valid_payload(BundleEncoding encoding) {
  SeriesCatalog catalog;
  test::add_series(catalog, 1, "weight", "g", 0.1);
  test::add_series(catalog, 2, "raw", "", 0.0);
  std::vector<Reading> readings;
  std::mt19937_64 rng(5);
  for (int i = 0; i < 300; ++i) {
    readings.push_back({static_cast<SeriesId>(1 + i % 2), kStart + i * 50,
                        std::uniform_real_distribution<double>(0, 100)(rng),
                        i % 17 == 0 ? Quality::bad : Quality::good});
  }
  PackerOptions options;
  options.gateway_id = "gw-01";
  options.encoding = encoding;
  return BundlePacker(options, catalog).pack(5, readings).payload;
}

/// A proto payload around a hand-made Bundle, for shapes the packer never produces.
std::string payload_of(const v1::Bundle& bundle) {
  return std::string(1, '\x10') + bundle.SerializeAsString();
}

v1::Bundle one_series_bundle() {
  v1::Bundle bundle;
  bundle.set_gateway_id("gw");
  v1::Series* series = bundle.add_series();
  series->set_name("s");
  for (int i = 0; i < 3; ++i) {
    series->add_timestamps(i == 0 ? kStart : 10);
    series->add_value_deltas(i);
  }
  return bundle;
}

void expect_rejected(std::string_view payload, const std::string& message_part) {
  try {
    decode_bundle(payload);
    ADD_FAILURE() << "accepted a payload that should fail with \"" << message_part << "\"";
  } catch (const BundleDecodeError& error) {
    EXPECT_NE(std::string(error.what()).find(message_part), std::string::npos) << error.what();
  }
}

TEST(BundleDecoderTest, RejectsEmptyAndUnknownHeaders) {
  expect_rejected("", "empty payload");
  expect_rejected(std::string(1, '\x20') + "abc", "unknown bundle format header 0x20");
  expect_rejected(std::string(1, '\x12'), "unknown bundle encoding");
  expect_rejected("{\"gateway_id\":1}", "unknown bundle format header");
}

TEST(BundleDecoderTest, HandMadeBundleDecodesWithTheDocumentedFormulas) {
  v1::Bundle bundle = one_series_bundle();
  bundle.mutable_series(0)->set_decimal_exponent(-2);
  bundle.mutable_series(0)->add_quality_marks((1u << 2) |
                                              1u);  // skip one good reading, then uncertain
  DecodedBundle decoded = decode_bundle(payload_of(bundle));
  ASSERT_EQ(decoded.readings.size(), 3u);
  EXPECT_EQ(decoded.readings[1].ts_ms, kStart + 10);
  EXPECT_EQ(decoded.readings[2].ts_ms, kStart + 30);  // delta 10, then delta-of-delta 10
  EXPECT_EQ(decoded.readings[2].value, 300.0);        // q = 0 + 1 + 2 = 3, times 10^2
  EXPECT_EQ(decoded.readings[0].quality, Quality::good);
  EXPECT_EQ(decoded.readings[1].quality, Quality::uncertain);
  EXPECT_EQ(decoded.readings[2].quality, Quality::good);
}

TEST(BundleDecoderTest, RejectsInconsistentSeries) {
  v1::Bundle bundle = one_series_bundle();
  bundle.mutable_series(0)->add_value_deltas(1);
  expect_rejected(payload_of(bundle), "3 timestamps but 4 values");

  bundle = one_series_bundle();
  bundle.mutable_series(0)->set_decimal_exponent(23);
  expect_rejected(payload_of(bundle), "decimal exponent 23 out of range");

  bundle = one_series_bundle();
  bundle.mutable_series(0)->set_decimal_exponent(std::numeric_limits<std::int32_t>::min());
  expect_rejected(payload_of(bundle), "out of range");

  bundle = one_series_bundle();
  bundle.mutable_series(0)->add_value_xor(1);
  expect_rejected(payload_of(bundle), "mixes XOR");

  bundle = one_series_bundle();
  bundle.mutable_series(0)->set_step(std::numeric_limits<double>::infinity());
  expect_rejected(payload_of(bundle), "step is not a finite number");

  bundle = one_series_bundle();
  bundle.mutable_series(0)->add_quality_marks(3);
  expect_rejected(payload_of(bundle), "unknown quality 3");

  bundle = one_series_bundle();
  bundle.mutable_series(0)->add_quality_marks(3u << 2 | 2u);
  expect_rejected(payload_of(bundle), "past the last reading");

  bundle = one_series_bundle();
  bundle.mutable_series(0)->add_quality_marks(std::numeric_limits<std::uint64_t>::max() - 2);
  expect_rejected(payload_of(bundle), "past the last reading");
}

TEST(BundleDecoderTest, EveryTruncationOfAProtoPayloadFailsCleanlyOrDecodesAPrefix) {
  const std::string payload = valid_payload(BundleEncoding::proto);
  const std::size_t full_count = decode_bundle(payload).readings.size();
  int rejected = 0;
  for (std::size_t length = 0; length < payload.size(); ++length) {
    try {
      // Cutting exactly between two fields leaves a shorter but well-formed bundle.
      EXPECT_LT(decode_bundle(std::string_view(payload).substr(0, length)).readings.size(),
                full_count);
    } catch (const BundleDecodeError&) {
      ++rejected;
    }
  }
  EXPECT_GE(rejected, static_cast<int>(payload.size()) - 8);
}

TEST(BundleDecoderTest, EveryTruncationOfAZstdPayloadIsRejected) {
  const std::string payload = valid_payload(BundleEncoding::proto_zstd);
  ASSERT_GT(decode_bundle(payload).readings.size(), 0u);
  for (std::size_t length = 0; length < payload.size(); ++length) {
    EXPECT_THROW(decode_bundle(std::string_view(payload).substr(0, length)), BundleDecodeError)
        << length;
  }
}

TEST(BundleDecoderTest, RandomGarbageAndBitFlipsNeverCrash) {
  std::mt19937_64 rng(99);
  const std::string samples[] = {valid_payload(BundleEncoding::proto),
                                 valid_payload(BundleEncoding::proto_zstd)};
  int decoded = 0;
  int rejected = 0;
  auto attempt = [&](std::string_view payload) {
    try {
      decode_bundle(payload);
      ++decoded;
    } catch (const BundleDecodeError&) {
      ++rejected;
    }
  };
  for (int i = 0; i < 3000; ++i) {
    std::string garbage(rng() % 200, '\0');
    for (char& c : garbage) c = static_cast<char>(rng());
    if (!garbage.empty()) garbage[0] = static_cast<char>(0x10 + rng() % 2);
    attempt(garbage);

    std::string flipped = samples[i % 2];
    for (int flips = 1 + static_cast<int>(rng() % 4); flips > 0; --flips) {
      flipped[rng() % flipped.size()] ^= static_cast<char>(1u << (rng() % 8));
    }
    attempt(flipped);
  }
  EXPECT_EQ(decoded + rejected, 6000);
  EXPECT_GT(rejected, 0);
}

TEST(BundleDecoderTest, ZstdFrameClaimingAHugeSizeIsRejectedBeforeAllocating) {
  // A frame header with a 1 TiB content size and no data behind it.
  std::string payload = valid_payload(BundleEncoding::proto_zstd);
  std::string bomb = "\x11\x28\xb5\x2f\xfd";
  bomb += '\xe0';  // frame header descriptor: 8-byte content size, single segment
  for (int i = 0; i < 8; ++i) bomb += i == 5 ? '\x01' : '\0';
  expect_rejected(bomb, "more than a bundle may hold");
}

TEST(BundleJsonTest, PrintsValuesThatParseBackBitExactly) {
  DecodedBundle bundle;
  bundle.gateway_id = "gw-01";
  bundle.bundle_seq = 42;
  const double values[] = {0.1, 12.3, 4200, -0.0, 1e308, 4.9e-324, 1.0 / 3.0, 9007199254740993.0};
  for (double value : values) bundle.readings.push_back({"x", "", kStart, value, Quality::good});
  const std::string json = bundle_to_json(bundle);
  EXPECT_EQ(
      json.rfind(
          "{\"gateway_id\":\"gw-01\",\"bundle_seq\":42,\"encoding\":\"proto\",\"readings\":[", 0),
      0u)
      << json;

  std::size_t pos = 0;
  for (double value : values) {
    pos = json.find("\"value\":", pos);
    ASSERT_NE(pos, std::string::npos);
    pos += 8;
    char* end = nullptr;
    double parsed = std::strtod(json.c_str() + pos, &end);
    EXPECT_EQ(std::bit_cast<std::uint64_t>(parsed), std::bit_cast<std::uint64_t>(value)) << json;
  }
  EXPECT_NE(json.find("\"value\":12.3}"), std::string::npos) << json;
  EXPECT_NE(json.find("\"value\":4200}"), std::string::npos) << json;
}

TEST(BundleJsonTest, EscapesStringsAndNamesQualityAndUnit) {
  DecodedBundle bundle;
  bundle.gateway_id = "gw \"quoted\"\\";
  bundle.encoding = BundleEncoding::proto_zstd;
  bundle.readings.push_back({"a\nb\x01", "°C", 5, 1.5, Quality::bad});
  bundle.readings.push_back({"c", "", 6, std::numeric_limits<double>::quiet_NaN(), Quality::good});
  EXPECT_EQ(
      bundle_to_json(bundle),
      "{\"gateway_id\":\"gw \\\"quoted\\\"\\\\\",\"bundle_seq\":0,\"encoding\":\"proto+zstd\","
      "\"readings\":[{\"series\":\"a\\nb\\u0001\",\"unit\":\"°C\",\"ts_ms\":5,\"value\":1.5,"
      "\"quality\":\"bad\"},{\"series\":\"c\",\"ts_ms\":6,\"value\":null}]}");
}

TEST(BundleJsonTest, DecodedPayloadPrintsEveryReading) {
  DecodedBundle decoded = decode_bundle(valid_payload(BundleEncoding::proto_zstd));
  const std::string json = bundle_to_json(decoded);
  std::size_t count = 0;
  for (std::size_t pos = 0; (pos = json.find("\"ts_ms\":", pos)) != std::string::npos; ++pos)
    ++count;
  EXPECT_EQ(count, decoded.readings.size());
  EXPECT_NE(json.find("\"bundle_seq\":5"), std::string::npos);
}

}  // namespace
}  // namespace edgegw
