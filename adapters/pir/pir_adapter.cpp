#include "adapters/pir/pir_adapter.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <cstring>

namespace edgegw {
namespace {

constexpr int kRefusedRetryMs = 5;
constexpr int kReopenFirstMs = 1000;
constexpr int kReopenMaxMs = 30000;

/// Milliseconds from now until `deadline`, rounded up so poll() does not wake just before it.
int poll_timeout(std::optional<pir::TimePoint> deadline, pir::TimePoint now) {
  if (!deadline) return -1;
  if (*deadline <= now) return 0;
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline - now).count();
  return static_cast<int>(std::min<std::int64_t>(left, 24 * 3600 * 1000));
}

}  // namespace

PirAdapter::PirAdapter(PirOptions options, Clock& clock, std::unique_ptr<gpio::LineOpener> lines)
    : options_(std::move(options)),
      clock_(clock),
      lines_(std::move(lines)),
      stop_fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}

PirAdapter::~PirAdapter() {
  stop();
  if (stop_fd_ >= 0) ::close(stop_fd_);
}

std::vector<SeriesSpec> PirAdapter::series() const {
  return {{.name = options_.name + ".motion", .unit = "", .resolution = 0}};
}

void PirAdapter::start(ReadingSink& sink, std::vector<SeriesId> ids) {
  assert(!thread_.joinable() && "start() called twice");
  assert(ids.size() == 1);
  std::uint64_t drained = 0;
  [[maybe_unused]] auto read = ::read(stop_fd_, &drained, sizeof drained);
  stopping_ = false;
  thread_ = std::thread([this, &sink, id = ids.at(0)] { run(sink, id); });
}

void PirAdapter::stop() {
  stopping_ = true;
  const std::uint64_t one = 1;
  [[maybe_unused]] auto written = ::write(stop_fd_, &one, sizeof one);
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mutex_);
  health_.up = false;
}

AdapterHealth PirAdapter::health() const {
  std::lock_guard lock(mutex_);
  return health_;
}

void PirAdapter::record_error(std::string message) {
  std::lock_guard lock(mutex_);
  health_.up = false;
  ++health_.errors;
  health_.last_error = std::move(message);
}

bool PirAdapter::wait_for_stop(int timeout_ms) const {
  pollfd stop{.fd = stop_fd_, .events = POLLIN, .revents = 0};
  while (::poll(&stop, 1, timeout_ms) < 0 && errno == EINTR) {
  }
  return !stopping_;
}

void PirAdapter::deliver(ReadingSink& sink, SeriesId id,
                         const std::vector<pir::MotionReport>& reports) {
  if (reports.empty()) return;
  std::vector<Reading> batch;
  // Kernel times are monotonic; the reading's time is the wall time that was then.
  const auto mono_now = clock_.monotonic();
  const auto wall_now = clock_.wall_ms();
  for (const auto& report : reports) {
    const auto ago = std::chrono::duration_cast<std::chrono::milliseconds>(mono_now - report.at);
    batch.push_back({.series = id,
                     .ts_ms = wall_now - std::max<std::int64_t>(0, ago.count()),
                     .value = report.motion ? 1.0 : 0.0});
  }
  while (!sink.offer(batch)) {
    refused_offers_.fetch_add(1, std::memory_order_relaxed);
    if (!wait_for_stop(kRefusedRetryMs)) return;
  }
}

void PirAdapter::run(ReadingSink& sink, SeriesId id) {
  const gpio::LineAddress address{options_.chip, static_cast<unsigned>(options_.line)};
  int reopen_wait_ms = kReopenFirstMs;
  while (!stopping_) {
    auto opened = lines_->open_input(address, parse_bias(options_.bias), true);
    if (!opened.line) {
      record_error(opened.error);
      if (!wait_for_stop(reopen_wait_ms)) return;
      reopen_wait_ms = std::min(reopen_wait_ms * 2, kReopenMaxMs);
      continue;
    }
    gpio::InputLine& line = *opened.line;
    const auto first = line.level();
    if (!first || line.event_fd() < 0) {
      record_error(describe(address) + ": " + line.error());
      if (!wait_for_stop(reopen_wait_ms)) return;
      reopen_wait_ms = std::min(reopen_wait_ms * 2, kReopenMaxMs);
      continue;
    }
    reopen_wait_ms = kReopenFirstMs;
    pir::MotionDebouncer debouncer(
        std::chrono::milliseconds(options_.debounce_ms),
        std::chrono::milliseconds(static_cast<std::int64_t>(options_.heartbeat_s * 1000.0)),
        options_.active_low);
    deliver(sink, id, {debouncer.begin(*first, clock_.monotonic())});
    {
      std::lock_guard lock(mutex_);
      health_.up = true;
    }

    bool line_ok = true;
    while (line_ok && !stopping_) {
      pollfd fds[2] = {{.fd = line.event_fd(), .events = POLLIN, .revents = 0},
                       {.fd = stop_fd_, .events = POLLIN, .revents = 0}};
      const int ready = ::poll(fds, 2, poll_timeout(debouncer.next_deadline(), clock_.monotonic()));
      if (ready < 0) {
        if (errno == EINTR) continue;
        record_error(std::string("poll: ") + std::strerror(errno));
        line_ok = false;
        break;
      }
      if (fds[1].revents != 0) break;
      if ((fds[0].revents & (POLLERR | POLLHUP | POLLNVAL)) != 0) {
        record_error(describe(address) + ": the event file descriptor failed");
        line_ok = false;
        break;
      }
      if ((fds[0].revents & POLLIN) != 0) {
        for (const auto& event : line.read_events()) debouncer.edge(event);
      } else if (auto level = line.level()) {
        // Woken by a deadline: look at the line too, in case the kernel's queue overflowed.
        debouncer.confirm(*level, clock_.monotonic());
      }
      deliver(sink, id, debouncer.advance(clock_.monotonic()));
    }
    if (!line_ok && !wait_for_stop(reopen_wait_ms)) return;
  }
}

}  // namespace edgegw
