#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "gateway/model/alarm.h"
#include "gateway/model/clock.h"
#include "gateway/model/reading.h"
#include "storage/sqlite_buffer.h"
#include "storage/sqlite_handle.h"
#include "tests/temp_dir.h"

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

/// A buffer file in a fresh directory and a clock that moves only when told to. The options
/// leave nothing to chance: no retention limits, no periodic retention (tests trigger it), each
/// append committed at once. Tests change options_ before open().
class BufferTest : public ::testing::Test {
 protected:
  BufferTest() {
    options_.path = dir_.file("buffer.db");
    options_.synchronous = "normal";
    options_.max_bytes = 0;
    options_.max_age_s = 0;
    options_.flush_interval_ms = 0;
    options_.retention_interval_s = 86400;
  }

  std::unique_ptr<SqliteBuffer> open() { return SqliteBuffer::open(options_, clock_); }

  TempDir dir_;
  ManualClock clock_;
  StorageOptions options_;
};

}  // namespace edgegw::testing
