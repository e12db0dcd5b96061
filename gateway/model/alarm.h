#pragma once

#include <cstdint>
#include <string>

namespace edgegw {

/// Something a person must hear about now (a theft, an overload). Alarms travel on their own
/// lane: stored in their own table, published before telemetry, dropped by retention last.
struct Alarm {
  std::int64_t id = 0;  ///< assigned by the buffer
  std::string kind;     ///< e.g. "theft", "motion", "overload", "high_wind"
  std::string series;   ///< the series that raised it, empty if none
  std::int64_t ts_ms = 0;
  double value = 0.0;
  std::string message;

  friend bool operator==(const Alarm&, const Alarm&) = default;
};

}  // namespace edgegw
