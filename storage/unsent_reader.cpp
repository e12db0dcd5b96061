#include "storage/unsent_reader.h"

#include <algorithm>
#include <vector>

#include "storage/seq_range.h"

namespace edgegw {
namespace {

// A checkpoint or the writer's recovery can hold the WAL index for a moment; a read waits for it
// rather than failing.
constexpr int kBusyTimeoutMs = 5000;

}  // namespace

UnsentReader::UnsentReader(const std::string& path)
    : db_(path, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX),
      begin_(db_.prepare("BEGIN")),
      commit_(db_.prepare("COMMIT")),
      select_inflight_(db_.prepare("SELECT first_seq, last_seq FROM inflight")),
      select_unsent_(db_.prepare("SELECT seq, series, ts_ms, value, quality FROM readings "
                                 "WHERE seq > ?1 AND seq < ?2 ORDER BY seq LIMIT ?3")) {
  if (int rc = sqlite3_busy_timeout(db_.get(), kBusyTimeoutMs); rc != SQLITE_OK) {
    db_.fail(rc, "busy_timeout");
  }
}

UnsentRows UnsentReader::read(std::int64_t after_seq, std::int64_t next_seq, std::size_t max) {
  UnsentRows unsent{.rows = {}, .next_seq = next_seq};
  std::vector<StoredReading>& out = unsent.rows;
  // A drain reads thousands of rows at a time: growing the vector as they come would copy them
  // over and over.
  out.reserve(max);
  // One read transaction, so the in-flight ranges and the rows come from the same snapshot.
  begin_.execute();
  try {
    std::vector<SeqRange> inflight;
    {
      SqliteStatement::Reset reset(select_inflight_);
      while (select_inflight_.step()) {
        inflight.push_back({select_inflight_.column_int64(0), select_inflight_.column_int64(1)});
      }
    }
    for (auto [lo, hi] : seq_gaps(std::move(inflight))) {
      if (out.size() >= max) break;
      if (hi <= after_seq) continue;
      lo = std::max(lo, after_seq);
      hi = std::min(hi, next_seq);
      if (lo >= hi) break;
      SqliteStatement::Reset reset(select_unsent_);
      select_unsent_.bind(1, lo).bind(2, hi).bind(3, static_cast<std::int64_t>(max - out.size()));
      while (select_unsent_.step()) {
        out.push_back({.seq = select_unsent_.column_int64(0),
                       .reading = {.series = static_cast<SeriesId>(select_unsent_.column_int64(1)),
                                   .ts_ms = select_unsent_.column_int64(2),
                                   .value = select_unsent_.column_double(3),
                                   .quality = static_cast<Quality>(select_unsent_.column_int64(4))}});
      }
    }
  } catch (...) {
    // The read's own error is the one worth reporting; ending the snapshot is all that is left.
    sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
  commit_.execute();
  return unsent;
}

}  // namespace edgegw
