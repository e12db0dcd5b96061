#include "gateway/uplink/bundler.h"

#include <spdlog/spdlog.h>

namespace edgegw {

namespace {
// How often the thread looks for work when the last step found none. A bundle closes at
// most this much later than max_latency; full bundles go out as soon as a step sees them.
constexpr auto kIdleTick = std::chrono::milliseconds(100);
constexpr std::size_t kMaxFetch = 1 << 17;
}  // namespace

Bundler::Bundler(SqliteBuffer& buffer, BundlePacker& packer, BundleSink& sink, const Clock& clock,
                 std::chrono::milliseconds max_latency, DeliveredHook on_delivered)
    : buffer_(buffer),
      packer_(packer),
      sink_(sink),
      clock_(clock),
      max_latency_(max_latency),
      on_delivered_(std::move(on_delivered)) {
  for (auto& bundle : buffer_.inflight()) resend_.push_back(std::move(bundle));
  if (!resend_.empty()) {
    spdlog::info("{} bundle(s) were in flight at start-up; sending them again", resend_.size());
  }
}

Bundler::~Bundler() { stop(); }

void Bundler::acknowledge(std::uint64_t bundle_seq) {
  // A failed delete leaves the bundle in flight: it is sent again after a restart and the
  // consumer drops the duplicate by (gateway_id, bundle_seq). Nothing is lost.
  if (!buffer_.ack(bundle_seq)) {
    spdlog::error("bundle {}: delivered, but its rows could not be deleted", bundle_seq);
  }
}

bool Bundler::resend_one() {
  InflightBundle& bundle = resend_.front();
  if (!sink_.deliver(bundle)) {
    std::lock_guard lock(mutex_);
    ++stats_.delivery_failures;
    return false;
  }
  acknowledge(bundle.bundle_seq);
  if (on_delivered_) on_delivered_(bundle, 0);
  {
    std::lock_guard lock(mutex_);
    ++stats_.bundles_resent;
    stats_.payload_bytes += bundle.payload.size();
  }
  resend_.pop_front();
  return true;
}

bool Bundler::step() {
  if (!resend_.empty()) return resend_one();

  auto unsent = buffer_.read_unsent(fetch_size_);
  if (unsent.empty()) {
    flush_ = false;
    return false;
  }
  std::vector<Reading> readings;
  readings.reserve(unsent.size());
  for (const auto& stored : unsent) readings.push_back(stored.reading);

  const std::uint64_t seq = buffer_.next_bundle_seq();
  PackedBundle packed = packer_.pack(seq, readings);
  if (packed.reading_count == 0) {
    spdlog::error("bundle budget is too small for a single reading; check bundle.unit_bytes");
    return false;
  }
  if (!packed.full && unsent.size() == fetch_size_ && fetch_size_ < kMaxFetch) {
    // Everything fetched fitted and more may be waiting: read more before closing the bundle.
    fetch_size_ *= 2;
    return true;
  }
  std::int64_t oldest_ts = readings.front().ts_ms;
  for (const auto& r : std::span(readings).first(packed.reading_count)) {
    oldest_ts = std::min(oldest_ts, r.ts_ms);
  }
  bool waited_enough = clock_.wall_ms() - oldest_ts >= max_latency_.count();
  if (!packed.full && !waited_enough && !flush_.exchange(false)) return false;

  InflightBundle bundle{.bundle_seq = seq,
                        .first_seq = unsent.front().seq,
                        .last_seq = unsent[packed.reading_count - 1].seq,
                        .payload = std::move(packed.payload)};
  if (!buffer_.record_inflight(bundle)) {
    // Not recorded means not sent: delivering it could leave a bundle the buffer knows
    // nothing of, and its seq might be used again.
    spdlog::error("bundle {}: cannot record it as in flight; will try again", seq);
    std::lock_guard lock(mutex_);
    ++stats_.delivery_failures;
    return false;
  }
  if (!sink_.deliver(bundle)) {
    std::lock_guard lock(mutex_);
    ++stats_.delivery_failures;
    resend_.push_back(std::move(bundle));
    return false;
  }
  acknowledge(bundle.bundle_seq);
  if (on_delivered_) on_delivered_(bundle, packed.reading_count);
  std::lock_guard lock(mutex_);
  ++stats_.bundles_delivered;
  stats_.readings_delivered += packed.reading_count;
  stats_.payload_bytes += bundle.payload.size();
  return true;
}

void Bundler::start() {
  std::lock_guard lock(mutex_);
  if (running_) return;
  running_ = true;
  thread_ = std::thread([this] { run(); });
}

void Bundler::stop() {
  {
    std::lock_guard lock(mutex_);
    if (!running_) return;
    running_ = false;
  }
  wake_.notify_all();
  thread_.join();
}

void Bundler::request_flush() {
  flush_ = true;
  wake_.notify_all();
}

void Bundler::run() {
  for (;;) {
    while (step()) {
      std::lock_guard lock(mutex_);
      if (!running_) return;
    }
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, kIdleTick, [this] { return !running_ || flush_.load(); });
    if (!running_) return;
  }
}

Bundler::Stats Bundler::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

}  // namespace edgegw
