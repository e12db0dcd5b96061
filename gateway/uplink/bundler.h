#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "proto/bundle_packer.h"
#include "storage/sqlite_buffer.h"

namespace edgegw {

/// A bundle the bundler closed: to be recorded in flight, then published.
struct ClosedBundle {
  InflightBundle bundle;
  std::size_t readings = 0;
};

/// Turns the stream of stored readings into bundles without packing any reading twice: the
/// open bundle keeps its encoder state (OpenBundle), readings just committed are added as they
/// come, and only a backlog (after a start, or after the uplink fell behind) is read from the
/// buffer. A bundle closes when the next reading would not fit, or when its oldest reading has
/// waited max_latency; closed bundles queue in order until the uplink records them.
///
/// Rows are taken strictly in seq order and never twice: a committed batch is taken only when
/// it follows, with nothing between, what the bundler already has (caught_up()); otherwise the
/// uplink reads from storage after after_seq(). Single-threaded: the uplink thread owns it.
class Bundler {
 public:
  Bundler(BundlePacker& packer, std::chrono::milliseconds max_latency);
  ~Bundler();
  Bundler(const Bundler&) = delete;
  Bundler& operator=(const Bundler&) = delete;

  /// Starts over: every row up to `after_seq` is in a bundle already, and the next bundle is
  /// numbered `next_bundle_seq`. Drops the open and the closed bundles; not caught up.
  void restart(std::uint64_t next_bundle_seq, std::int64_t after_seq);

  /// Rows read from storage after after_seq(). `complete`: the read returned fewer rows than
  /// asked for, so nothing committed before it is left unread.
  void add_read(const UnsentRows& unsent, bool complete);
  /// A batch just committed with seqs first_seq, first_seq + 1, ... Taken, and true returned,
  /// only when caught up and it follows the last row taken (or true when the read that caught
  /// up held it already); false: it will be read instead.
  bool add_committed(std::int64_t first_seq, std::span<const Reading> batch);
  /// Committed batches are no longer coming (the uplink stopped taking them): the next rows
  /// must be read.
  void fall_behind() { caught_up_ = false; }

  /// Closes the open bundle when its oldest reading has waited max_latency by `now_ms`, or at
  /// once when `force`. Only when caught up: behind, more rows are waiting to fill it.
  void close_if_due(std::int64_t now_ms, bool force);
  /// How long until the open bundle is due to close; nullopt when there is none.
  std::optional<std::chrono::milliseconds> due_in(std::int64_t now_ms) const;

  /// `lost`, taken from closed(), could not be recorded because some of its rows are gone:
  /// drops every bundle after it too (open and closed), to bundle again from storage starting
  /// at its first row, under its bundle_seq.
  void rebuild_from(const InflightBundle& lost);

  /// How long a reading may wait in the open bundle from now on (the open one included).
  void set_max_latency(std::chrono::milliseconds max_latency) { max_latency_ = max_latency; }
  std::chrono::milliseconds max_latency() const { return max_latency_; }

  bool caught_up() const { return caught_up_; }
  std::int64_t after_seq() const { return after_seq_; }
  std::deque<ClosedBundle>& closed() { return closed_; }
  const std::deque<ClosedBundle>& closed() const { return closed_; }
  /// Readings in the last bundle that closed full: about what one bundle holds.
  std::size_t full_bundle_readings() const { return full_bundle_readings_; }

 private:
  void add(const StoredReading& row);
  void close_open(bool full);

  BundlePacker& packer_;
  std::chrono::milliseconds max_latency_;
  std::uint64_t next_bundle_seq_ = 1;
  std::int64_t after_seq_ = 0;     // the last row taken
  std::int64_t expected_seq_ = 0;  // the seq a committed batch must start at to be taken
  bool caught_up_ = false;
  std::unique_ptr<OpenBundle> open_;
  std::vector<StoredReading> rows_;  // in the open bundle
  std::int64_t oldest_ts_ms_ = 0;    // of the open bundle
  std::deque<ClosedBundle> closed_;
  std::size_t full_bundle_readings_ = 0;
};

}  // namespace edgegw
