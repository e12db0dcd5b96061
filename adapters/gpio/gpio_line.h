#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gateway/model/reconnect_backoff.h"

namespace edgegw::gpio {

/// Which line: a chip as libgpiod looks it up ("gpiochip0", "/dev/gpiochip0", "0" or the
/// chip's label) and the line's offset on that chip (the BCM number on a Raspberry Pi).
struct LineAddress {
  std::string chip;
  unsigned offset = 0;
};

/// The pull resistor asked of the kernel for an input line.
enum class Bias { as_is, pull_up, pull_down, disabled };

/// One edge the kernel saw on an input line. Levels are physical (1 = high at the pin).
struct EdgeEvent {
  int level = 0;  ///< the level after the edge: 1 rising, 0 falling
  /// The kernel's timestamp of the interrupt. Since Linux 5.7 it is CLOCK_MONOTONIC, the clock
  /// std::chrono::steady_clock reads, so it compares with SystemClock::monotonic() directly.
  std::chrono::steady_clock::time_point when;
};

/// An input line. Level reads and event reads never throw: a failure is an empty result,
/// and error() says why.
class InputLine {
 public:
  virtual ~InputLine() = default;
  /// The physical level now (1 high, 0 low), or nothing when the read failed.
  virtual std::optional<int> level() = 0;
  /// Readable (poll() POLLIN) while edge events are queued; -1 for a line requested without
  /// edge events.
  virtual int event_fd() const = 0;
  /// Takes the queued edge events, oldest first. Only call when event_fd() is readable: the
  /// read blocks otherwise.
  virtual std::vector<EdgeEvent> read_events() = 0;
  /// What the last failed call said.
  virtual std::string error() const = 0;
};

/// An output line driven high or low.
class OutputLine {
 public:
  virtual ~OutputLine() = default;
  /// Drives the pin (true = high); false when the kernel refused, error() says why.
  virtual bool set(bool high) = 0;
  virtual std::string error() const = 0;
};

/// A line handed out by LineOpener, or why it could not be had.
template <class Line>
struct Opened {
  std::unique_ptr<Line> line;
  std::string error;  ///< set when line is null
};

/// Requests lines from the kernel (or, in tests, from a fake). Each line is held until its
/// object is destroyed.
class LineOpener {
 public:
  virtual ~LineOpener() = default;
  /// An input; with `edges` it also reports both edges through event_fd().
  virtual Opened<InputLine> open_input(const LineAddress& address, Bias bias, bool edges) = 0;
  /// An output, driven to `initial` as it is requested.
  virtual Opened<OutputLine> open_output(const LineAddress& address, bool initial) = 0;
};

/// How a GPIO source requests its lines again after the kernel refused them (busy) or a line
/// failed: from a second, doubling up to half a minute.
inline constexpr ReconnectBackoff::Settings kLineReopenBackoff{
    .min = std::chrono::milliseconds(1000),
    .max = std::chrono::milliseconds(30000),
    .stable_after = std::chrono::milliseconds(10000)};

/// "gpiochip0 line 17", for messages.
inline std::string describe(const LineAddress& address) {
  return address.chip + " line " + std::to_string(address.offset);
}

}  // namespace edgegw::gpio
