#include "gateway/uplink/bundler.h"

#include <algorithm>

namespace edgegw {

Bundler::Bundler(BundlePacker& packer, std::chrono::milliseconds max_latency)
    : packer_(packer), max_latency_(max_latency) {}

Bundler::~Bundler() = default;

void Bundler::restart(std::uint64_t next_bundle_seq, std::int64_t after_seq) {
  next_bundle_seq_ = next_bundle_seq;
  after_seq_ = after_seq;
  caught_up_ = false;
  open_.reset();
  rows_.clear();
  closed_.clear();
}

void Bundler::add_read(const UnsentRows& unsent, bool complete) {
  for (const StoredReading& row : unsent.rows) {
    if (row.seq > after_seq_) add(row);
  }
  if (complete) {
    caught_up_ = true;
    expected_seq_ = unsent.next_seq;
  }
}

bool Bundler::add_committed(std::int64_t first_seq, std::span<const Reading> batch) {
  // Read already: the read that caught up was bounded after this commit.
  if (caught_up_ && first_seq + static_cast<std::int64_t>(batch.size()) <= expected_seq_) {
    return true;
  }
  if (!caught_up_ || first_seq != expected_seq_) {
    caught_up_ = false;
    return false;
  }
  std::int64_t seq = first_seq;
  for (const Reading& reading : batch) add({.seq = seq++, .reading = reading});
  expected_seq_ = seq;
  return true;
}

void Bundler::add(const StoredReading& row) {
  for (;;) {
    if (!open_) open_ = std::make_unique<OpenBundle>(packer_, next_bundle_seq_++);
    if (open_->add(row.reading)) break;
    close_open(/*full=*/true);  // and the reading starts the next bundle
  }
  oldest_ts_ms_ = rows_.empty() ? row.reading.ts_ms : std::min(oldest_ts_ms_, row.reading.ts_ms);
  rows_.push_back(row);
  // max: a reading given back by a close is added again after later ones were taken.
  after_seq_ = std::max(after_seq_, row.seq);
}

void Bundler::close_open(bool full) {
  PackedBundle packed = open_->close(full);
  open_.reset();
  std::vector<StoredReading> rows = std::move(rows_);
  rows_.clear();
  const std::size_t count = packed.reading_count;
  if (count > 0) {
    if (packed.full) full_bundle_readings_ = count;
    closed_.push_back({.bundle = {.bundle_seq = packed.bundle_seq,
                                  .first_seq = rows.front().seq,
                                  .last_seq = rows[count - 1].seq,
                                  .payload = std::move(packed.payload)},
                       .readings = count});
  }
  // Readings the compressed bundle could not hold after all start the next one.
  for (std::size_t i = count; i < rows.size(); ++i) add(rows[i]);
}

void Bundler::close_if_due(std::int64_t now_ms, bool force) {
  if (!open_ || !caught_up_) return;
  if (force || now_ms - oldest_ts_ms_ >= max_latency_.count()) close_open(/*full=*/false);
}

std::optional<std::chrono::milliseconds> Bundler::due_in(std::int64_t now_ms) const {
  if (!open_) return std::nullopt;
  return std::max(std::chrono::milliseconds(0),
                  std::chrono::milliseconds(oldest_ts_ms_ + max_latency_.count() - now_ms));
}

void Bundler::rebuild_from(const InflightBundle& lost) {
  restart(lost.bundle_seq, lost.first_seq - 1);
}

}  // namespace edgegw
