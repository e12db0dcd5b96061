#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "storage/storage_error.h"

namespace edgegw {

class SqliteStatement;

/// Owns one sqlite3 connection; closing it is the destructor's job.
class SqliteConnection {
 public:
  /// Opens `path` with sqlite3_open_v2 `flags`; throws StorageError if SQLite refuses.
  SqliteConnection(const std::string& path, int flags);
  ~SqliteConnection();
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  /// Runs one or more statements that return no rows we care about.
  void exec(const char* sql);
  /// Compiles `sql` once; the statement lives as long as the caller keeps it.
  SqliteStatement prepare(std::string_view sql);
  /// The value of a PRAGMA (or any single-value query) as an integer.
  std::int64_t query_int(const char* sql);
  /// The first column of the first row as text, or "" when there is no row.
  std::string query_text(const char* sql);

  sqlite3* get() const { return db_; }
  /// Throws StorageError for `rc`, with the connection's error message and `what` as context.
  [[noreturn]] void fail(int rc, std::string_view what) const;

 private:
  sqlite3* db_ = nullptr;
};

/// Owns one prepared statement. Bind, then `execute()` (no rows) or `step()` until it returns
/// false; `reset()` (or a Reset guard) releases the statement's read snapshot.
class SqliteStatement {
 public:
  SqliteStatement(const SqliteConnection& connection, sqlite3_stmt* stmt)
      : connection_(&connection), stmt_(stmt) {}
  SqliteStatement() = default;
  ~SqliteStatement();
  SqliteStatement(SqliteStatement&& other) noexcept;
  SqliteStatement& operator=(SqliteStatement&& other) noexcept;
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;

  SqliteStatement& bind(int index, std::int64_t value);
  SqliteStatement& bind(int index, double value);
  SqliteStatement& bind_text(int index, std::string_view value);
  SqliteStatement& bind_blob(int index, std::string_view bytes);

  /// True when a row is ready, false when the statement is done; throws on any error.
  bool step();
  /// Steps a statement that must not return rows, then resets it.
  void execute();
  void reset() noexcept;

  std::int64_t column_int64(int index) const { return sqlite3_column_int64(stmt_, index); }
  /// NULL reads back as NaN: SQLite stores a NaN as NULL.
  double column_double(int index) const;
  std::string column_text(int index) const;
  std::string column_blob(int index) const;

  /// Resets the statement when the scope ends, whatever way it ends.
  class Reset {
   public:
    explicit Reset(SqliteStatement& statement) : statement_(statement) {}
    ~Reset() { statement_.reset(); }
    Reset(const Reset&) = delete;
    Reset& operator=(const Reset&) = delete;

   private:
    SqliteStatement& statement_;
  };

 private:
  void check_bind(int rc);

  const SqliteConnection* connection_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

}  // namespace edgegw
