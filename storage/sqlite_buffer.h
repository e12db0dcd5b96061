#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "gateway/model/alarm.h"
#include "gateway/model/clock.h"
#include "gateway/model/reading.h"
#include "gateway/model/series.h"
#include "gateway/model/task_thread.h"
#include "storage/storage_error.h"
#include "storage/storage_options.h"

namespace edgegw {

/// A reading as stored: `seq` orders readings by acceptance and names them in bundles.
struct StoredReading {
  std::int64_t seq = 0;
  Reading reading;

  friend bool operator==(const StoredReading&, const StoredReading&) = default;
};

/// A bundle recorded as sent but not yet acknowledged: rows first_seq..last_seq and the exact
/// bytes that were (or are about to be) published.
struct InflightBundle {
  std::uint64_t bundle_seq = 0;
  std::int64_t first_seq = 0;
  std::int64_t last_seq = 0;
  std::string payload;

  friend bool operator==(const InflightBundle&, const InflightBundle&) = default;
};

/// Rows read for a bundle, and where the buffer's seqs stood when they were read.
struct UnsentRows {
  std::vector<StoredReading> rows;
  /// The seq the next committed reading gets: with fewer rows than asked for, every reading
  /// committed before the read is among `rows` or in flight.
  std::int64_t next_seq = 0;
};

/// What became of a bundle offered to record_inflight().
enum class RecordStatus {
  recorded,      ///< durable: it may be published
  storage_full,  ///< not recorded; try again later
  rows_missing,  ///< some of its readings were dropped (retention, full disk) since they were read
};

/// What became of bundles offered to record_inflight() together: the first `recorded` are, and
/// the next one was not, for `stopped_by` (`recorded` when all were).
struct RecordOutcome {
  std::size_t recorded = 0;
  RecordStatus stopped_by = RecordStatus::recorded;
};

/// What became of an appended batch.
enum class AppendStatus {
  accepted,      ///< committed: durable per `synchronous`
  storage_full,  ///< the disk (or database) stayed full after shedding old telemetry
  failed,        ///< any other storage error (logged); nothing of the batch was stored
};

std::string_view to_string(AppendStatus status);

/// A point-in-time view of the buffer for /metrics and /api/v1/status.
struct BufferStats {
  std::int64_t readings = 0;      ///< accepted, not yet acknowledged (incl. in flight)
  std::int64_t bytes = 0;         ///< pages in use by the database (excludes free pages)
  std::int64_t oldest_ts_ms = 0;  ///< timestamp of the oldest stored reading; 0 if none
  std::int64_t inflight_bundles = 0;
  std::int64_t alarms_pending = 0;
  /// Telemetry readings dropped since the database was created, by reason:
  /// "max_bytes", "max_age", "storage_full" (every reason present, possibly 0).
  std::map<std::string, std::int64_t> dropped;
  /// Alarms dropped by reason ("max_bytes"); alarms go only when no telemetry is left to shed.
  std::map<std::string, std::int64_t> alarms_dropped;
  /// Bytes of the full-disk reserve held now: storage.reserve_bytes normally, 0 while the
  /// filesystem is full and the reserve is in use.
  std::int64_t reserve_bytes_held = 0;
  /// Transactions that committed queued appends, and times the storage thread woke: at low
  /// rates each costs a sync and a thread's wake-up, which is most of what the gateway spends.
  std::uint64_t append_commits = 0;
  std::uint64_t storage_wakeups = 0;
};

/// Called on the storage thread once a batch's transaction committed (or failed), with the
/// batch itself, so a caller that acts on what was accepted need not keep a copy. The seq range
/// is meaningful only for `accepted` (an empty batch gets last_seq < first_seq).
using AppendCallback = std::function<void(AppendStatus status, std::int64_t first_seq,
                                          std::int64_t last_seq, std::span<const Reading> batch)>;

/// Called on the storage thread after each accepted batch committed: its readings carry the
/// seqs first_seq, first_seq + 1, ... A bundler fed by it need not read them back.
using CommitListener = std::function<void(std::int64_t first_seq, std::span<const Reading> batch)>;

class BufferStore;
class UnsentReader;

/// The durable buffer between ingest and uplink: an SQLite database in WAL mode written only by
/// its own storage thread. Appends are queued (bounded) and group-committed; every other call
/// blocks until the storage thread has run it. Thread-safe; see storage/README.md.
class SqliteBuffer {
 public:
  /// Opens (or creates) the database at options.path, moving a corrupt file aside. Throws
  /// StorageError when the buffer cannot be opened at all, e.g. the directory is not writable,
  /// and std::invalid_argument for invalid options.
  static std::unique_ptr<SqliteBuffer> open(const StorageOptions& options, Clock& clock);

  /// Commits every queued append, then stops and joins the storage thread.
  ~SqliteBuffer();
  SqliteBuffer(const SqliteBuffer&) = delete;
  SqliteBuffer& operator=(const SqliteBuffer&) = delete;

  /// The persisted id of the series called spec.name, created on first use. The same name keeps
  /// its id forever; a changed unit or resolution is stored.
  SeriesId register_series(const SeriesSpec& spec);
  /// Every registered series; safe to read from any thread.
  const SeriesCatalog& catalog() const { return catalog_; }

  /// Who waits for a batch's commit, which decides how long it may wait to share one: a client
  /// waiting for its answer (flush_interval_ms) or nobody, an adapter's batch
  /// (adapter_flush_interval_ms); an adapter's batch that may raise an alarm is `urgent` and
  /// goes as soon as a client's.
  enum class Waiter { client, nobody, urgent };
  /// Queues `batch` for the next group commit and returns at once. Returns false, queuing
  /// nothing and never calling `done`, when the queue is full or the buffer is stopping.
  bool append(std::vector<Reading> batch, AppendCallback done, Waiter waiter = Waiter::client);
  /// Runs `task` on the storage thread without waiting for it. For work that needs the
  /// blocking calls above (they run inline there) but starts on a thread that must never
  /// block, such as the API's io_context.
  void post(std::function<void()> task);
  /// Appends and waits for the commit (waiting for queue space first).
  AppendStatus append_sync(std::vector<Reading> batch);
  /// Returns once every batch queued before the call has been committed (or refused) and its
  /// callback has run: on shutdown, so the final counts include everything offered.
  void wait_for_queued_appends();

  /// Sets (or, given an empty function, clears) the one commit listener. Blocks until no call
  /// of the previous listener is running.
  void set_commit_listener(CommitListener listener);

  /// Up to `max` of the oldest readings that are in no in-flight bundle, in seq order.
  std::vector<StoredReading> read_unsent(std::size_t max);
  /// The same, among the readings after `after_seq` only. Reads through a read-only connection
  /// of its own, not on the storage thread: it does not wait for writes, nor they for it.
  UnsentRows read_unsent_after(std::int64_t after_seq, std::size_t max);
  /// Runs `task` on the buffer's reader thread without waiting for it: for read_unsent_after
  /// from a thread that must never block, beside whatever the storage thread is writing.
  void post_read(std::function<void()> task);
  /// The bundle_seq the next bundle must carry; never handed out twice, across restarts too.
  std::uint64_t next_bundle_seq() const;
  /// Makes `bundle` durable before it is published and advances next_bundle_seq past it in the
  /// same transaction, provided its seq range still holds exactly `rows` readings (retention
  /// may have dropped some since they were read). Only a recorded bundle may be published.
  /// Throws std::invalid_argument for a bundle_seq below next_bundle_seq() (reuse).
  RecordStatus record_inflight(const InflightBundle& bundle, std::size_t rows);
  /// The same for consecutive bundles (`rows[i]` readings in bundles[i]), in one transaction:
  /// a drain records several at a time. Records those before the first whose rows are missing;
  /// none when storage is full.
  RecordOutcome record_inflight(std::span<const InflightBundle> bundles,
                                std::span<const std::size_t> rows);
  /// Every in-flight bundle, oldest first: after a restart these are resent, byte-identical.
  std::vector<InflightBundle> inflight();
  /// Deletes the bundle's rows and its in-flight record in one transaction. False if no such
  /// bundle is in flight.
  bool ack(std::uint64_t bundle_seq);
  /// The same for several bundles, in one transaction; returns how many were in flight.
  std::size_t ack(std::span<const std::uint64_t> bundle_seqs);

  /// Stores an alarm; returns its id (never reused), or 0 if storage is full.
  std::int64_t add_alarm(Alarm alarm);
  /// Up to `max` of the oldest unacknowledged alarms.
  std::vector<Alarm> pending_alarms(std::size_t max);
  /// Deletes an alarm once the cloud has it. False if there was no such alarm.
  bool ack_alarm(std::int64_t id);

  /// A setting that outlives a restart (armed, a load cell's tare), or nullopt if never stored.
  std::optional<std::string> setting(const std::string& name);
  /// Stores it durably; false if storage refused.
  bool store_setting(const std::string& name, const std::string& value);

  /// The latest counters; never waits for SQLite.
  BufferStats stats() const;
  /// Enforces max_age_s and max_bytes now (it also happens every retention_interval_s).
  void run_retention_now();

 private:
  struct PendingAppend {
    std::vector<Reading> readings;
    AppendCallback done;
    std::chrono::steady_clock::time_point commit_by;
    bool from_adapter = false;  // nobody waits on it: it may wait adapter_flush_interval_ms
  };

  SqliteBuffer(const StorageOptions& options, Clock& clock);
  void run();
  AppendStatus append_sync(std::vector<Reading> batch, bool flush_now);
  bool on_storage_thread() const { return std::this_thread::get_id() == thread_.get_id(); }
  template <class Work>
  auto call(Work work) -> decltype(work());
  /// Adds a batch to appends_, to be committed within its waiter's interval (mutex_ held).
  /// Returns whether that makes the next commit due sooner (the storage thread must wake).
  bool queue(std::vector<Reading> batch, AppendCallback done, Waiter waiter);
  void commit_group(std::vector<PendingAppend>& group);
  void notify_committed(std::int64_t first_seq, std::span<const Reading> batch);
  void publish_stats();

  const StorageOptions options_;
  SeriesCatalog catalog_;
  std::unique_ptr<BufferStore> store_;  // touched only on the storage thread once it runs

  // The next seq after the latest commit of readings: read_unsent_after reads below it only, so
  // it never returns rows of a commit whose listener call may not have happened yet.
  std::atomic<std::int64_t> committed_next_seq_{0};
  std::mutex reader_mutex_;
  std::unique_ptr<UnsentReader> reader_;  // under reader_mutex_
  std::unique_ptr<TaskThread> reader_thread_;

  std::atomic<std::uint64_t> append_commits_{0};
  std::atomic<std::uint64_t> storage_wakeups_{0};

  std::mutex mutex_;
  std::condition_variable wake_;         // storage thread: work arrived or stopping
  std::condition_variable queue_space_;  // append_sync: the queue shrank
  std::deque<PendingAppend> appends_;
  std::size_t queued_readings_ = 0;
  // The earliest commit_by among appends_ (max when empty).
  std::chrono::steady_clock::time_point commit_due_ = std::chrono::steady_clock::time_point::max();
  // The deadline the storage thread sleeps until (min while it is awake): an append due later
  // need not wake it.
  std::chrono::steady_clock::time_point asleep_until_ =
      std::chrono::steady_clock::time_point::min();
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  bool flush_now_ = false;          // wait_for_queued_appends: commit the queue without waiting
  bool reserve_missing_ = false;    // storage thread only: the full-disk reserve is not held
  CommitListener commit_listener_;  // storage thread only

  mutable std::mutex stats_mutex_;
  BufferStats stats_;
  std::uint64_t next_bundle_seq_ = 1;

  std::thread thread_;  // last: starts after every member above exists
};

}  // namespace edgegw
