#include "storage/sqlite_handle.h"

#include <spdlog/spdlog.h>

#include <limits>
#include <utility>

namespace edgegw {

SqliteConnection::SqliteConnection(const std::string& path, int flags) {
  // Memory statistics take a global mutex on every allocation SQLite makes, a few per row read
  // or written; nothing here reads them. Only possible before SQLite initializes, so once.
  static const int memstatus_off = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  (void)memstatus_off;
  int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    // sqlite3_open_v2 hands back a handle even when it fails; it still has to be closed.
    std::string message = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    throw StorageError(rc, "cannot open " + path + ": " + message);
  }
}

SqliteConnection::~SqliteConnection() {
  if (!db_) return;
  // Owners finalize their statements first, so sqlite3_close refusing means a statement leaked;
  // say so, and let _v2 close the connection once that statement is finalized after all.
  if (int rc = sqlite3_close(db_); rc != SQLITE_OK) {
    spdlog::error("storage: closing the database failed: {}", sqlite3_errstr(rc));
    sqlite3_close_v2(db_);
  }
}

void SqliteConnection::exec(const char* sql) {
  char* error = nullptr;
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &error);
  if (rc != SQLITE_OK) {
    std::string message = error ? error : sqlite3_errstr(rc);
    sqlite3_free(error);
    throw StorageError(rc, std::string(sql) + ": " + message);
  }
}

SqliteStatement SqliteConnection::prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) fail(rc, sql);
  return SqliteStatement(*this, stmt);
}

std::int64_t SqliteConnection::query_int(const char* sql) {
  SqliteStatement statement = prepare(sql);
  SqliteStatement::Reset reset(statement);
  if (!statement.step()) fail(SQLITE_ERROR, std::string(sql) + " returned no row");
  return statement.column_int64(0);
}

std::string SqliteConnection::query_text(const char* sql) {
  SqliteStatement statement = prepare(sql);
  SqliteStatement::Reset reset(statement);
  if (!statement.step()) return {};
  return statement.column_text(0);
}

void SqliteConnection::fail(int rc, std::string_view what) const {
  // The connection's message is only meaningful when it belongs to this result code.
  std::string message =
      (db_ && sqlite3_errcode(db_) == rc) ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  throw StorageError(rc, std::string(what) + ": " + message);
}

SqliteStatement::~SqliteStatement() {
  sqlite3_finalize(stmt_);
}

SqliteStatement::SqliteStatement(SqliteStatement&& other) noexcept
    : connection_(other.connection_), stmt_(std::exchange(other.stmt_, nullptr)) {}

SqliteStatement& SqliteStatement::operator=(SqliteStatement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    connection_ = other.connection_;
    stmt_ = std::exchange(other.stmt_, nullptr);
  }
  return *this;
}

void SqliteStatement::check_bind(int rc) {
  if (rc != SQLITE_OK) connection_->fail(rc, std::string("bind in ") + sqlite3_sql(stmt_));
}

SqliteStatement& SqliteStatement::bind(int index, std::int64_t value) {
  check_bind(sqlite3_bind_int64(stmt_, index, value));
  return *this;
}

SqliteStatement& SqliteStatement::bind(int index, double value) {
  check_bind(sqlite3_bind_double(stmt_, index, value));
  return *this;
}

SqliteStatement& SqliteStatement::bind_text(int index, std::string_view value) {
  check_bind(
      sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
  return *this;
}

SqliteStatement& SqliteStatement::bind_blob(int index, std::string_view bytes) {
  // A zero-length blob must stay a blob, not become NULL, so never pass a null pointer.
  static const char kEmpty = 0;
  const void* data = bytes.empty() ? &kEmpty : bytes.data();
  check_bind(sqlite3_bind_blob64(stmt_, index, data, bytes.size(), SQLITE_TRANSIENT));
  return *this;
}

bool SqliteStatement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  connection_->fail(rc, sqlite3_sql(stmt_));
}

void SqliteStatement::execute() {
  Reset reset(*this);
  if (step())
    connection_->fail(SQLITE_MISUSE, std::string("unexpected row from ") + sqlite3_sql(stmt_));
}

void SqliteStatement::reset() noexcept {
  // sqlite3_reset repeats the last step's error, which step() has already reported.
  if (stmt_) sqlite3_reset(stmt_);
}

double SqliteStatement::column_double(int index) const {
  if (sqlite3_column_type(stmt_, index) == SQLITE_NULL)
    return std::numeric_limits<double>::quiet_NaN();
  return sqlite3_column_double(stmt_, index);
}

std::string SqliteStatement::column_text(int index) const {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, index));
  int size = sqlite3_column_bytes(stmt_, index);
  return text ? std::string(text, static_cast<std::size_t>(size)) : std::string();
}

std::string SqliteStatement::column_blob(int index) const {
  const auto* data = static_cast<const char*>(sqlite3_column_blob(stmt_, index));
  int size = sqlite3_column_bytes(stmt_, index);
  return data ? std::string(data, static_cast<std::size_t>(size)) : std::string();
}

}  // namespace edgegw
