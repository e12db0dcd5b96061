#include "storage/buffer_store.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <stdexcept>

#include "storage/schema.h"

namespace edgegw {
namespace {

namespace fs = std::filesystem;

// NOMUTEX: the connection is used by one thread at a time (the opener, then the storage thread).
constexpr int kOpenFlags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;

// Another process holding the write lock (a second gateway on the same file) is waited for this
// long before the open fails with "database is locked".
constexpr int kBusyTimeoutMs = 5000;

// The WAL is truncated back to this size after a checkpoint, so one large retention pass does
// not leave a huge -wal file behind on a small SD card.
constexpr std::int64_t kJournalSizeLimit = 8 * 1024 * 1024;

// A shed for a full disk drops at least this many readings: fewer would free less than a page
// and the retry would fail again.
constexpr std::int64_t kMinShedRows = 256;

// Lower bound of the space one reading takes in a b-tree page (cell + pointer); used to turn an
// excess of bytes into a number of rows to drop. Erring low drops slightly more than needed,
// which is what the headroom below wants anyway.
constexpr std::int64_t kReadingBytes = 32;
// Alarms carry free text, so start from a generous size and learn the real one (see below).
constexpr std::int64_t kAlarmBytes = 1024;

// max_bytes sheds down to max_bytes minus 1/kHeadroomDivisor, so that the next few commits do
// not each trigger another small delete.
constexpr std::int64_t kHeadroomDivisor = 20;
constexpr int kMaxShedPasses = 64;

// While the reserve is given up, how often the filesystem is asked whether it can be had again.
constexpr auto kReserveRetryInterval = std::chrono::seconds(1);
// How often the log says that the disk is still full (with a count of what happened since).
constexpr auto kFullLogInterval = std::chrono::seconds(30);

// SQLite's own ceiling of PRAGMA max_page_count, restored when the reserve is held again.
constexpr std::int64_t kSqliteMaxPageCount = 4'294'967'294;

const char* const kReasons[] = {"max_bytes", "max_age", "storage_full"};

bool is_corruption(int code) {
  return code == SQLITE_CORRUPT || code == SQLITE_NOTADB;
}

void prepare_directory(const std::string& path) {
  fs::path dir = fs::path(path).parent_path();
  if (dir.empty()) dir = ".";
  std::error_code error;
  fs::create_directories(dir, error);
  if (error || !fs::is_directory(dir)) {
    throw StorageError(SQLITE_CANTOPEN,
                       "storage directory " + dir.string() +
                           " cannot be created: " + (error ? error.message() : "not a directory"));
  }
  // SQLite creates the -wal and -shm files next to the database, so the directory itself must
  // be writable, not only the file.
  if (::access(dir.c_str(), W_OK | X_OK) != 0) {
    throw StorageError(SQLITE_CANTOPEN, "storage directory " + dir.string() +
                                            " is not writable: " + std::strerror(errno));
  }
}

// quick_check reads every page once: a damaged file is found now, at start-up, rather than by a
// commit in the middle of the night (about a second per few hundred MB). It runs on a read-only
// connection because closing a read-write one on a corrupt file can delete its -wal, and the
// WAL is part of the evidence that move_aside() keeps.
void verify_existing(const std::string& path) {
  if (!fs::exists(path)) return;
  SqliteConnection db(path, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX);
  if (int rc = sqlite3_busy_timeout(db.get(), kBusyTimeoutMs); rc != SQLITE_OK) {
    db.fail(rc, "busy_timeout");
  }
  SqliteStatement check = db.prepare("PRAGMA quick_check(5)");
  SqliteStatement::Reset reset(check);
  std::string problems;
  while (check.step()) {
    std::string row = check.column_text(0);
    if (row != "ok") problems += (problems.empty() ? "" : "; ") + row;
  }
  if (!problems.empty()) throw StorageError(SQLITE_CORRUPT, "quick_check: " + problems);
}

std::unique_ptr<SqliteConnection> open_verified(const std::string& path) {
  verify_existing(path);
  auto db = std::make_unique<SqliteConnection>(path, kOpenFlags);
  if (int rc = sqlite3_busy_timeout(db->get(), kBusyTimeoutMs); rc != SQLITE_OK) {
    db->fail(rc, "busy_timeout");
  }
  return db;
}

void move_aside(const std::string& path, std::int64_t unix_s, const std::string& reason) {
  std::string target = path + ".corrupt-" + std::to_string(unix_s);
  for (int n = 1; fs::exists(target); ++n) {
    target = path + ".corrupt-" + std::to_string(unix_s) + "." + std::to_string(n);
  }
  std::error_code error;
  fs::rename(path, target, error);
  if (error) {
    throw StorageError(SQLITE_CANTOPEN, "database " + path + " is corrupt (" + reason +
                                            ") and cannot be moved aside: " + error.message());
  }
  for (const char* suffix : {"-wal", "-shm"}) {
    fs::path side = path + suffix;
    if (!fs::exists(side, error)) continue;
    fs::rename(side, target + suffix, error);
    // A WAL left behind would be replayed into the fresh database; better gone than that.
    if (error && !fs::remove(side, error) && fs::exists(side)) {
      throw StorageError(SQLITE_CANTOPEN,
                         "cannot remove " + side.string() + ": " + error.message());
    }
  }
  spdlog::critical(
      "storage: database {} is corrupt ({}). Moved it aside to {} and started an empty buffer; "
      "readings that were only in the old file have not been sent.",
      path, reason, target);
}

}  // namespace

struct BufferStore::Statements {
  explicit Statements(SqliteConnection& db)
      : begin(db.prepare("BEGIN IMMEDIATE")),
        commit(db.prepare("COMMIT")),
        rollback(db.prepare("ROLLBACK")),
        insert_reading(db.prepare(
            "INSERT INTO readings(seq, series, ts_ms, value, quality) VALUES(?1, ?2, ?3, ?4, ?5)")),
        delete_oldest_unsent(db.prepare(
            "DELETE FROM readings WHERE seq IN "
            "(SELECT seq FROM readings WHERE seq > ?1 AND seq < ?2 ORDER BY seq LIMIT ?3)")),
        delete_aged(db.prepare("DELETE FROM readings WHERE seq > ?1 AND seq < ?2 AND ts_ms < ?3")),
        delete_range(db.prepare("DELETE FROM readings WHERE seq BETWEEN ?1 AND ?2")),
        count_range(db.prepare("SELECT count(*) FROM readings WHERE seq BETWEEN ?1 AND ?2")),
        oldest_ts(db.prepare("SELECT ts_ms FROM readings ORDER BY seq LIMIT 1")),
        upsert_series(db.prepare("INSERT INTO series(name, unit, resolution) VALUES(?1, ?2, ?3) "
                                 "ON CONFLICT(name) DO UPDATE SET unit = excluded.unit, resolution "
                                 "= excluded.resolution "
                                 "RETURNING id")),
        insert_inflight(db.prepare("INSERT INTO inflight(bundle_seq, first_seq, last_seq, payload) "
                                   "VALUES(?1, ?2, ?3, ?4)")),
        select_inflight(db.prepare(
            "SELECT bundle_seq, first_seq, last_seq, payload FROM inflight ORDER BY bundle_seq")),
        delete_inflight(db.prepare("DELETE FROM inflight WHERE bundle_seq = ?1")),
        insert_alarm(db.prepare(
            "INSERT INTO alarms(kind, series, ts_ms, value, message, alarm_id, state, severity, "
            "threshold, first_ts_ms, last_ts_ms) "
            "VALUES(?1, ?2, ?3, ?4, ?5, nullif(?6, 0), ?7, ?8, ?9, ?10, ?11)")),
        select_alarms(db.prepare(
            "SELECT id, kind, series, ts_ms, value, message, coalesce(alarm_id, id), state, "
            "severity, threshold, first_ts_ms, last_ts_ms FROM alarms ORDER BY id LIMIT ?1")),
        delete_alarm(db.prepare("DELETE FROM alarms WHERE id = ?1")),
        delete_oldest_alarms(db.prepare(
            "DELETE FROM alarms WHERE id IN (SELECT id FROM alarms ORDER BY id LIMIT ?1)")),
        select_setting(db.prepare("SELECT value FROM settings WHERE name = ?1")),
        upsert_setting(db.prepare("INSERT INTO settings(name, value) VALUES(?1, ?2) "
                                  "ON CONFLICT(name) DO UPDATE SET value = excluded.value")),
        set_counter(db.prepare("INSERT INTO counters(name, value) VALUES(?1, ?2) "
                               "ON CONFLICT(name) DO UPDATE SET value = excluded.value")),
        page_count(db.prepare("PRAGMA page_count")),
        freelist_count(db.prepare("PRAGMA freelist_count")) {}

  SqliteStatement begin, commit, rollback;
  SqliteStatement insert_reading, delete_oldest_unsent, delete_aged, delete_range,
      count_range, oldest_ts;
  SqliteStatement upsert_series;
  SqliteStatement insert_inflight, select_inflight, delete_inflight;
  SqliteStatement insert_alarm, select_alarms, delete_alarm, delete_oldest_alarms;
  SqliteStatement select_setting, upsert_setting;
  SqliteStatement set_counter;
  SqliteStatement page_count, freelist_count;
};

/// BEGIN IMMEDIATE now, ROLLBACK at scope exit unless commit() succeeded.
class BufferStore::Transaction {
 public:
  explicit Transaction(BufferStore& store) : store_(store) { store_.sql_->begin.execute(); }
  ~Transaction() {
    // SQLite may already have rolled back by itself (it does on some SQLITE_FULL/IOERR paths).
    if (committed_ || sqlite3_get_autocommit(store_.db_->get())) return;
    try {
      store_.sql_->rollback.execute();
    } catch (const StorageError& error) {
      spdlog::critical("storage: ROLLBACK failed: {}", error.what());
    }
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  void commit() {
    store_.sql_->commit.execute();
    committed_ = true;
  }

 private:
  BufferStore& store_;
  bool committed_ = false;
};

BufferStore::BufferStore(const StorageOptions& options, Clock& clock, SeriesCatalog& catalog)
    : options_(options),
      clock_(clock),
      reserve_(options.path + ".reserve", options.reserve_bytes),
      full_log_(kFullLogInterval) {
  prepare_directory(options_.path);
  std::vector<SeriesInfo> series;
  try {
    series = open_and_load();
  } catch (const StorageError& error) {
    if (!is_corruption(error.code())) throw;
    close();
    move_aside(options_.path, clock_.wall_ms() / 1000, error.what());
    series = open_and_load();
  }
  for (auto& info : series) catalog.insert(std::move(info));
  if (reserve_.bytes() > 0 && !reserve_.take()) {
    spdlog::warn(
        "storage: cannot hold the {}-byte full-disk reserve {} ({} bytes free); until it can, a "
        "full filesystem may stop delivery",
        reserve_.bytes(), reserve_.path(), reserve_.filesystem_free_bytes());
  }
}

BufferStore::~BufferStore() {
  close();
}

void BufferStore::close() {
  sql_.reset();
  db_.reset();
}

std::vector<SeriesInfo> BufferStore::open_and_load() {
  db_ = open_verified(options_.path);
  // A new file can give its free pages back to the filesystem (PRAGMA incremental_vacuum),
  // which is how the reserve is taken back after the buffer itself filled the disk. The mode
  // can only be chosen before the first table exists, and before WAL mode is.
  if (db_->query_int("SELECT count(*) FROM sqlite_schema") == 0) {
    db_->exec("PRAGMA auto_vacuum=INCREMENTAL");
  }
  std::string mode = db_->query_text("PRAGMA journal_mode=WAL");
  if (mode != "wal") {
    throw StorageError(SQLITE_ERROR,
                       "cannot put " + options_.path + " in WAL mode (got \"" + mode + "\")");
  }
  db_->exec(options_.synchronous == "normal" ? "PRAGMA synchronous=NORMAL"
                                             : "PRAGMA synchronous=FULL");
  db_->exec(("PRAGMA journal_size_limit=" + std::to_string(kJournalSizeLimit)).c_str());
  if (options_.max_page_count_for_tests > 0) {
    db_->exec(
        ("PRAGMA max_page_count=" + std::to_string(options_.max_page_count_for_tests)).c_str());
  }
  migrate_storage_schema(*db_);
  page_size_ = db_->query_int("PRAGMA page_size");
  incremental_vacuum_ = db_->query_int("PRAGMA auto_vacuum") == 2;
  if (options_.reserve_bytes > 0) {
    // The WAL is checkpointed every half reserve, so a checkpoint on a full disk (which may
    // grow the database by what the WAL holds) fits in one half and leaves the other for the
    // transactions that drain and shed.
    const std::int64_t pages = std::max<std::int64_t>(16, options_.reserve_bytes / 2 / page_size_);
    db_->exec(("PRAGMA wal_autocheckpoint=" + std::to_string(pages)).c_str());
  }
  sql_ = std::make_unique<Statements>(*db_);

  std::vector<SeriesInfo> series;
  {
    SqliteStatement select =
        db_->prepare("SELECT id, name, unit, resolution FROM series ORDER BY id");
    SqliteStatement::Reset reset(select);
    while (select.step()) {
      series.push_back({.id = static_cast<SeriesId>(select.column_int64(0)),
                        .spec = {.name = select.column_text(1),
                                 .unit = select.column_text(2),
                                 .resolution = select.column_double(3)}});
    }
  }

  for (const char* reason : kReasons) dropped_[reason] = 0;
  alarms_dropped_["max_bytes"] = 0;
  std::int64_t persisted_next_bundle = 1;
  {
    SqliteStatement select = db_->prepare("SELECT name, value FROM counters");
    SqliteStatement::Reset reset(select);
    while (select.step()) {
      std::string name = select.column_text(0);
      std::int64_t value = select.column_int64(1);
      if (name == "next_bundle_seq") {
        persisted_next_bundle = value;
      } else if (name.starts_with("dropped.")) {
        dropped_[name.substr(8)] = value;
      } else if (name.starts_with("alarms_dropped.")) {
        alarms_dropped_[name.substr(15)] = value;
      }
    }
  }

  inflight_ranges_.clear();
  std::int64_t max_bundle = 0;
  std::int64_t max_seq = db_->query_int("SELECT coalesce(max(seq), 0) FROM readings");
  {
    SqliteStatement select = db_->prepare("SELECT bundle_seq, first_seq, last_seq FROM inflight");
    SqliteStatement::Reset reset(select);
    while (select.step()) {
      std::int64_t bundle_seq = select.column_int64(0);
      SeqRange range{select.column_int64(1), select.column_int64(2)};
      inflight_ranges_[static_cast<std::uint64_t>(bundle_seq)] = range;
      max_bundle = std::max(max_bundle, bundle_seq);
      max_seq = std::max(max_seq, range.last);
    }
  }
  // Seqs continue after every stored row and every in-flight range, so a new reading can never
  // fall inside a bundle that is still waiting for its acknowledgement.
  next_seq_ = max_seq + 1;
  next_bundle_seq_ = static_cast<std::uint64_t>(std::max(persisted_next_bundle, max_bundle + 1));
  reading_count_ = db_->query_int("SELECT count(*) FROM readings");
  alarm_count_ = db_->query_int("SELECT count(*) FROM alarms");
  refresh_oldest_ts();
  refresh_used_bytes();
  return series;
}

void BufferStore::refresh_used_bytes() {
  used_bytes_ = (page_count() - freelist_count()) * page_size_;
}

void BufferStore::refresh_oldest_ts() {
  SqliteStatement::Reset reset(sql_->oldest_ts);
  oldest_ts_ms_ = sql_->oldest_ts.step() ? sql_->oldest_ts.column_int64(0) : 0;
}

void BufferStore::set_counter(const std::string& name, std::int64_t value) {
  sql_->set_counter.bind_text(1, name).bind(2, value).execute();
}

std::vector<std::pair<std::int64_t, std::int64_t>> BufferStore::unsent_gaps(
    std::optional<SeqRange> protect) const {
  std::vector<SeqRange> taken;
  taken.reserve(inflight_ranges_.size() + 1);
  for (const auto& [bundle_seq, range] : inflight_ranges_) taken.push_back(range);
  if (protect) taken.push_back(*protect);
  return seq_gaps(std::move(taken));
}

std::int64_t BufferStore::delete_oldest_unsent(std::int64_t max_rows,
                                               std::optional<SeqRange> protect) {
  std::int64_t deleted = 0;
  for (const auto& [lo, hi] : unsent_gaps(protect)) {
    if (deleted >= max_rows) break;
    sql_->delete_oldest_unsent.bind(1, lo).bind(2, hi).bind(3, max_rows - deleted).execute();
    deleted += sqlite3_changes64(db_->get());
  }
  if (deleted > 0) unsent_dropped_through_ = next_seq_ - 1;
  return deleted;
}

std::int64_t BufferStore::count_rows(SeqRange range) {
  SqliteStatement::Reset reset(sql_->count_range);
  sql_->count_range.bind(1, range.first).bind(2, range.last);
  return sql_->count_range.step() ? sql_->count_range.column_int64(0) : 0;
}

std::int64_t BufferStore::delete_oldest_alarms(std::int64_t max_alarms) {
  sql_->delete_oldest_alarms.bind(1, max_alarms).execute();
  return sqlite3_changes64(db_->get());
}

std::int64_t BufferStore::shed_for_full(std::int64_t rows_needed, std::optional<SeqRange> protect) {
  std::int64_t shed = 0;
  try {
    limit_growth(Growth::making_room);
    Transaction transaction(*this);
    shed = delete_oldest_unsent(std::max(2 * rows_needed, kMinShedRows), protect);
    if (shed > 0) set_counter("dropped.storage_full", dropped_["storage_full"] + shed);
    transaction.commit();
  } catch (const StorageError& error) {
    report_full(spdlog::level::err,
                std::string("full, and shedding old telemetry failed too: ") + error.what());
    return 0;
  }
  dropped_["storage_full"] += shed;
  reading_count_ -= shed;
  refresh_oldest_ts();
  refresh_used_bytes();
  report_full(spdlog::level::warn,
              "database full; dropping the oldest unsent readings to make room (" +
                  std::to_string(dropped_["storage_full"]) + " dropped so far)");
  return shed;
}

void BufferStore::checkpoint() {
  // PASSIVE: never waits. With no reader in the WAL, the next writer starts it from the top.
  sqlite3_wal_checkpoint_v2(db_->get(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
}

namespace {
std::int64_t read_single(SqliteStatement& statement) {
  SqliteStatement::Reset reset(statement);
  return statement.step() ? statement.column_int64(0) : 0;
}
}  // namespace

std::int64_t BufferStore::page_count() {
  return read_single(sql_->page_count);
}

std::int64_t BufferStore::freelist_count() {
  return read_single(sql_->freelist_count);
}

void BufferStore::set_max_page_count(std::int64_t pages) {
  // SQLite keeps the cap at least the current size, whatever is asked.
  db_->exec(("PRAGMA max_page_count=" + std::to_string(pages)).c_str());
}

void BufferStore::limit_growth(Growth growth) {
  if (!reserve_in_use_) return;
  set_max_page_count(growth == Growth::new_data ? page_count() : making_room_max_pages_);
}

void BufferStore::make_room() {
  // Capped while the reserve was given up, on a filesystem that has room again.
  if (reserve_in_use_ && take_back_reserve()) return;
  // SQLITE_FULL also comes from max_page_count or an I/O hiccup; the reserve is for a
  // filesystem that has really run out.
  if (reserve_.held() && reserve_.filesystem_free_bytes() < reserve_.bytes()) {
    reserve_.release();
    reserve_in_use_ = true;
    // Half the reserve for the database to grow into, the other half for the WAL.
    making_room_max_pages_ = page_count() + reserve_.bytes() / 2 / page_size_;
    if (options_.max_page_count_for_tests > 0) {
      making_room_max_pages_ = std::min(making_room_max_pages_, options_.max_page_count_for_tests);
    }
    spdlog::warn(
        "storage: the filesystem of {} is full; gave up the {}-byte reserve so bundles can still "
        "be sent and acknowledged, alarms stored and old telemetry shed",
        options_.path, reserve_.bytes());
  }
  checkpoint();
}

void BufferStore::tend_reserve() {
  if (reserve_.held() || reserve_.bytes() == 0) return;
  // Until the disk has room again, every commit's frames are checkpointed at once, so the WAL
  // reuses the blocks it already has.
  const std::int64_t free_bytes = reserve_.filesystem_free_bytes();
  if (reserve_in_use_ && free_bytes < reserve_.bytes()) checkpoint();

  const auto now = clock_.monotonic();
  if (now < next_reserve_attempt_) return;
  next_reserve_attempt_ = now + kReserveRetryInterval;
  const std::int64_t wanted = 2 * reserve_.bytes();
  if (free_bytes < wanted && incremental_vacuum_ && reserve_in_use_) {
    const std::int64_t pages = std::min(freelist_count(), (wanted - free_bytes) / page_size_ + 1);
    if (pages > 0) {
      try {
        db_->exec(("PRAGMA incremental_vacuum(" + std::to_string(pages) + ")").c_str());
        checkpoint();  // the file shrinks when the WAL is written back
        refresh_used_bytes();
      } catch (const StorageError& error) {
        report_full(spdlog::level::warn,
                    std::string("cannot give free pages back: ") + error.what());
      }
    }
  }
  take_back_reserve();
}

bool BufferStore::take_back_reserve() {
  // The reserve, and as much again to write in: taken back any sooner, the next commits would
  // find the disk full and give it up again.
  if (reserve_.held() || reserve_.bytes() == 0 ||
      reserve_.filesystem_free_bytes() < 2 * reserve_.bytes() || !reserve_.take()) {
    return false;
  }
  if (std::exchange(reserve_in_use_, false)) {
    set_max_page_count(options_.max_page_count_for_tests > 0 ? options_.max_page_count_for_tests
                                                             : kSqliteMaxPageCount);
  }
  spdlog::info("storage: the filesystem has room again; holding the {}-byte reserve again",
               reserve_.bytes());
  return true;
}

void BufferStore::report_full(spdlog::level::level_enum level, const std::string& message) {
  std::uint64_t held_back = 0;
  if (!full_log_.should_log(clock_.monotonic(), held_back)) return;
  if (held_back == 0) {
    spdlog::log(level, "storage: {}", message);
  } else {
    spdlog::log(level, "storage: {} (and {} times more since the last report)", message, held_back);
  }
}

template <class Write>
bool BufferStore::write_with_full_retry(Write write, std::int64_t rows_needed,
                                        std::optional<SeqRange> protect, Growth growth) {
  for (int attempt = 0;; ++attempt) {
    bool committed = false;
    try {
      limit_growth(growth);
      Transaction transaction(*this);
      write();
      transaction.commit();
      committed = true;
    } catch (const StorageError& error) {
      if (error.code() != SQLITE_FULL) throw;
    }
    if (committed) {
      // Outside the try: the write is committed whatever tending the reserve runs into.
      try {
        tend_reserve();
      } catch (const StorageError& error) {
        report_full(spdlog::level::warn, std::string("tending the reserve: ") + error.what());
      }
      return true;
    }
    // First what costs no data: the reserve and a checkpoint. Then, where the write brings new
    // data, the oldest unsent telemetry.
    if (attempt == 0) {
      make_room();
    } else if (attempt == 1 && rows_needed > 0) {
      shed_for_full(rows_needed, protect);
    } else {
      report_full(spdlog::level::err, "still full after making room");
      return false;
    }
  }
}

AppendStatus BufferStore::append(const std::vector<const std::vector<Reading>*>& batches,
                                 std::vector<SeqRange>& ranges) {
  std::int64_t total = 0;
  for (const auto* batch : batches) total += static_cast<std::int64_t>(batch->size());
  ranges.clear();
  try {
    bool written = write_with_full_retry(
        [&] {
          std::int64_t seq = next_seq_;
          for (const auto* batch : batches) {
            for (const Reading& reading : *batch) {
              sql_->insert_reading.bind(1, seq)
                  .bind(2, static_cast<std::int64_t>(reading.series))
                  .bind(3, reading.ts_ms)
                  .bind(4, reading.value)
                  .bind(5, static_cast<std::int64_t>(reading.quality))
                  .execute();
              ++seq;
            }
          }
        },
        total, std::nullopt, Growth::new_data);
    if (!written) return AppendStatus::storage_full;
  } catch (const StorageError& error) {
    spdlog::error("storage: writing {} readings failed: {}", total, error.what());
    return AppendStatus::failed;
  }
  for (const auto* batch : batches) {
    auto size = static_cast<std::int64_t>(batch->size());
    ranges.push_back({next_seq_, next_seq_ + size - 1});
    next_seq_ += size;
  }
  if (reading_count_ == 0 && total > 0) {
    for (const auto* batch : batches) {
      if (!batch->empty()) {
        oldest_ts_ms_ = batch->front().ts_ms;
        break;
      }
    }
  }
  reading_count_ += total;
  try {
    refresh_used_bytes();
  } catch (const StorageError& error) {
    // The readings are committed; a failed size query must not turn them into a failure.
    spdlog::error("storage: cannot read the database size: {}", error.what());
  }
  return AppendStatus::accepted;
}

SeriesId BufferStore::register_series(const SeriesSpec& spec) {
  std::int64_t id = 0;
  auto upsert = [&] {
    SqliteStatement& statement = sql_->upsert_series;
    SqliteStatement::Reset reset(statement);
    statement.bind_text(1, spec.name).bind_text(2, spec.unit).bind(3, spec.resolution);
    while (statement.step()) id = statement.column_int64(0);
  };
  if (!write_with_full_retry(upsert, 1)) {
    throw StorageError(SQLITE_FULL, "cannot register series " + spec.name + ": storage full");
  }
  refresh_used_bytes();
  return static_cast<SeriesId>(id);
}

RecordStatus BufferStore::record_inflight(const InflightBundle& bundle, std::size_t rows) {
  return record_inflight(std::span(&bundle, 1), std::span(&rows, 1)).stopped_by;
}

RecordOutcome BufferStore::record_inflight(std::span<const InflightBundle> bundles,
                                           std::span<const std::size_t> rows) {
  if (bundles.size() != rows.size()) {
    throw std::invalid_argument("record_inflight: one row count per bundle");
  }
  std::uint64_t next = next_bundle_seq_;
  std::vector<SeqRange> ranges;
  for (const InflightBundle& bundle : bundles) {
    if (bundle.bundle_seq < next || bundle.bundle_seq >= static_cast<std::uint64_t>(kSeqMax)) {
      throw std::invalid_argument("bundle_seq " + std::to_string(bundle.bundle_seq) +
                                  " cannot be used; the next one is " + std::to_string(next));
    }
    next = bundle.bundle_seq + 1;
    SeqRange range{bundle.first_seq, bundle.last_seq};
    auto overlaps = [&](const SeqRange& other) {
      return range.first <= other.last && other.first <= range.last && range.first <= range.last &&
             other.first <= other.last;
    };
    for (const auto& [other_seq, other] : inflight_ranges_) {
      if (overlaps(other)) {
        throw std::invalid_argument("bundle " + std::to_string(bundle.bundle_seq) +
                                    " overlaps the rows of in-flight bundle " +
                                    std::to_string(other_seq));
      }
    }
    if (std::any_of(ranges.begin(), ranges.end(), overlaps)) {
      throw std::invalid_argument("bundle " + std::to_string(bundle.bundle_seq) +
                                  " overlaps the rows of a bundle recorded with it");
    }
    ranges.push_back(range);
  }
  // Rows newer than every drop are all there; older ones are counted. Only this thread writes,
  // so what the count sees still holds when the insert commits. The bundles before the first
  // one with rows missing are recorded.
  RecordOutcome outcome{.recorded = bundles.size(), .stopped_by = RecordStatus::recorded};
  for (std::size_t i = 0; i < bundles.size(); ++i) {
    if (ranges[i].first <= unsent_dropped_through_ &&
        count_rows(ranges[i]) != static_cast<std::int64_t>(rows[i])) {
      outcome = {.recorded = i, .stopped_by = RecordStatus::rows_missing};
      break;
    }
  }
  const auto recording = bundles.first(outcome.recorded);
  if (recording.empty()) return outcome;
  auto write = [&] {
    for (const InflightBundle& bundle : recording) {
      sql_->insert_inflight.bind(1, static_cast<std::int64_t>(bundle.bundle_seq))
          .bind(2, bundle.first_seq)
          .bind(3, bundle.last_seq)
          .bind_blob(4, bundle.payload)
          .execute();
    }
    set_counter("next_bundle_seq", static_cast<std::int64_t>(recording.back().bundle_seq) + 1);
  };
  std::int64_t rows_needed = 0;
  SeqRange protect = ranges.front();
  for (std::size_t i = 0; i < recording.size(); ++i) {
    rows_needed += static_cast<std::int64_t>(recording[i].payload.size()) / kReadingBytes + 1;
    protect.first = std::min(protect.first, ranges[i].first);
    protect.last = std::max(protect.last, ranges[i].last);
  }
  try {
    // The bundles' own rows are not in flight yet, but shedding them would send readings that
    // the buffer no longer holds; protect them.
    if (!write_with_full_retry(write, rows_needed, protect)) {
      return {.recorded = 0, .stopped_by = RecordStatus::storage_full};
    }
  } catch (const StorageError& error) {
    spdlog::error("storage: recording bundle(s) {}..{} failed: {}", recording.front().bundle_seq,
                  recording.back().bundle_seq, error.what());
    return {.recorded = 0, .stopped_by = RecordStatus::storage_full};
  }
  for (std::size_t i = 0; i < recording.size(); ++i) {
    inflight_ranges_[recording[i].bundle_seq] = ranges[i];
  }
  next_bundle_seq_ = recording.back().bundle_seq + 1;
  refresh_used_bytes();
  return outcome;
}

std::vector<InflightBundle> BufferStore::inflight() {
  std::vector<InflightBundle> out;
  SqliteStatement& select = sql_->select_inflight;
  SqliteStatement::Reset reset(select);
  while (select.step()) {
    out.push_back({.bundle_seq = static_cast<std::uint64_t>(select.column_int64(0)),
                   .first_seq = select.column_int64(1),
                   .last_seq = select.column_int64(2),
                   .payload = select.column_blob(3)});
  }
  return out;
}

std::size_t BufferStore::ack(std::span<const std::uint64_t> bundle_seqs) {
  std::vector<std::uint64_t> known;
  for (auto seq : bundle_seqs) {
    if (inflight_ranges_.contains(seq)) known.push_back(seq);
  }
  if (known.empty()) return 0;
  std::int64_t deleted = 0;
  // One transaction for all: a drain acknowledges bundles in bursts, and each commit costs.
  auto write = [&] {
    deleted = 0;
    for (auto seq : known) {
      const auto& range = inflight_ranges_.at(seq);
      sql_->delete_range.bind(1, range.first).bind(2, range.last).execute();
      deleted += sqlite3_changes64(db_->get());
      sql_->delete_inflight.bind(1, static_cast<std::int64_t>(seq)).execute();
    }
  };
  try {
    if (!write_with_full_retry(write, 0)) return 0;
  } catch (const StorageError& error) {
    // The bundles stay in flight and are resent after a restart; consumers de-duplicate them.
    spdlog::error("storage: acknowledging {} bundle(s) from {} failed: {}", known.size(),
                  known.front(), error.what());
    return 0;
  }
  for (auto seq : known) inflight_ranges_.erase(seq);
  reading_count_ -= deleted;
  refresh_oldest_ts();
  refresh_used_bytes();
  return known.size();
}

std::int64_t BufferStore::add_alarm(const Alarm& alarm) {
  std::int64_t id = 0;
  auto write = [&] {
    sql_->insert_alarm.bind_text(1, alarm.kind)
        .bind_text(2, alarm.series)
        .bind(3, alarm.ts_ms)
        .bind(4, alarm.value)
        .bind_text(5, alarm.message)
        .bind(6, alarm.state == AlarmState::raised ? std::int64_t{0} : alarm.alarm_id)
        .bind_text(7, alarm_state_name(alarm.state))
        .bind_text(8, severity_name(alarm.severity))
        // NaN is stored as NULL: no threshold.
        .bind(9, alarm.threshold.value_or(std::numeric_limits<double>::quiet_NaN()))
        .bind(10, alarm.first_ts_ms)
        .bind(11, alarm.last_ts_ms)
        .execute();
    id = sqlite3_last_insert_rowid(db_->get());
  };
  try {
    std::int64_t rows_needed =
        static_cast<std::int64_t>(alarm.message.size() + alarm.kind.size()) / kReadingBytes + 1;
    if (!write_with_full_retry(write, rows_needed)) return 0;
  } catch (const StorageError& error) {
    spdlog::error("storage: storing alarm {} failed: {}", alarm.kind, error.what());
    return 0;
  }
  ++alarm_count_;
  refresh_used_bytes();
  return id;
}

std::vector<Alarm> BufferStore::pending_alarms(std::size_t max) {
  std::vector<Alarm> out;
  SqliteStatement& select = sql_->select_alarms;
  SqliteStatement::Reset reset(select);
  select.bind(1, static_cast<std::int64_t>(std::min<std::size_t>(max, kSeqMax)));
  while (select.step()) {
    const double threshold = select.column_double(9);
    out.push_back(
        {.id = select.column_int64(0),
         .alarm_id = select.column_int64(6),
         .kind = select.column_text(1),
         .series = select.column_text(2),
         .ts_ms = select.column_int64(3),
         .value = select.column_double(4),
         .message = select.column_text(5),
         .state = select.column_text(7) == "cleared" ? AlarmState::cleared : AlarmState::raised,
         .severity = parse_severity(select.column_text(8)).value_or(Severity::warning),
         .threshold = std::isnan(threshold) ? std::nullopt : std::optional(threshold),
         .first_ts_ms = select.column_int64(10),
         .last_ts_ms = select.column_int64(11)});
  }
  return out;
}

std::optional<std::string> BufferStore::setting(const std::string& name) {
  SqliteStatement& select = sql_->select_setting;
  SqliteStatement::Reset reset(select);
  select.bind_text(1, name);
  if (!select.step()) return std::nullopt;
  return select.column_text(0);
}

bool BufferStore::store_setting(const std::string& name, const std::string& value) {
  try {
    return write_with_full_retry(
        [&] { sql_->upsert_setting.bind_text(1, name).bind_text(2, value).execute(); }, 0);
  } catch (const StorageError& error) {
    spdlog::error("storage: storing setting {} failed: {}", name, error.what());
    return false;
  }
}

bool BufferStore::ack_alarm(std::int64_t id) {
  std::int64_t deleted = 0;
  try {
    if (!write_with_full_retry(
            [&] {
              sql_->delete_alarm.bind(1, id).execute();
              deleted = sqlite3_changes64(db_->get());
            },
            0)) {
      return false;
    }
  } catch (const StorageError& error) {
    spdlog::error("storage: acknowledging alarm {} failed: {}", id, error.what());
    return false;
  }
  alarm_count_ -= deleted;
  refresh_used_bytes();
  return deleted > 0;
}

void BufferStore::enforce_retention() {
  if (options_.max_age_s > 0) {
    std::int64_t cutoff = clock_.wall_ms() - options_.max_age_s * 1000;
    std::int64_t deleted = 0;
    const bool written = write_with_full_retry(
        [&] {
          deleted = 0;
          for (const auto& [lo, hi] : unsent_gaps(std::nullopt)) {
            sql_->delete_aged.bind(1, lo).bind(2, hi).bind(3, cutoff).execute();
            deleted += sqlite3_changes64(db_->get());
          }
          if (deleted > 0) {
            set_counter("dropped.max_age", dropped_["max_age"] + deleted);
            unsent_dropped_through_ = next_seq_ - 1;
          }
        },
        0);
    if (written && deleted > 0) {
      dropped_["max_age"] += deleted;
      reading_count_ -= deleted;
      refresh_oldest_ts();
      refresh_used_bytes();
      spdlog::info("storage: dropped {} readings older than {} s", deleted, options_.max_age_s);
    }
  }
  enforce_max_bytes();
}

void BufferStore::enforce_max_bytes() {
  if (options_.max_bytes <= 0 || used_bytes_ <= options_.max_bytes) return;
  const std::int64_t target = options_.max_bytes - options_.max_bytes / kHeadroomDivisor;
  // Bytes one deleted row gives back, learned from each pass: rows vary in size (alarm messages
  // especially) and a page is only freed once every row on it is gone.
  std::int64_t reading_bytes = kReadingBytes;
  std::int64_t alarm_bytes = kAlarmBytes;
  std::int64_t readings_dropped = 0;
  std::int64_t alarms_dropped = 0;
  for (int pass = 0; pass < kMaxShedPasses && used_bytes_ > target; ++pass) {
    const std::int64_t before = used_bytes_;
    const std::int64_t excess = before - target;
    std::int64_t readings = 0;
    std::int64_t alarms = 0;
    const bool written = write_with_full_retry(
        [&] {
          readings =
              delete_oldest_unsent(std::max<std::int64_t>(1, excess / reading_bytes), std::nullopt);
          // Alarms go only once no telemetry outside in-flight bundles is left.
          alarms = readings == 0
                       ? delete_oldest_alarms(std::max<std::int64_t>(1, excess / alarm_bytes))
                       : 0;
          if (readings > 0) set_counter("dropped.max_bytes", dropped_["max_bytes"] + readings);
          if (alarms > 0)
            set_counter("alarms_dropped.max_bytes", alarms_dropped_["max_bytes"] + alarms);
        },
        0);
    if (!written) break;
    dropped_["max_bytes"] += readings;
    alarms_dropped_["max_bytes"] += alarms;
    reading_count_ -= readings;
    alarm_count_ -= alarms;
    readings_dropped += readings;
    alarms_dropped += alarms;
    refresh_used_bytes();
    if (readings == 0 && alarms == 0) {
      spdlog::warn("storage: {} bytes used, over max_bytes {}, but only in-flight bundles are left",
                   used_bytes_, options_.max_bytes);
      break;
    }
    const std::int64_t freed = before - used_bytes_;
    std::int64_t& learned = readings > 0 ? reading_bytes : alarm_bytes;
    const std::int64_t rows = readings > 0 ? readings : alarms;
    // Nothing freed yet means the rows shared pages with survivors: ask for more next time.
    learned = freed > 0 ? std::max<std::int64_t>(1, freed / rows)
                        : std::max<std::int64_t>(1, learned / 2);
  }
  refresh_oldest_ts();
  if (readings_dropped > 0 || alarms_dropped > 0) {
    spdlog::warn("storage: over max_bytes {}; dropped the {} oldest readings and {} alarms",
                 options_.max_bytes, readings_dropped, alarms_dropped);
  }
}

BufferStats BufferStore::stats() const {
  return {.readings = reading_count_,
          .bytes = used_bytes_,
          .oldest_ts_ms = oldest_ts_ms_,
          .inflight_bundles = static_cast<std::int64_t>(inflight_ranges_.size()),
          .alarms_pending = alarm_count_,
          .dropped = dropped_,
          .alarms_dropped = alarms_dropped_,
          .reserve_bytes_held = reserve_.held() ? reserve_.bytes() : 0};
}

}  // namespace edgegw
