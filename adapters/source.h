#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "adapters/weigher.h"
#include "gateway/model/option_table.h"
#include "gateway/model/reading.h"
#include "gateway/model/reconnect_backoff.h"
#include "gateway/model/series.h"

namespace edgegw {

/// The runner's stop request as a source sees it while it blocks on its hardware: a source
/// that waits (for an HX711's DOUT, between frames) asks it whether to give up.
class StopSignal {
 public:
  virtual ~StopSignal() = default;
  virtual bool stopping() const = 0;
  /// Sleeps up to `period`; false at once, or as soon as, stop is asked.
  virtual bool sleep_for(std::chrono::nanoseconds period) const = 0;
};

/// What one read() came to, besides the readings it appended.
struct SourceRead {
  /// Each part of the read that failed (a Modbus block, a weighing), for health: every one is
  /// counted, the last is shown.
  std::vector<std::string> errors;
  /// The link is gone (a closed socket, a line the kernel took back): the runner closes the
  /// source and opens it again after the backoff.
  bool lost = false;
  /// More is due already (a simulator catching up): read again without waiting.
  bool more = false;
};

/// When the runner reads next: at `at`, or as soon as `fd` is readable, whichever is first.
/// Neither: at once.
struct ReadDue {
  std::optional<std::chrono::steady_clock::time_point> at;
  int fd = -1;
};

/// What an adapter supplies to the core runner (adapters/adapter_runner.h): how to open its
/// source, read it once and close it, and when the next read is due. The runner owns the thread,
/// the pacing, back-pressure, reopening with backoff and the health it reports, so a source
/// holds none of that. Every call but name(), series() and weigher() comes from the runner's
/// one thread.
class Source {
 public:
  virtual ~Source() = default;
  /// The adapter's name from the config.
  virtual const std::string& name() const = 0;
  /// The series the source produces, in the order of the ids bind() is given.
  virtual std::vector<SeriesSpec> series() const = 0;
  /// The ids the gateway assigned to series(), before the first open().
  virtual void bind(std::vector<SeriesId> ids) = 0;
  /// How reopening after a failed open or a lost link backs off.
  virtual ReconnectBackoff::Settings reopen_backoff() const = 0;

  /// Requests the lines, connects, opens the port. Empty on success, else what failed.
  virtual std::string open() = 0;
  /// Gives the hardware back; called after a lost link and at stop, only while open.
  virtual void close() = 0;
  /// Reads once, appending what was read to `out` (empty on entry).
  virtual SourceRead read(std::vector<Reading>& out, const StopSignal& stop) = 0;
  /// When the read after one that started at `started` is due.
  virtual ReadDue next_read(std::chrono::steady_clock::time_point started) const = 0;

  /// A load cell answers tare and calibration requests from outside; other sources do not.
  virtual Weigher* weigher() { return nullptr; }

  /// New values of the keys the gateway changes while it runs (kLiveAdapterKeys: the cloud's
  /// desired settings), already checked against the type's option table; from the runner's
  /// thread, between reads. A source without such keys ignores it.
  virtual void retune(const std::map<std::string, OptionValue>& /*values*/) {}
};

}  // namespace edgegw
