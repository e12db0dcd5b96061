#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "storage/sqlite_buffer.h"
#include "storage/sqlite_handle.h"

namespace edgegw {

/// Reads unsent readings through a read-only connection of its own, beside the storage thread's
/// read-write one: in WAL mode a reader sees the last committed snapshot while the writer goes
/// on, so a drain reads the next bundles' rows while the storage thread records and deletes the
/// last ones, on two cores instead of one. Single-threaded (SqliteBuffer serialises its use).
class UnsentReader {
 public:
  /// Opens the buffer's database, which the storage thread has already created and migrated.
  explicit UnsentReader(const std::string& path);

  /// Up to `max` readings with after_seq < seq < next_seq that no in-flight bundle holds, in
  /// seq order, all from one snapshot. `next_seq` is what the buffer's next seq was after some
  /// commit before the call, so every reading below it is either committed or gone; the
  /// result's next_seq is `next_seq`. Throws StorageError.
  UnsentRows read(std::int64_t after_seq, std::int64_t next_seq, std::size_t max);

 private:
  SqliteConnection db_;
  SqliteStatement begin_, commit_, select_inflight_, select_unsent_;
};

}  // namespace edgegw
