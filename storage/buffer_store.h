#pragma once

#include <spdlog/common.h>

#include <chrono>
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
#include "gateway/model/log_throttle.h"
#include "gateway/model/series.h"
#include "storage/seq_range.h"
#include "storage/space_reserve.h"
#include "storage/sqlite_buffer.h"
#include "storage/sqlite_handle.h"
#include "storage/storage_options.h"

namespace edgegw {

/// The write connection and every statement the buffer runs, single-threaded: SqliteBuffer
/// calls it only from its storage thread. Keeps the counters that stats() reports in memory so
/// that reporting them never needs a table scan.
class BufferStore {
 public:
  using SeqRange = edgegw::SeqRange;

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
  RecordStatus record_inflight(const InflightBundle& bundle, std::size_t rows);
  RecordOutcome record_inflight(std::span<const InflightBundle> bundles,
                                std::span<const std::size_t> rows);
  std::vector<InflightBundle> inflight();
  /// Acknowledges every bundle of `bundle_seqs` that is in flight, in one transaction; returns
  /// how many were.
  std::size_t ack(std::span<const std::uint64_t> bundle_seqs);
  std::int64_t add_alarm(const Alarm& alarm);
  std::vector<Alarm> pending_alarms(std::size_t max);
  bool ack_alarm(std::int64_t id);
  std::optional<std::string> setting(const std::string& name);
  bool store_setting(const std::string& name, const std::string& value);

  /// Drops telemetry past max_age_s, then enforces max_bytes.
  void enforce_retention();
  /// Sheds until the data fits max_bytes again (with some headroom); cheap when it already fits.
  void enforce_max_bytes();

  BufferStats stats() const;
  std::uint64_t next_bundle_seq() const { return next_bundle_seq_; }
  /// The seq the next accepted reading gets.
  std::int64_t next_seq() const { return next_seq_; }

  /// While the reserve is given up: keeps the WAL from growing and takes the reserve back
  /// once the filesystem has room for it (giving free pages back to it first, where the
  /// database allows). Runs after every commit, and from the storage thread's loop meanwhile.
  void tend_reserve();
  /// The reserve is configured but not held: tend_reserve() has work to do.
  bool reserve_missing() const { return reserve_.bytes() > 0 && !reserve_.held(); }

 private:
  class Transaction;

  /// Opens, configures, migrates and loads; returns the persisted series.
  std::vector<SeriesInfo> open_and_load();
  void close();
  void write_readings(const std::vector<const std::vector<Reading>*>& batches,
                      std::vector<SeqRange>& ranges);
  /// What a write is for, which decides whether it may use the reserve: new readings may not
  /// (they get room by shedding older ones); writes that drain, acknowledge, shed or store an
  /// alarm may.
  enum class Growth { new_data, making_room };

  /// Runs `write` in a transaction. On SQLITE_FULL it makes room (see make_room) and tries
  /// again; if still full and `rows_needed` > 0, it sheds about that many of the oldest unsent
  /// readings, never `protect`, and tries a last time. Returns false if still full; rethrows
  /// every other error.
  template <class Write>
  bool write_with_full_retry(Write write, std::int64_t rows_needed,
                             std::optional<SeqRange> protect = std::nullopt,
                             Growth growth = Growth::making_room);
  /// While the reserve is given up: caps the database's size (PRAGMA max_page_count) at what
  /// it is for new data, at the reserve's share for the rest, so new readings cannot use up
  /// the room that draining needs.
  void limit_growth(Growth growth);
  void set_max_page_count(std::int64_t pages);
  std::int64_t page_count();
  std::int64_t freelist_count();
  /// A write found the disk full: gives up the reserve and checkpoints, so the WAL is written
  /// from its start again instead of growing; or, when the filesystem has room again (someone
  /// freed it), takes the reserve back at once, so the write is not refused until the next
  /// tend_reserve() attempt.
  void make_room();
  /// Takes the reserve back and lifts the cap on growth, if the filesystem has room for the
  /// reserve and as much again to write in. True if it did.
  bool take_back_reserve();
  void checkpoint();
  /// Logs `message` about the full disk at most once per interval, with how often it recurred.
  void report_full(spdlog::level::level_enum level, const std::string& message);
  /// Deletes up to `max_rows` of the oldest readings outside every in-flight range (and outside
  /// `protect`); inside the caller's transaction. Returns how many went.
  std::int64_t delete_oldest_unsent(std::int64_t max_rows, std::optional<SeqRange> protect);
  std::int64_t delete_oldest_alarms(std::int64_t max_alarms);
  std::int64_t count_rows(SeqRange range);
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
  SpaceReserve reserve_;
  std::chrono::steady_clock::time_point next_reserve_attempt_{};
  LogThrottle full_log_;
  bool incremental_vacuum_ = false;         // the file can give free pages back to the filesystem
  bool reserve_in_use_ = false;             // given up for a full filesystem, not yet taken back
  std::int64_t making_room_max_pages_ = 0;  // the size cap for making_room writes meanwhile
  std::unique_ptr<SqliteConnection> db_;

  // Prepared once and kept for the life of the connection; declared after db_ so the
  // statements are finalized before the connection closes.
  struct Statements;
  std::unique_ptr<Statements> sql_;

  // In-memory mirror of what is committed; updated only after a COMMIT succeeded.
  std::int64_t next_seq_ = 1;
  std::uint64_t next_bundle_seq_ = 1;
  std::map<std::uint64_t, SeqRange> inflight_ranges_;  // by bundle_seq
  // Retention or shedding may have dropped unsent rows up to this seq (a bound, not exact):
  // a bundle starting above it has all its rows.
  std::int64_t unsent_dropped_through_ = 0;
  std::int64_t reading_count_ = 0;
  std::int64_t alarm_count_ = 0;
  std::int64_t oldest_ts_ms_ = 0;
  std::int64_t used_bytes_ = 0;
  std::int64_t page_size_ = 4096;
  std::map<std::string, std::int64_t> dropped_;
  std::map<std::string, std::int64_t> alarms_dropped_;
};

}  // namespace edgegw
