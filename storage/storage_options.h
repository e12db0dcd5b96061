#pragma once

#include <cstdint>
#include <string>

#include "gateway/model/option_table.h"

namespace edgegw {

/// The `[storage]` section: where the buffer lives, how durable a commit is, how big it may get.
struct StorageOptions {
  std::string path = "/var/lib/edgegw/buffer.db";
  std::string synchronous = "full";
  std::int64_t max_bytes = 256LL * 1024 * 1024;
  std::int64_t max_age_s = 7LL * 24 * 3600;
  std::int64_t batch_max_readings = 1000;
  std::int64_t flush_interval_ms = 5;
  std::int64_t adapter_flush_interval_ms = 3000;
  std::int64_t queue_max_readings = 100000;
  std::int64_t retention_interval_s = 60;
  /// Bytes held in <path>.reserve and given up when the filesystem is full, so that the
  /// writes which make room (recording a bundle in flight, acknowledging it, shedding old
  /// telemetry, storing an alarm) can still commit. Half of it bounds the WAL between
  /// checkpoints, so that a checkpoint on a full disk never needs more than the other half.
  std::int64_t reserve_bytes = 2LL * 1024 * 1024;

  /// Test-only, deliberately absent from the option table so no config file can set it:
  /// caps the database at this many pages (PRAGMA max_page_count) to simulate a full disk.
  /// 0 leaves SQLite's own limit.
  std::int64_t max_page_count_for_tests = 0;
};

/// The keys of `[storage]`, their types, limits and descriptions (the config reference).
const OptionTable<StorageOptions>& storage_option_table();

}  // namespace edgegw
