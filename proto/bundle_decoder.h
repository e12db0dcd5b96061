#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/model/reading.h"
#include "proto/bundle_encoding.h"

namespace edgegw {

/// A payload that is not a bundle this version can read (garbage, truncated, unknown format).
class BundleDecodeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct DecodedReading {
  std::string series;
  std::string unit;
  std::int64_t ts_ms = 0;
  double value = 0.0;
  Quality quality = Quality::good;
};

struct DecodedBundle {
  std::string gateway_id;
  std::uint64_t bundle_seq = 0;
  BundleEncoding encoding = BundleEncoding::proto;
  /// Grouped by series in bundle order; each series keeps the order its readings were packed in.
  std::vector<DecodedReading> readings;
};

/// Decodes one payload as published. Throws BundleDecodeError with a clear message on
/// garbage or truncated input.
DecodedBundle decode_bundle(std::string_view payload);

/// The bundle as JSON: {"gateway_id", "bundle_seq", "encoding", "readings": [{"series",
/// "unit" (when set), "ts_ms", "value", "quality" (when not good)}]}. Values are printed in
/// the shortest form that parses back to the same double.
std::string bundle_to_json(const DecodedBundle& bundle);

}  // namespace edgegw
