#pragma once

#include <cstdint>

namespace edgegw {

/// Stable numeric id of a series, assigned once by the buffer and persisted in SQLite.
using SeriesId = std::uint32_t;

/// How far a reading can be trusted; adapters mark readings from a sensor they doubt.
enum class Quality : std::uint8_t { good = 0, uncertain = 1, bad = 2 };

/// One sample of one series. Adapters produce these; everything downstream moves them.
struct Reading {
  SeriesId series = 0;
  std::int64_t ts_ms = 0;  ///< Unix time in milliseconds
  double value = 0.0;
  Quality quality = Quality::good;

  friend bool operator==(const Reading&, const Reading&) = default;
};

}  // namespace edgegw
