#include "adapters/modbus/modbus_adapter.h"

#include <cassert>

namespace edgegw {
namespace {

constexpr std::chrono::milliseconds kRefusedRetry{5};

}  // namespace

ModbusAdapter::ModbusAdapter(ModbusOptions options, Clock& clock,
                             std::unique_ptr<modbus::ModbusClient> client)
    : options_(std::move(options)), clock_(clock), client_(std::move(client)) {}

ModbusAdapter::~ModbusAdapter() {
  stop();
}

std::vector<SeriesSpec> ModbusAdapter::series() const {
  std::vector<SeriesSpec> specs;
  specs.reserve(options_.registers.size());
  for (const auto& point : options_.registers) {
    specs.push_back({.name = options_.name + "." + point.name, .unit = point.unit});
  }
  return specs;
}

void ModbusAdapter::start(ReadingSink& sink, std::vector<SeriesId> ids) {
  assert(!thread_.joinable() && "start() called twice");
  {
    std::lock_guard lock(mutex_);
    poller_.emplace(options_, *client_, clock_, std::move(ids));
    stopping_ = false;
  }
  running_ = true;
  thread_ = std::thread([this, &sink] { run(sink); });
}

void ModbusAdapter::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (client_) client_->close();
  running_ = false;
}

AdapterHealth ModbusAdapter::health() const {
  AdapterHealth health;
  {
    std::lock_guard lock(mutex_);
    if (poller_) health = poller_->health();
  }
  health.up = health.up && running_.load(std::memory_order_relaxed);
  return health;
}

bool ModbusAdapter::pause_until(std::chrono::steady_clock::time_point until) {
  const auto left = until - clock_.monotonic();
  if (left <= std::chrono::steady_clock::duration::zero()) {
    std::lock_guard lock(mutex_);
    return !stopping_;
  }
  std::unique_lock lock(mutex_);
  return !wake_.wait_for(lock, left, [this] { return stopping_; });
}

bool ModbusAdapter::pause(std::chrono::milliseconds period) {
  std::unique_lock lock(mutex_);
  return !wake_.wait_for(lock, period, [this] { return stopping_; });
}

void ModbusAdapter::run(ReadingSink& sink) {
  std::vector<Reading> batch;
  batch.reserve(options_.registers.size());
  for (;;) {
    const auto next = poller_->poll(batch);
    polls_.fetch_add(1, std::memory_order_relaxed);
    while (!batch.empty()) {
      if (sink.offer(batch)) {
        delivered_readings_.fetch_add(batch.size(), std::memory_order_relaxed);
        batch.clear();
      } else {
        refused_offers_.fetch_add(1, std::memory_order_relaxed);
        if (!pause(kRefusedRetry)) return;
      }
    }
    if (!pause_until(next)) return;
  }
}

}  // namespace edgegw
