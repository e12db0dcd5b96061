#include "adapters/simulator/simulator_adapter.h"

#include <cassert>
#include <cmath>

namespace edgegw {
namespace {

// Real-time pacing of the adapter thread. The generator catches up on whatever the clock says
// is due, so these only set latency and CPU use, never what is produced.
constexpr std::chrono::milliseconds kPollPeriod{20};
constexpr std::chrono::milliseconds kRefusedRetry{5};

}  // namespace

SimulatorAdapter::SimulatorAdapter(SimulatorOptions options, Clock& clock)
    : options_(std::move(options)), clock_(clock) {}

SimulatorAdapter::~SimulatorAdapter() {
  stop();
}

void SimulatorAdapter::start(ReadingSink& sink, std::vector<SeriesId> ids) {
  assert(!thread_.joinable() && "start() called twice");
  generator_.emplace(options_, clock_.wall_ms(), std::move(ids));
  {
    std::lock_guard lock(mutex_);
    stopping_ = false;
  }
  thread_ = std::thread([this, &sink] { run(sink); });
  running_ = true;
}

void SimulatorAdapter::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  running_ = false;
}

bool SimulatorAdapter::pause(std::chrono::milliseconds period) {
  std::unique_lock lock(mutex_);
  return !wake_.wait_for(lock, period, [this] { return stopping_; });
}

void SimulatorAdapter::run(ReadingSink& sink) {
  // Samples land up to jitter_ms after their schedule; generating only up to now - jitter keeps
  // every timestamp in the past.
  const auto lag_ms = static_cast<std::int64_t>(std::ceil(options_.jitter_ms));
  const auto batch_max = static_cast<std::size_t>(options_.batch_max);
  std::vector<Reading> batch;
  batch.reserve(batch_max);
  for (;;) {
    if (batch.empty()) {
      generator_->generate_until(clock_.wall_ms() - lag_ms, batch, batch_max);
      if (batch.empty()) {
        if (!pause(kPollPeriod)) return;
        continue;
      }
    }
    if (sink.offer(batch)) {
      delivered_readings_.fetch_add(batch.size(), std::memory_order_relaxed);
      batch.clear();
      std::lock_guard lock(mutex_);
      if (stopping_) return;
    } else {
      refused_offers_.fetch_add(1, std::memory_order_relaxed);
      if (!pause(kRefusedRetry)) return;
    }
  }
}

}  // namespace edgegw
