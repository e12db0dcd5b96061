#include "storage/schema.h"

#include <array>
#include <string>

namespace edgegw {
namespace {

// Migration i takes the database from user_version i to i+1. Append only: a shipped step is
// never edited, because gateways in the field have already run it.
constexpr std::array<const char*, 2> kMigrations = {
    // v1: the buffer.
    // readings.value may be NULL: SQLite stores NaN as NULL, and a NOT NULL constraint would
    //   fail a whole group commit for one bad value that slipped past ingest.
    // alarms use AUTOINCREMENT so an alarm id is never handed out twice, even after every alarm
    //   was acknowledged and the gateway restarted; readings do not need it (the buffer keeps
    //   seq monotonic itself) and it would cost an extra write per transaction.
    R"sql(
CREATE TABLE series (
  id         INTEGER PRIMARY KEY,
  name       TEXT NOT NULL UNIQUE,
  unit       TEXT NOT NULL,
  resolution REAL NOT NULL
);
CREATE TABLE readings (
  seq     INTEGER PRIMARY KEY,
  series  INTEGER NOT NULL,
  ts_ms   INTEGER NOT NULL,
  value   REAL,
  quality INTEGER NOT NULL
);
CREATE TABLE inflight (
  bundle_seq INTEGER PRIMARY KEY,
  first_seq  INTEGER NOT NULL,
  last_seq   INTEGER NOT NULL,
  payload    BLOB NOT NULL
);
CREATE TABLE alarms (
  id      INTEGER PRIMARY KEY AUTOINCREMENT,
  kind    TEXT NOT NULL,
  series  TEXT NOT NULL,
  ts_ms   INTEGER NOT NULL,
  value   REAL,
  message TEXT NOT NULL
);
CREATE TABLE counters (
  name  TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
)sql",
    // v2: alarms decided by rules, published when raised and again when cleared; settings that
    //   outlive a restart (armed, a load cell's tare and scale).
    // alarm_id NULL: the message is a raise, and its own id names the excursion.
    R"sql(
ALTER TABLE alarms ADD COLUMN alarm_id INTEGER;
ALTER TABLE alarms ADD COLUMN state TEXT NOT NULL DEFAULT 'raised';
ALTER TABLE alarms ADD COLUMN severity TEXT NOT NULL DEFAULT 'warning';
ALTER TABLE alarms ADD COLUMN threshold REAL;
ALTER TABLE alarms ADD COLUMN first_ts_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE alarms ADD COLUMN last_ts_ms INTEGER NOT NULL DEFAULT 0;
CREATE TABLE settings (
  name  TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
)sql",
};

}  // namespace

int storage_schema_version() {
  return static_cast<int>(kMigrations.size());
}

void migrate_storage_schema(SqliteConnection& db) {
  auto version = db.query_int("PRAGMA user_version");
  if (version > storage_schema_version()) {
    throw StorageError(SQLITE_ERROR, "database schema version " + std::to_string(version) +
                                         " is newer than this edgegw understands (" +
                                         std::to_string(storage_schema_version()) +
                                         "); refusing to touch it");
  }
  for (auto step = version; step < storage_schema_version(); ++step) {
    db.exec("BEGIN IMMEDIATE");
    try {
      db.exec(kMigrations[static_cast<std::size_t>(step)]);
      db.exec(("PRAGMA user_version = " + std::to_string(step + 1)).c_str());
      db.exec("COMMIT");
    } catch (...) {
      // The original error is the one worth reporting; a failed ROLLBACK adds nothing to it.
      sqlite3_exec(db.get(), "ROLLBACK", nullptr, nullptr, nullptr);
      throw;
    }
  }
}

}  // namespace edgegw
