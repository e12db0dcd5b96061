#pragma once

#include <string>
#include <vector>

#include "gateway/model/alarm.h"
#include "gateway/model/reading.h"
#include "storage/sqlite_handle.h"

namespace edgegw::testing {

/// `count` readings of `series` with timestamps first_ts, first_ts+1, ...
inline std::vector<Reading> make_readings(SeriesId series, std::int64_t first_ts, int count) {
  std::vector<Reading> out;
  for (int i = 0; i < count; ++i) {
    out.push_back({.series = series,
                   .ts_ms = first_ts + i,
                   .value = static_cast<double>(first_ts + i) / 8.0,
                   .quality = i % 3 == 0 ? Quality::uncertain : Quality::good});
  }
  return out;
}

/// An alarm with only the fields a test cares about.
inline Alarm make_alarm(std::string kind, std::int64_t ts_ms = 0, std::string message = "") {
  Alarm alarm;
  alarm.kind = std::move(kind);
  alarm.ts_ms = ts_ms;
  alarm.message = std::move(message);
  return alarm;
}

/// One integer from the database at `path`, read through a connection of its own.
inline std::int64_t query_int(const std::string& path, const std::string& sql) {
  SqliteConnection db(path, SQLITE_OPEN_READONLY);
  return db.query_int(sql.c_str());
}

}  // namespace edgegw::testing
