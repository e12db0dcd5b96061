#include "storage/sqlite_buffer.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <future>
#include <limits>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include "gateway/model/thread_name.h"
#include "storage/buffer_store.h"
#include "storage/unsent_reader.h"

namespace edgegw {
namespace {

constexpr auto kReserveCheckInterval = std::chrono::seconds(1);

void validate(const StorageOptions& options) {
  auto require = [](bool ok, const char* message) {
    if (!ok) throw std::invalid_argument(std::string("storage: ") + message);
  };
  require(!options.path.empty(), "path must not be empty");
  require(options.synchronous == "full" || options.synchronous == "normal",
          "synchronous must be \"full\" or \"normal\"");
  require(options.max_bytes >= 0, "max_bytes must be >= 0");
  require(options.max_age_s >= 0, "max_age_s must be >= 0");
  require(options.batch_max_readings >= 1, "batch_max_readings must be >= 1");
  require(options.flush_interval_ms >= 0, "flush_interval_ms must be >= 0");
  require(options.adapter_flush_interval_ms >= 0, "adapter_flush_interval_ms must be >= 0");
  require(options.queue_max_readings >= 1, "queue_max_readings must be >= 1");
  require(options.retention_interval_s >= 1, "retention_interval_s must be >= 1");
}

}  // namespace

std::string_view to_string(AppendStatus status) {
  switch (status) {
    case AppendStatus::accepted:
      return "accepted";
    case AppendStatus::storage_full:
      return "storage_full";
    case AppendStatus::failed:
      return "failed";
  }
  return "unknown";
}

std::unique_ptr<SqliteBuffer> SqliteBuffer::open(const StorageOptions& options, Clock& clock) {
  validate(options);
  return std::unique_ptr<SqliteBuffer>(new SqliteBuffer(options, clock));
}

SqliteBuffer::SqliteBuffer(const StorageOptions& options, Clock& clock)
    : options_(options),
      store_(std::make_unique<BufferStore>(options, clock, catalog_)),
      committed_next_seq_(store_->next_seq()),
      reader_(std::make_unique<UnsentReader>(options.path)),
      reader_thread_(std::make_unique<TaskThread>("storage-read")) {
  stats_ = store_->stats();
  next_bundle_seq_ = store_->next_bundle_seq();
  thread_ = std::thread([this] {
    name_this_thread("storage");
    run();
  });
}

SqliteBuffer::~SqliteBuffer() {
  reader_thread_.reset();  // runs the reads still posted, while the buffer is whole
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  queue_space_.notify_all();
  thread_.join();
}

void SqliteBuffer::run() {
  using std::chrono::steady_clock;
  const auto retention_interval = std::chrono::seconds(options_.retention_interval_s);
  // Flush latency and the retention period are real time on purpose: a condition variable
  // cannot wait on an injected clock. What gets dropped by age is decided by the Clock.
  auto next_retention = steady_clock::now() + retention_interval;

  // After a commit that held an adapter's batch, the next is expected within
  // adapter_flush_interval_ms: the thread sleeps that long and then commits whatever is queued,
  // so adapters' appends join the queue without waking it, one wake-up per commit at low rates.
  const auto adapter_interval = std::chrono::milliseconds(options_.adapter_flush_interval_ms);
  bool expect_adapters = false;

  std::unique_lock lock(mutex_);
  for (;;) {
    // While the full-disk reserve is not held, look once a second whether it can be again,
    // even when nothing is written.
    auto wake_at = reserve_missing_
                       ? std::min(next_retention, steady_clock::now() + kReserveCheckInterval)
                       : next_retention;
    if (appends_.empty() && expect_adapters) {
      wake_at = std::min(wake_at, steady_clock::now() + adapter_interval);
    }
    bool woke_at_deadline = false;
    auto group_due = [&] {
      if (appends_.empty()) return false;
      return stopping_ || flush_now_ || woke_at_deadline ||
             queued_readings_ >= static_cast<std::size_t>(options_.batch_max_readings) ||
             steady_clock::now() >= commit_due_;
    };
    while (!stopping_ && tasks_.empty() && !group_due()) {
      if (!appends_.empty()) wake_at = std::min(wake_at, commit_due_);
      if (steady_clock::now() >= wake_at) {
        woke_at_deadline = true;
        break;
      }
      asleep_until_ = wake_at;
      wake_.wait_until(lock, wake_at);
      asleep_until_ = steady_clock::time_point::min();
      storage_wakeups_.fetch_add(1, std::memory_order_relaxed);
    }

    std::deque<std::function<void()>> tasks;
    tasks.swap(tasks_);
    std::vector<PendingAppend> group;
    if (group_due()) {
      std::size_t readings = 0;
      while (!appends_.empty() &&
             (group.empty() || readings + appends_.front().readings.size() <=
                                   static_cast<std::size_t>(options_.batch_max_readings))) {
        readings += appends_.front().readings.size();
        group.push_back(std::move(appends_.front()));
        appends_.pop_front();
      }
      queued_readings_ -= readings;
      expect_adapters = std::any_of(group.begin(), group.end(),
                                    [](const PendingAppend& p) { return p.from_adapter; });
      commit_due_ = steady_clock::time_point::max();
      for (const auto& pending : appends_) commit_due_ = std::min(commit_due_, pending.commit_by);
      if (appends_.empty()) flush_now_ = false;
      queue_space_.notify_all();
    } else if (woke_at_deadline) {
      expect_adapters = false;  // an interval passed with nothing from them: sleep long again
    }
    lock.unlock();

    // Blocking callers go first: they are few, short and someone is waiting on each.
    for (auto& task : tasks) task();
    if (!group.empty()) commit_group(group);
    if (store_->reserve_missing()) {
      try {
        store_->tend_reserve();
      } catch (const StorageError& error) {
        spdlog::error("storage: tending the full-disk reserve failed: {}", error.what());
      }
      publish_stats();
    }
    reserve_missing_ = store_->reserve_missing();
    if (steady_clock::now() >= next_retention) {
      try {
        store_->enforce_retention();
      } catch (const StorageError& error) {
        spdlog::error("storage: retention failed: {}", error.what());
      }
      publish_stats();
      next_retention = steady_clock::now() + retention_interval;
    }

    lock.lock();
    if (stopping_ && tasks_.empty() && appends_.empty()) return;
  }
}

void SqliteBuffer::commit_group(std::vector<PendingAppend>& group) {
  std::vector<const std::vector<Reading>*> batches;
  batches.reserve(group.size());
  for (const auto& pending : group) batches.push_back(&pending.readings);
  std::vector<BufferStore::SeqRange> ranges;
  AppendStatus status = store_->append(batches, ranges);
  committed_next_seq_ = store_->next_seq();
  append_commits_.fetch_add(1, std::memory_order_relaxed);
  // Retention before the callbacks, so a caller that saw "accepted" also sees the size limit
  // already enforced in stats().
  if (status == AppendStatus::accepted) {
    try {
      store_->enforce_max_bytes();
    } catch (const StorageError& error) {
      spdlog::error("storage: enforcing max_bytes failed: {}", error.what());
    }
  }
  publish_stats();
  for (std::size_t i = 0; i < group.size(); ++i) {
    auto range = status == AppendStatus::accepted ? ranges[i] : BufferStore::SeqRange{0, -1};
    if (status == AppendStatus::accepted) notify_committed(range.first, group[i].readings);
    try {
      group[i].done(status, range.first, range.last, group[i].readings);
    } catch (const std::exception& error) {
      // A throwing callback must not take the storage thread (and every later commit) with it.
      spdlog::error("storage: append callback threw: {}", error.what());
    }
  }
}

void SqliteBuffer::notify_committed(std::int64_t first_seq, std::span<const Reading> batch) {
  if (!commit_listener_ || batch.empty()) return;
  try {
    commit_listener_(first_seq, batch);
  } catch (const std::exception& error) {
    spdlog::error("storage: commit listener threw: {}", error.what());
  }
}

void SqliteBuffer::publish_stats() {
  BufferStats stats = store_->stats();
  std::lock_guard lock(stats_mutex_);
  stats_ = std::move(stats);
  next_bundle_seq_ = store_->next_bundle_seq();
}

template <class Work>
auto SqliteBuffer::call(Work work) -> decltype(work()) {
  using Result = decltype(work());
  // Publishing inside the task, before the caller wakes, means stats() already reflects the
  // call when it returns.
  auto run_and_publish = [this, work = std::move(work)]() mutable -> Result {
    struct Publish {
      SqliteBuffer* buffer;
      ~Publish() { buffer->publish_stats(); }
    } publish{this};
    return work();
  };
  if (on_storage_thread()) return run_and_publish();
  auto task = std::make_shared<std::packaged_task<Result()>>(std::move(run_and_publish));
  auto result = task->get_future();
  {
    std::lock_guard lock(mutex_);
    tasks_.emplace_back([task] { (*task)(); });
  }
  wake_.notify_one();
  return result.get();
}

void SqliteBuffer::post(std::function<void()> task) {
  {
    std::lock_guard lock(mutex_);
    tasks_.emplace_back([this, task = std::move(task)] {
      try {
        task();
      } catch (const std::exception& error) {
        spdlog::error("storage: posted task threw: {}", error.what());
      }
      publish_stats();
    });
  }
  wake_.notify_one();
}

SeriesId SqliteBuffer::register_series(const SeriesSpec& spec) {
  if (auto known = catalog_.find(spec.name); known && known->spec == spec) return known->id;
  return call([this, spec] {
    SeriesId id = store_->register_series(spec);
    catalog_.insert({.id = id, .spec = spec});
    return id;
  });
}

bool SqliteBuffer::queue(std::vector<Reading> batch, AppendCallback done, Waiter waiter) {
  const auto wait = std::chrono::milliseconds(
      waiter == Waiter::nobody ? options_.adapter_flush_interval_ms : options_.flush_interval_ms);
  const auto commit_by = std::chrono::steady_clock::now() + wait;
  const bool sooner =
      commit_by < asleep_until_ ||
      queued_readings_ + batch.size() >= static_cast<std::size_t>(options_.batch_max_readings);
  commit_due_ = std::min(commit_due_, commit_by);
  queued_readings_ += batch.size();
  appends_.push_back({std::move(batch), std::move(done), commit_by, waiter != Waiter::client});
  return sooner;
}

bool SqliteBuffer::append(std::vector<Reading> batch, AppendCallback done, Waiter waiter) {
  bool sooner = false;
  {
    std::lock_guard lock(mutex_);
    if (stopping_ ||
        queued_readings_ + batch.size() > static_cast<std::size_t>(options_.queue_max_readings)) {
      return false;
    }
    sooner = queue(std::move(batch), std::move(done), waiter);
  }
  // A batch that changes nothing about when the next commit is due need not wake the thread:
  // at low rates most adapter batches just join the queue.
  if (sooner) wake_.notify_one();
  return true;
}

void SqliteBuffer::wait_for_queued_appends() {
  // Appends commit in queue order, so an empty one completes after all before it; flushing
  // commits them now rather than after flush_interval_ms.
  append_sync({}, /*flush_now=*/true);
}

AppendStatus SqliteBuffer::append_sync(std::vector<Reading> batch) {
  return append_sync(std::move(batch), /*flush_now=*/false);
}

AppendStatus SqliteBuffer::append_sync(std::vector<Reading> batch, bool flush_now) {
  if (on_storage_thread()) {
    std::vector<BufferStore::SeqRange> ranges;
    AppendStatus status = store_->append({&batch}, ranges);
    committed_next_seq_ = store_->next_seq();
    publish_stats();
    if (status == AppendStatus::accepted) notify_committed(ranges.front().first, batch);
    return status;
  }
  if (batch.size() > static_cast<std::size_t>(options_.queue_max_readings)) {
    spdlog::error("storage: a batch of {} readings can never fit the queue of {}", batch.size(),
                  options_.queue_max_readings);
    return AppendStatus::failed;
  }
  std::promise<AppendStatus> promise;
  auto result = promise.get_future();
  auto done = [&promise](AppendStatus status, std::int64_t, std::int64_t,
                         std::span<const Reading>) { promise.set_value(status); };
  {
    std::unique_lock lock(mutex_);
    queue_space_.wait(lock, [&] {
      return stopping_ || queued_readings_ + batch.size() <=
                              static_cast<std::size_t>(options_.queue_max_readings);
    });
    if (stopping_) return AppendStatus::failed;
    queue(std::move(batch), std::move(done), Waiter::client);
    flush_now_ = flush_now_ || flush_now;
  }
  wake_.notify_one();
  return result.get();
}

void SqliteBuffer::set_commit_listener(CommitListener listener) {
  call([this, &listener] { commit_listener_ = std::move(listener); });
}

std::vector<StoredReading> SqliteBuffer::read_unsent(std::size_t max) {
  return read_unsent_after(std::numeric_limits<std::int64_t>::min(), max).rows;
}

UnsentRows SqliteBuffer::read_unsent_after(std::int64_t after_seq, std::size_t max) {
  std::lock_guard lock(reader_mutex_);
  // The bound is taken before the read's snapshot, so every row below it is in the snapshot.
  return reader_->read(after_seq, committed_next_seq_.load(), max);
}

void SqliteBuffer::post_read(std::function<void()> task) {
  reader_thread_->post([task = std::move(task)] {
    try {
      task();
    } catch (const std::exception& error) {
      spdlog::error("storage: posted read threw: {}", error.what());
    }
  });
}

std::uint64_t SqliteBuffer::next_bundle_seq() const {
  std::lock_guard lock(stats_mutex_);
  return next_bundle_seq_;
}

RecordStatus SqliteBuffer::record_inflight(const InflightBundle& bundle, std::size_t rows) {
  return call([this, &bundle, rows] { return store_->record_inflight(bundle, rows); });
}

RecordOutcome SqliteBuffer::record_inflight(std::span<const InflightBundle> bundles,
                                            std::span<const std::size_t> rows) {
  return call([this, bundles, rows] { return store_->record_inflight(bundles, rows); });
}

std::vector<InflightBundle> SqliteBuffer::inflight() {
  return call([this] { return store_->inflight(); });
}

bool SqliteBuffer::ack(std::uint64_t bundle_seq) {
  return ack(std::span<const std::uint64_t>(&bundle_seq, 1)) == 1;
}

std::size_t SqliteBuffer::ack(std::span<const std::uint64_t> bundle_seqs) {
  return call([this, bundle_seqs] { return store_->ack(bundle_seqs); });
}

std::int64_t SqliteBuffer::add_alarm(Alarm alarm) {
  return call([this, &alarm] { return store_->add_alarm(alarm); });
}

std::vector<Alarm> SqliteBuffer::pending_alarms(std::size_t max) {
  return call([this, max] { return store_->pending_alarms(max); });
}

bool SqliteBuffer::ack_alarm(std::int64_t id) {
  return call([this, id] { return store_->ack_alarm(id); });
}

std::optional<std::string> SqliteBuffer::setting(const std::string& name) {
  return call([this, &name] { return store_->setting(name); });
}

bool SqliteBuffer::store_setting(const std::string& name, const std::string& value) {
  return call([this, &name, &value] { return store_->store_setting(name, value); });
}

BufferStats SqliteBuffer::stats() const {
  std::lock_guard lock(stats_mutex_);
  BufferStats stats = stats_;
  stats.append_commits = append_commits_.load(std::memory_order_relaxed);
  stats.storage_wakeups = storage_wakeups_.load(std::memory_order_relaxed);
  return stats;
}

void SqliteBuffer::run_retention_now() {
  call([this] { store_->enforce_retention(); });
}

}  // namespace edgegw
