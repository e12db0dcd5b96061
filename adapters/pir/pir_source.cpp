#include "adapters/pir/pir_source.h"

#include <poll.h>

#include <algorithm>

namespace edgegw {

PirSource::PirSource(PirOptions options, Clock& clock, std::unique_ptr<gpio::LineOpener> lines)
    : options_(std::move(options)),
      clock_(clock),
      lines_(std::move(lines)),
      address_{options_.chip, static_cast<unsigned>(options_.line)} {}

std::vector<SeriesSpec> PirSource::series() const {
  return {{.name = options_.name + ".motion", .unit = "", .resolution = 0}};
}

std::string PirSource::open() {
  auto opened = lines_->open_input(address_, parse_bias(options_.bias), true);
  if (!opened.line) return opened.error;
  if (opened.line->event_fd() < 0) return describe(address_) + ": no edge events";
  line_ = std::move(opened.line);
  debouncer_.reset();
  return {};
}

void PirSource::close() {
  debouncer_.reset();
  line_.reset();
}

void PirSource::append(const std::vector<pir::MotionReport>& reports,
                       std::vector<Reading>& out) const {
  // Kernel times are monotonic; the reading's time is the wall time that was then.
  const auto mono_now = clock_.monotonic();
  const auto wall_now = clock_.wall_ms();
  for (const auto& report : reports) {
    const auto ago = std::chrono::duration_cast<std::chrono::milliseconds>(mono_now - report.at);
    out.push_back({.series = id_,
                   .ts_ms = wall_now - std::max<std::int64_t>(0, ago.count()),
                   .value = report.motion ? 1.0 : 0.0});
  }
}

SourceRead PirSource::read(std::vector<Reading>& out, const StopSignal&) {
  if (!debouncer_) {
    const auto first = line_->level();
    if (!first) return {.errors = {describe(address_) + ": " + line_->error()}, .lost = true};
    debouncer_.emplace(
        std::chrono::milliseconds(options_.debounce_ms),
        std::chrono::milliseconds(static_cast<std::int64_t>(options_.heartbeat_s * 1000.0)),
        options_.active_low);
    append({debouncer_->begin(*first, clock_.monotonic())}, out);
    return {};
  }
  // The runner woke for the fd or for a deadline; a zero-timeout poll says which.
  pollfd events{.fd = line_->event_fd(), .events = POLLIN, .revents = 0};
  ::poll(&events, 1, 0);
  if ((events.revents & (POLLERR | POLLHUP | POLLNVAL)) != 0) {
    return {.errors = {describe(address_) + ": the event file descriptor failed"}, .lost = true};
  }
  if ((events.revents & POLLIN) != 0) {
    for (const auto& event : line_->read_events()) debouncer_->edge(event);
  } else if (auto level = line_->level()) {
    // Woken by a deadline: look at the line too, in case the kernel's queue overflowed.
    debouncer_->confirm(*level, clock_.monotonic());
  }
  append(debouncer_->advance(clock_.monotonic()), out);
  return {};
}

ReadDue PirSource::next_read(std::chrono::steady_clock::time_point) const {
  return {.at = debouncer_ ? debouncer_->next_deadline() : std::nullopt, .fd = line_->event_fd()};
}

}  // namespace edgegw
