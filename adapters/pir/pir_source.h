#pragma once

#include <memory>
#include <optional>

#include "adapters/gpio/gpio_line.h"
#include "adapters/pir/motion_debouncer.h"
#include "adapters/pir/pir_options.h"
#include "adapters/source.h"
#include "gateway/model/clock.h"

namespace edgegw {

/// A PIR motion sensor on one GPIO line, an event source: the runner sleeps in poll() on the
/// line's edge-event fd, with a timeout only for the next debounce deadline or heartbeat, and
/// each read emits "<name>.motion" (1/0) for every debounced change, stamped with the kernel's
/// edge time, and the heartbeat. A line that fails closes the source, so the runner requests
/// it again.
class PirSource final : public Source {
 public:
  /// `options` must have passed parse_pir_options. `clock` must be the system clock's domain
  /// (the kernel stamps edges with CLOCK_MONOTONIC) or, in tests, the fake line's.
  PirSource(PirOptions options, Clock& clock, std::unique_ptr<gpio::LineOpener> lines);

  const std::string& name() const override { return options_.name; }
  std::vector<SeriesSpec> series() const override;
  void bind(std::vector<SeriesId> ids) override { id_ = ids.at(0); }
  ReconnectBackoff::Settings reopen_backoff() const override { return gpio::kLineReopenBackoff; }
  std::string open() override;
  void close() override;
  SourceRead read(std::vector<Reading>& out, const StopSignal& stop) override;
  ReadDue next_read(std::chrono::steady_clock::time_point started) const override;

 private:
  void append(const std::vector<pir::MotionReport>& reports, std::vector<Reading>& out) const;

  PirOptions options_;
  Clock& clock_;
  std::unique_ptr<gpio::LineOpener> lines_;
  gpio::LineAddress address_;
  SeriesId id_ = 0;
  std::unique_ptr<gpio::InputLine> line_;
  /// Set by the first read after open, from the level the line had then.
  std::optional<pir::MotionDebouncer> debouncer_;
};

}  // namespace edgegw
