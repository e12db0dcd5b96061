#include "adapters/adapter_runner.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <cerrno>

#include "gateway/model/thread_name.h"

namespace edgegw {
namespace {

constexpr std::chrono::milliseconds kRefusedRetry{5};

/// A poll timeout: rounded up to whole milliseconds (so a wait does not end just before its
/// deadline), capped at a day, negative for "forever".
int poll_ms(std::chrono::nanoseconds timeout) {
  if (timeout < std::chrono::nanoseconds::zero()) return -1;
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(timeout).count();
  return static_cast<int>(std::min<std::int64_t>(ms, 24 * 3600 * 1000));
}

}  // namespace

EventStopSignal::EventStopSignal() : fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}

EventStopSignal::~EventStopSignal() {
  if (fd_ >= 0) ::close(fd_);
}

void EventStopSignal::request_stop() {
  stopping_.store(true, std::memory_order_release);
  const std::uint64_t one = 1;
  [[maybe_unused]] auto written = ::write(fd_, &one, sizeof one);
}

void EventStopSignal::rearm() {
  std::uint64_t drained = 0;
  [[maybe_unused]] auto read = ::read(fd_, &drained, sizeof drained);
  stopping_.store(false, std::memory_order_release);
}

void EventStopSignal::wait_fds(int fd, std::chrono::nanoseconds timeout) const {
  pollfd fds[2] = {{.fd = fd_, .events = POLLIN, .revents = 0},
                   {.fd = fd, .events = POLLIN, .revents = 0}};
  const nfds_t count = fd >= 0 ? 2 : 1;
  // EINTR (a signal to the process) ends the wait early; the caller's loop just reads sooner.
  ::poll(fds, count, poll_ms(timeout));
}

bool EventStopSignal::sleep_for(std::chrono::nanoseconds period) const {
  if (stopping()) return false;
  if (period > std::chrono::nanoseconds::zero()) wait_fds(-1, period);
  return !stopping();
}

bool EventStopSignal::wait(const ReadDue& due, const Clock& clock) const {
  if (stopping()) return false;
  std::chrono::nanoseconds timeout{-1};
  if (due.at) timeout = std::max(std::chrono::nanoseconds::zero(), *due.at - clock.monotonic());
  if (!due.at && due.fd < 0) timeout = std::chrono::nanoseconds::zero();
  // One wait, then the read: with a manual clock in tests the deadline may never come by the
  // clock, and the source reads what its clock says is due anyway.
  if (timeout != std::chrono::nanoseconds::zero()) wait_fds(due.fd, timeout);
  return !stopping();
}

AdapterRunner::AdapterRunner(std::unique_ptr<Source> source, Clock& clock)
    : source_(std::move(source)), clock_(clock) {
  assert(source_);
}

AdapterRunner::~AdapterRunner() {
  stop();
}

void AdapterRunner::start(ReadingSink& sink, std::vector<SeriesId> ids) {
  assert(!thread_.joinable() && "start() called twice");
  assert(ids.size() == source_->series().size());
  source_->bind(std::move(ids));
  stop_.rearm();
  thread_ = std::thread([this, &sink] {
    name_this_thread("in:" + name());
    run(sink);
  });
}

void AdapterRunner::stop() {
  stop_.request_stop();
  if (thread_.joinable()) thread_.join();
  set_up(false);
}

AdapterHealth AdapterRunner::health() const {
  std::lock_guard lock(health_mutex_);
  return health_;
}

void AdapterRunner::set_up(bool up) {
  std::lock_guard lock(health_mutex_);
  health_.up = up;
}

void AdapterRunner::record_error(std::string message) {
  std::lock_guard lock(health_mutex_);
  health_.up = false;
  ++health_.errors;
  health_.last_error = std::move(message);
}

void AdapterRunner::record(const SourceRead& result, bool produced) {
  std::lock_guard lock(health_mutex_);
  health_.errors += result.errors.size();
  if (!result.errors.empty()) health_.last_error = result.errors.back();
  // A read that failed in part (one Modbus block of several) still has the source up.
  health_.up = !result.lost && (produced || result.errors.empty());
}

bool AdapterRunner::deliver(ReadingSink& sink, std::vector<Reading>& batch) {
  while (!batch.empty()) {
    if (sink.offer(batch)) {
      delivered_readings_.fetch_add(batch.size(), std::memory_order_relaxed);
      batch.clear();
    } else {
      refused_offers_.fetch_add(1, std::memory_order_relaxed);
      if (!stop_.sleep_for(kRefusedRetry)) return false;
    }
  }
  return true;
}

void AdapterRunner::retune(const std::map<std::string, OptionValue>& values) {
  std::lock_guard lock(retune_mutex_);
  for (const auto& [key, value] : values) retune_[key] = value;
}

void AdapterRunner::apply_retune() {
  std::map<std::string, OptionValue> values;
  {
    std::lock_guard lock(retune_mutex_);
    values.swap(retune_);
  }
  if (!values.empty()) source_->retune(values);
}

void AdapterRunner::run(ReadingSink& sink) {
  ReconnectBackoff backoff(source_->reopen_backoff(), clock_);
  std::vector<Reading> batch;
  bool open = false;
  while (!stop_.stopping()) {
    if (!open) {
      std::string error = source_->open();
      if (!error.empty()) {
        record_error(std::move(error));
        if (!stop_.sleep_for(backoff.next_delay())) break;
        continue;
      }
      open = true;
      backoff.connected();
    }

    apply_retune();
    const auto started = clock_.monotonic();
    const SourceRead result = source_->read(batch, stop_);
    reads_.fetch_add(1, std::memory_order_relaxed);
    record(result, !batch.empty());
    if (!deliver(sink, batch)) break;

    if (result.lost) {
      source_->close();
      open = false;
      backoff.disconnected();
      if (!stop_.sleep_for(backoff.next_delay())) break;
      continue;
    }
    if (result.more) continue;
    if (!stop_.wait(source_->next_read(started), clock_)) break;
  }
  if (open) source_->close();
  set_up(false);
}

}  // namespace edgegw
