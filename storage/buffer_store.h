#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "gateway/model/alarm.h"
#include "gateway/model/clock.h"
#include "gateway/model/series.h"
#include "storage/sqlite_buffer.h"
#include "storage/sqlite_handle.h"
#include "storage/storage_options.h"

namespace edgegw {

/// The write connection and every statement the buffer runs, single-threaded: SqliteBuffer
/// calls it only from its storage thread. Keeps the counters that stats() reports in memory so
/// that reporting them never needs a table scan.
class BufferStore {
 public:
  struct SeqRange {
    std::int64_t first = 0;
    std::int64_t last = -1;
  };

  /// Opens the database (moving a corrupt file aside), migrates it and loads its state;
  /// fills `catalog` with the persisted series.
  BufferStore(const StorageOptions& options, Clock& clock, SeriesCatalog& catalog);
  ~BufferStore();
  BufferStore(const BufferStore&) = delete;
  BufferStore& operator=(const BufferStore&) = delete;

  /// Writes all `batches` in one transaction; on SQLITE_FULL sheds old telemetry and retries
  /// once. On success `ranges[i]` is the seq range of batches[i].
  AppendStatus append(const std::vector<const std::vector<Reading>*>& batches,
                      std::vector<SeqRange>& ranges);

  SeriesId register_series(const SeriesSpec& spec);
  std::vector<StoredReading> read_unsent(std::size_t max);
  bool record_inflight(const InflightBundle& bundle);
  std::vector<InflightBundle> inflight();
  /// Acknowledges every bundle of `bundle_seqs` that is in flight, in one transaction; returns
  /// how many were.
  std::size_t ack(std::span<const std::uint64_t> bundle_seqs);
  std::int64_t add_alarm(const Alarm& alarm);
  std::vector<Alarm> pending_alarms(std::size_t max);
  bool ack_alarm(std::int64_t id);

  /// Drops telemetry past max_age_s, then enforces max_bytes.
  void enforce_retention();
  /// Sheds until the data fits max_bytes again (with some headroom); cheap when it already fits.
  void enforce_max_bytes();

  BufferStats stats() const;
  std::uint64_t next_bundle_seq() const { return next_bundle_seq_; }

 private:
  class Transaction;

  /// Opens, configures, migrates and loads; returns the persisted series.
  std::vector<SeriesInfo> open_and_load();
  void close();
  void write_readings(const std::vector<const std::vector<Reading>*>& batches,
                      std::vector<SeqRange>& ranges);
  /// Runs `write` in a transaction; on SQLITE_FULL sheds (never touching `protect`) and retries
  /// once. Returns false if still full; rethrows every other error.
  template <class Write>
  bool write_with_full_retry(Write write, std::int64_t rows_needed,
                             std::optional<SeqRange> protect = std::nullopt);
  /// Deletes up to `max_rows` of the oldest readings outside every in-flight range (and outside
  /// `protect`); inside the caller's transaction. Returns how many went.
  std::int64_t delete_oldest_unsent(std::int64_t max_rows, std::optional<SeqRange> protect);
  std::int64_t delete_oldest_alarms(std::int64_t max_alarms);
  /// Sheds for a full disk in its own transaction; returns the number of readings dropped.
  std::int64_t shed_for_full(std::int64_t rows_needed, std::optional<SeqRange> protect);
  /// Open intervals (lo, hi) of seq that hold no in-flight rows, ascending.
  std::vector<std::pair<std::int64_t, std::int64_t>> unsent_gaps(
      std::optional<SeqRange> protect) const;
  void set_counter(const std::string& name, std::int64_t value);
  void refresh_used_bytes();
  void refresh_oldest_ts();

  const StorageOptions options_;
  Clock& clock_;
  std::unique_ptr<SqliteConnection> db_;

  // Prepared once and kept for the life of the connection; declared after db_ so the
  // statements are finalized before the connection closes.
  struct Statements;
  std::unique_ptr<Statements> sql_;

  // In-memory mirror of what is committed; updated only after a COMMIT succeeded.
  std::int64_t next_seq_ = 1;
  std::uint64_t next_bundle_seq_ = 1;
  std::map<std::uint64_t, SeqRange> inflight_ranges_;  // by bundle_seq
  std::int64_t reading_count_ = 0;
  std::int64_t alarm_count_ = 0;
  std::int64_t oldest_ts_ms_ = 0;
  std::int64_t used_bytes_ = 0;
  std::int64_t page_size_ = 4096;
  std::map<std::string, std::int64_t> dropped_;
  std::map<std::string, std::int64_t> alarms_dropped_;
};

}  // namespace edgegw
