#include "gateway/uplink/uplink.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json.hpp>
#include <limits>
#include <type_traits>

#include "gateway/model/thread_name.h"

namespace edgegw {

namespace {

using namespace std::chrono_literals;

// How long the thread sleeps when no deadline is pending: every event (a commit, an ack, a
// storage result, an alarm, a flush) wakes it sooner, so this only bounds a missed wake-up.
constexpr std::chrono::nanoseconds kIdleWait = 5s;
// Rows per backlog read: about the bundles kept ready, within these bounds.
constexpr std::size_t kMinRead = 1024;
constexpr std::size_t kMaxRead = std::size_t{1} << 17;
// How long a storage write refused for a full disk (a record, a delete) waits to be tried again.
constexpr std::chrono::nanoseconds kStorageRetry = 1s;
// How long a lane waits after a publish failed without a refusal (the broker was busy or over
// quota, or the client gave up on it while the connection held): long enough not to spin.
constexpr std::chrono::nanoseconds kRetryHold = 1s;

std::string alarm_payload(const std::string& gateway_id, const Alarm& alarm) {
  boost::json::object doc;
  doc["gateway_id"] = gateway_id;
  // The excursion's id: its raise and its clear carry the same one.
  doc["alarm_id"] = alarm.alarm_id != 0 ? alarm.alarm_id : alarm.id;
  doc["kind"] = alarm.kind;
  doc["series"] = alarm.series;
  doc["ts_ms"] = alarm.ts_ms;
  doc["value"] = alarm.value;
  doc["message"] = alarm.message;
  doc["state"] = alarm_state_name(alarm.state);
  doc["severity"] = severity_name(alarm.severity);
  doc["threshold"] = alarm.threshold ? boost::json::value(*alarm.threshold) : nullptr;
  doc["first_ts_ms"] = alarm.first_ts_ms;
  doc["last_ts_ms"] = alarm.last_ts_ms;
  return boost::json::serialize(doc);
}

}  // namespace

Uplink::Uplink(SqliteBuffer& buffer, BundlePacker& packer, Transport& transport, const Clock& clock,
               Options options, PublishedHook on_published, AlarmAckedHook on_alarm_acked)
    : buffer_(buffer),
      packer_(packer),
      transport_(transport),
      clock_(clock),
      options_(std::move(options)),
      on_published_(std::move(on_published)),
      on_alarm_acked_(std::move(on_alarm_acked)),
      shaper_(options_.max_publishes_per_s, options_.max_bytes_per_s, clock.monotonic()),
      bundler_(packer, options_.max_latency) {}

Uplink::~Uplink() {
  stop(std::chrono::milliseconds(0));  // graceful stops call stop() first
}

void Uplink::start() {
  {
    std::lock_guard lock(mutex_);
    if (running_) return;
    running_ = true;
  }
  connect();
  thread_ = std::thread([this] {
    name_this_thread("uplink");
    run();
  });
}

void Uplink::connect() {
  // Bundles in flight at the last stop go first, byte-identical; the readings behind them are
  // read back once, then taken as they are committed.
  for (auto& bundle : buffer_.inflight()) {
    to_send_.push_back({.bundle = std::move(bundle), .readings = 0, .published = true});
  }
  bundler_.restart(buffer_.next_bundle_seq(), std::numeric_limits<std::int64_t>::min());
  want_commits_ = true;
  buffer_.set_commit_listener([this](std::int64_t first_seq, std::span<const Reading> batch) {
    // Sequentially consistent with the store below and with the buffer's next-seq bound: a
    // commit after a read's bound sees the want that was stored before the read was posted.
    if (!want_commits_.load()) return;
    post(Committed{first_seq, std::vector<Reading>(batch.begin(), batch.end())});
  });
  transport_started_ = true;
  transport_.start(
      {.on_result =
           [this](std::uint64_t token, const PublishResult& result) {
             post(TransportEvent{TransportEvent::ended, token, result, {}, {}});
           },
       .on_connection =
           [this](bool up, const std::string& reason) {
             if (up) {
               spdlog::info("uplink connected");
             } else {
               spdlog::warn("uplink down: {}", reason);
             }
             post(TransportEvent{
                 up ? TransportEvent::up : TransportEvent::down, 0, {}, up ? "" : reason, {}});
             if (on_connection_) on_connection_(up);
           }});
}

void Uplink::stop(std::chrono::milliseconds drain) {
  {
    std::lock_guard lock(mutex_);
    if (thread_.joinable()) {
      drain_until_ = clock_.monotonic() + drain;
    } else {
      running_ = false;
    }
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (std::exchange(transport_started_, false)) {
    transport_.stop();
    buffer_.set_commit_listener({});
  }
  // Storage work posted earlier reports back to this object: wait for it.
  std::unique_lock lock(mutex_);
  wake_.wait(lock, [this] { return storage_work_ == 0; });
}

void Uplink::request_flush() {
  {
    std::lock_guard lock(mutex_);
    flush_ = true;
  }
  wake_.notify_all();
}

void Uplink::set_max_latency(std::chrono::milliseconds max_latency) {
  {
    std::lock_guard lock(mutex_);
    new_max_latency_ = max_latency;
  }
  wake_.notify_all();
}

void Uplink::alarm_raised() {
  {
    std::lock_guard lock(mutex_);
    alarm_raised_ = true;
  }
  wake_.notify_all();
}

void Uplink::publish_control(std::string topic, std::string payload) {
  {
    std::lock_guard lock(mutex_);
    if (control_.size() >= kMaxControlQueued) control_.pop_front();
    control_.push_back({std::move(topic), std::move(payload)});
    control_added_ = true;
  }
  wake_.notify_all();
}

bool Uplink::publish_control_messages() {
  std::deque<ControlMessage> messages;
  {
    std::lock_guard lock(mutex_);
    messages.swap(control_);
  }
  bool sent = false;
  while (!messages.empty()) {
    const ControlMessage& message = messages.front();
    const auto now = clock_.monotonic();
    if (auto wait = shaper_.delay(message.payload.size(), now); wait > 0ns) {
      wake_at(now + wait);
      break;
    }
    const std::uint64_t token = kControlTokenBit | ++next_control_;
    if (!transport_.publish(message.topic, message.payload, token)) break;
    control_inflight_.insert(token);
    shaper_.take(message.payload.size(), now);
    if (on_published_) {
      on_published_({.topic = message.topic,
                     .payload_bytes = message.payload.size(),
                     .readings = 0,
                     .bundle = false});
    }
    messages.pop_front();
    sent = true;
  }
  if (!messages.empty()) {
    // Not sent yet: back in front of anything that came meanwhile.
    std::lock_guard lock(mutex_);
    control_.insert(control_.begin(), messages.begin(), messages.end());
    while (control_.size() > kMaxControlQueued) control_.pop_front();
  }
  return sent;
}

void Uplink::post(Event event) {
  if (auto* transport = std::get_if<TransportEvent>(&event)) transport->at = clock_.monotonic();
  {
    std::lock_guard lock(mutex_);
    events_.push_back(std::move(event));
  }
  wake_.notify_all();
}

template <class Work>
void Uplink::on_storage(Work work, StorageLane lane) {
  {
    std::lock_guard lock(mutex_);
    ++storage_work_;
  }
  auto task = [this, work = std::move(work)]() mutable {
    // The count drops only once the result is queued, so stop() cannot return in between.
    struct Done {
      Uplink* uplink;
      ~Done() {
        std::lock_guard lock(uplink->mutex_);
        --uplink->storage_work_;
        uplink->wake_.notify_all();
      }
    } done{this};
    if constexpr (std::is_void_v<decltype(work())>) {
      work();
    } else {
      post(work());
    }
  };
  if (lane == StorageLane::read) {
    buffer_.post_read(std::move(task));
  } else {
    buffer_.post(std::move(task));
  }
}

void Uplink::requeue_outstanding() {
  for (auto& [token, entry] : outstanding_) {
    if (entry.kind == Kind::bundle) requeue(std::move(entry.bundle));
  }
  outstanding_.clear();
  outstanding_bundles_ = 0;
  alarms_dirty_ = true;  // alarms still pending in the buffer are picked up again
}

void Uplink::handle(TransportEvent event) {
  switch (event.what) {
    case TransportEvent::up:
      if (ever_connected_) ++local_.reconnects;
      ever_connected_ = true;
      connected_ = true;
      // Clean session: nothing from before is pending at the broker. Everything recorded in
      // flight goes out again, with the same seq and bytes, before any new bundle.
      requeue_outstanding();
      for (LaneHold* hold : {&telemetry_hold_, &alarm_hold_}) {
        if (!hold->refused) *hold = {};
      }
      return;
    case TransportEvent::down:
      local_.last_error = event.reason;
      connected_ = false;
      requeue_outstanding();
      control_inflight_.clear();  // at most once: the cloud side asks again
      return;
    case TransportEvent::ended:
      break;
  }
  if (control_inflight_.erase(event.token) > 0) return;
  auto it = outstanding_.find(event.token);
  if (it == outstanding_.end()) return;  // ended after the connection it belonged to ended
  Outstanding entry = std::move(it->second);
  outstanding_.erase(it);
  if (event.result.outcome != PublishResult::Outcome::acked) {
    not_delivered(event.token, std::move(entry), event.result, event.at);
    return;
  }
  // Up to the transport's report, not to now: the uplink thread may have been busy since.
  const std::chrono::duration<double> latency = event.at - entry.sent_at;
  if (entry.kind == Kind::bundle) {
    local_.bundle_latency_s.observe(latency.count());
    --outstanding_bundles_;
    acked_.push_back(std::move(entry));
  } else {
    const auto id = static_cast<std::int64_t>(event.token & ~kAlarmTokenBit);
    // Queued on the storage thread ahead of any later read of the pending alarms, so the
    // acknowledged one is never read back and sent twice.
    on_storage([this, id] {
      if (!buffer_.ack_alarm(id)) spdlog::warn("alarm {}: acknowledged but no longer stored", id);
    });
    if (alarm_read_pending_ || alarms_read_) acked_since_alarm_read_.insert(id);
    if (on_alarm_acked_) on_alarm_acked_(id);
    ++local_.alarms_acked;
    local_.alarm_latency_s.observe(latency.count());
  }
}

void Uplink::handle(Committed event) {
  if (read_pending_) {
    committed_during_read_.push_back(std::move(event));
    return;
  }
  bundler_.add_committed(event.first_seq, event.readings);
}

void Uplink::handle(RowsRead event) {
  read_pending_ = false;
  std::vector<Committed> committed = std::move(committed_during_read_);
  committed_during_read_.clear();
  if (event.failed) {
    // Not "caught up": the same rows are asked for again a little later.
    read_hold_ = clock_.monotonic() + kStorageRetry;
    return;
  }
  // The bundler started over (a bundle lost rows) while this was read: its rows are read again.
  if (event.after != bundler_.after_seq()) return;
  bundler_.add_read(event.unsent, event.unsent.rows.size() < event.asked);
  for (const Committed& batch : committed) bundler_.add_committed(batch.first_seq, batch.readings);
}

void Uplink::handle(Recorded event) {
  recording_ = 0;
  const auto [recorded, stopped_by] = event.outcome;
  for (std::size_t i = 0; i < recorded; ++i) {
    ClosedBundle& bundle = event.bundles[i];
    to_send_.push_back({.bundle = std::move(bundle.bundle), .readings = bundle.readings});
  }
  if (recorded == event.bundles.size()) return;
  const InflightBundle& stopped = event.bundles[recorded].bundle;
  if (stopped_by == RecordStatus::rows_missing) {
    spdlog::info(
        "uplink: retention dropped readings of bundle {} before it was recorded; packing the "
        "rest again",
        stopped.bundle_seq);
    bundler_.rebuild_from(stopped);
    return;
  }
  // Not recorded means not sent: a bundle the buffer does not know could be lost. The
  // unrecorded ones go back in front, to be recorded in order later.
  record_hold_ = clock_.monotonic() + kStorageRetry;
  log_stuck("bundle " + std::to_string(stopped.bundle_seq) +
            ": cannot record it as in flight; will try again");
  auto& closed = bundler_.closed();
  closed.insert(
      closed.begin(),
      std::make_move_iterator(event.bundles.begin() + static_cast<std::ptrdiff_t>(recorded)),
      std::make_move_iterator(event.bundles.end()));
}

void Uplink::requeue(Sendable bundle) {
  auto at = std::find_if(to_send_.begin(), to_send_.end(), [&](const Sendable& queued) {
    return queued.bundle.bundle_seq > bundle.bundle.bundle_seq;
  });
  to_send_.insert(at, std::move(bundle));
}

void Uplink::not_delivered(std::uint64_t token, Outstanding entry, const PublishResult& result,
                           std::chrono::steady_clock::time_point at) {
  const bool bundle = entry.kind == Kind::bundle;
  if (bundle) {
    --outstanding_bundles_;
    requeue(std::move(entry.bundle));
  } else {
    alarms_dirty_ = true;  // still pending in the buffer: picked up again
  }
  LaneHold& hold = bundle ? telemetry_hold_ : alarm_hold_;
  if (result.outcome == PublishResult::Outcome::retry) {
    // On a connection that holds, the message waits a moment before it goes again.
    hold = {.until = at + kRetryHold, .refused = false};
    return;
  }
  // Sending it again at once would be refused again: the lane holds off, the message stays.
  hold = {.until = at + options_.refused_retry, .refused = true};
  ++local_.publishes_refused;
  const std::string& topic = bundle ? options_.telemetry_topic : options_.alarm_topic;
  local_.last_refusal = topic + ": " + result.reason;
  std::uint64_t held_back = 0;
  if (refused_log_.should_log(at, held_back)) {
    spdlog::error(
        "uplink: the broker refused {} {} on {} ({}); it is kept and sent again in {} s{}",
        bundle ? "bundle" : "alarm", bundle ? token : token & ~kAlarmTokenBit, topic, result.reason,
        std::chrono::duration_cast<std::chrono::seconds>(options_.refused_retry).count(),
        held_back == 0
            ? std::string()
            : " (" + std::to_string(held_back) + " more refusals since the last report)");
  }
}

void Uplink::delete_acked() {
  std::vector<std::uint64_t> seqs;
  if (!undeleted_.empty()) {
    if (clock_.monotonic() < delete_hold_) {
      wake_at(delete_hold_);
    } else {
      seqs = std::move(undeleted_);
      undeleted_.clear();
    }
  }
  // One delete at a time: acknowledgements that come while it runs wait for the next, so a
  // drain deletes many bundles per transaction instead of one.
  if (delete_pending_ || (acked_.empty() && seqs.empty())) return;
  seqs.reserve(seqs.size() + acked_.size());
  for (const auto& entry : acked_) {
    const InflightBundle& bundle = entry.bundle.bundle;
    seqs.push_back(bundle.bundle_seq);
    ++local_.bundles_acked;
    local_.last_acked_bundle_seq = std::max(local_.last_acked_bundle_seq, bundle.bundle_seq);
    local_.readings_acked += entry.bundle.readings;
    local_.payload_bytes_acked += bundle.payload.size();
    local_.bundle_bytes.observe(static_cast<double>(bundle.payload.size()));
  }
  acked_.clear();
  ++local_.storage_deletes;
  delete_pending_ = true;
  on_storage([this, seqs = std::move(seqs)]() mutable {
    // Every one of them is in flight, so deleting none means the transaction failed (a full
    // disk): they are acknowledged, so deleting them is all that is left to do.
    const bool failed = buffer_.ack(seqs) == 0;
    return AcksDeleted{.seqs = failed ? std::move(seqs) : std::vector<std::uint64_t>{}};
  });
}

void Uplink::handle(AcksDeleted event) {
  delete_pending_ = false;
  if (event.seqs.empty()) return;
  log_stuck(std::to_string(event.seqs.size()) + " acknowledged bundle(s) from " +
            std::to_string(event.seqs.front()) + " could not be deleted; will try again");
  undeleted_.insert(undeleted_.end(), event.seqs.begin(), event.seqs.end());
  delete_hold_ = clock_.monotonic() + kStorageRetry;
}

std::optional<Uplink::Outstanding> Uplink::send(std::uint64_t token, Outstanding entry,
                                                const std::string& topic,
                                                std::string_view payload) {
  entry.sent_at = clock_.monotonic();
  auto [it, inserted] = outstanding_.insert_or_assign(token, std::move(entry));
  Outstanding& sent = it->second;
  const bool bundle = sent.kind == Kind::bundle;
  // A bundle's bytes live in its entry while it is in flight; the transport copies them.
  if (bundle) payload = sent.bundle.bundle.payload;
  if (!transport_.publish(topic, payload, token)) {
    Outstanding back = std::move(sent);
    outstanding_.erase(it);
    return back;
  }
  // Only what went out counts against the provider's limits.
  shaper_.take(payload.size(), sent.sent_at);
  if (on_published_) {
    on_published_({.topic = topic,
                   .payload_bytes = payload.size(),
                   .readings = bundle && !sent.bundle.published ? sent.bundle.readings : 0,
                   .bundle = bundle});
  }
  if (bundle) {
    sent.bundle.published = true;
    ++outstanding_bundles_;
    ++local_.bundles_published;
  }
  return std::nullopt;
}

void Uplink::handle(AlarmsRead event) {
  alarm_read_pending_ = false;
  if (event.failed) {
    alarms_dirty_ = true;
    alarm_hold_ = {.until = clock_.monotonic() + kStorageRetry, .refused = false};
    return;
  }
  alarms_read_ = std::move(event);
}

bool Uplink::publish_alarms() {
  if (alarm_read_pending_) return false;
  if (const auto now = clock_.monotonic(); now < alarm_hold_.until) {
    if (alarms_dirty_ || alarms_read_) wake_at(alarm_hold_.until);
    return false;
  }
  std::size_t outstanding = outstanding_.size() - outstanding_bundles_;
  if (!alarms_read_) {
    if (!alarms_dirty_ || outstanding >= options_.alarm_window) return false;
    const std::size_t want = options_.alarm_window + outstanding;
    alarms_dirty_ = false;  // an alarm raised from now on makes it dirty again
    alarm_read_pending_ = true;
    acked_since_alarm_read_.clear();
    on_storage([this, want] {
      try {
        return AlarmsRead{.alarms = buffer_.pending_alarms(want), .asked = want};
      } catch (const std::exception& error) {
        spdlog::error("uplink: reading the pending alarms failed: {}", error.what());
        return AlarmsRead{.alarms = {}, .asked = want, .failed = true};
      }
    });
    return false;
  }
  AlarmsRead read = std::move(*alarms_read_);
  alarms_read_.reset();
  // A full page may hide more alarms behind it: look again after these are acknowledged.
  alarms_dirty_ = alarms_dirty_ || read.alarms.size() == read.asked;
  bool sent = false;
  for (const auto& alarm : read.alarms) {
    const std::uint64_t token = kAlarmTokenBit | static_cast<std::uint64_t>(alarm.id);
    if (outstanding_.contains(token) || acked_since_alarm_read_.contains(alarm.id)) continue;
    if (outstanding >= options_.alarm_window) {
      alarms_dirty_ = true;
      break;
    }
    if (send(token, {.kind = Kind::alarm, .bundle = {}}, options_.alarm_topic,
             alarm_payload(packer_.options().gateway_id, alarm))) {
      alarms_dirty_ = true;
      break;
    }
    ++outstanding;
    sent = true;
  }
  return sent;
}

bool Uplink::room_to_prepare() const {
  // Offline, readings wait as plain rows (which retention may shed), not as bundles.
  return connected_ && to_send_.size() + recording_ + bundler_.closed().size() < kPreparedAhead;
}

void Uplink::prepare_bundles() {
  // Without room the uplink stops taking commits; what it skips is read back later.
  const bool room = room_to_prepare();
  want_commits_.store(room);
  if (!room) bundler_.fall_behind();

  if (room && !bundler_.caught_up() && !read_pending_) {
    if (const auto now = clock_.monotonic(); now < read_hold_) {
      wake_at(read_hold_);
    } else {
      read_pending_ = true;
      ++local_.storage_reads;
      const std::size_t asked =
          std::clamp(kBundlesPerRead * bundler_.full_bundle_readings() * 9 / 8, kMinRead, kMaxRead);
      on_storage(
          [this, after = bundler_.after_seq(), asked] {
            try {
              return RowsRead{
                  .after = after, .unsent = buffer_.read_unsent_after(after, asked), .asked = asked};
            } catch (const std::exception& error) {
              spdlog::error("uplink: reading the backlog failed: {}", error.what());
              return RowsRead{.after = after, .unsent = {}, .asked = asked, .failed = true};
            }
          },
          StorageLane::read);
    }
  }
  if (bundler_.caught_up()) {
    bundler_.close_if_due(clock_.wall_ms(), flush_pending_);
    flush_pending_ = false;
    if (auto due = bundler_.due_in(clock_.wall_ms())) wake_at(clock_.monotonic() + *due);
  }

  auto& closed = bundler_.closed();
  if (recording_ > 0 || closed.empty()) return;
  if (const auto now = clock_.monotonic(); now < record_hold_) {
    wake_at(record_hold_);
    return;
  }
  std::vector<ClosedBundle> bundles(std::make_move_iterator(closed.begin()),
                                    std::make_move_iterator(closed.end()));
  closed.clear();
  recording_ = bundles.size();
  ++local_.storage_records;
  on_storage([this, bundles = std::move(bundles)]() mutable {
    std::vector<InflightBundle> inflight;
    std::vector<std::size_t> rows;
    for (ClosedBundle& closed_bundle : bundles) {
      inflight.push_back(std::move(closed_bundle.bundle));
      rows.push_back(closed_bundle.readings);
    }
    RecordOutcome outcome{.recorded = 0, .stopped_by = RecordStatus::storage_full};
    try {
      outcome = buffer_.record_inflight(inflight, rows);
    } catch (const std::exception& error) {
      spdlog::error("uplink: recording bundles {}..{} failed: {}", inflight.front().bundle_seq,
                    inflight.back().bundle_seq, error.what());
    }
    for (std::size_t i = 0; i < bundles.size(); ++i) bundles[i].bundle = std::move(inflight[i]);
    return Recorded{.bundles = std::move(bundles), .outcome = outcome};
  });
}

bool Uplink::publish_bundles() {
  // Alarms go before telemetry: while the pending ones are being read, bundles wait.
  if (alarm_read_pending_) return false;
  bool sent = false;
  while (!to_send_.empty() && outstanding_bundles_ < options_.inflight_window) {
    const auto now = clock_.monotonic();
    if (now < telemetry_hold_.until) {
      wake_at(telemetry_hold_.until);
      break;
    }
    Sendable& next = to_send_.front();
    if (auto wait = shaper_.delay(next.bundle.payload.size(), now); wait > 0ns) {
      wake_at(now + wait);
      break;
    }
    const std::uint64_t seq = next.bundle.bundle_seq;
    if (auto unsent = send(seq, {.kind = Kind::bundle, .bundle = std::move(next)},
                           options_.telemetry_topic, {})) {
      next = std::move(unsent->bundle);
      break;
    }
    to_send_.pop_front();
    sent = true;
  }
  return sent;
}

void Uplink::wake_at(std::chrono::steady_clock::time_point at) {
  wake_at_ = wake_at_ ? std::min(*wake_at_, at) : at;
}

std::chrono::nanoseconds Uplink::step() {
  std::deque<Event> events;
  {
    std::lock_guard lock(mutex_);
    events.swap(events_);
    if (alarm_raised_) alarms_dirty_ = true;
    if (flush_) flush_pending_ = true;
    alarm_raised_ = flush_ = control_added_ = false;
    if (new_max_latency_) bundler_.set_max_latency(*std::exchange(new_max_latency_, std::nullopt));
  }
  for (auto& event : events) {
    std::visit([this](auto& e) { handle(std::move(e)); }, event);
  }
  wake_at_.reset();
  delete_acked();  // every ack of this round in one transaction

  bool progressed = false;
  if (connected_) {
    progressed = publish_control_messages();
    progressed = publish_alarms() || progressed;
  }
  bool draining = false;
  {
    std::lock_guard lock(mutex_);
    draining = drain_until_.has_value();
  }
  // Stopping: what is out is waited for, nothing new goes (it is safe in the buffer).
  if (!draining) {
    prepare_bundles();
    if (connected_) progressed = publish_bundles() || progressed;
  }

  std::chrono::nanoseconds wait = kIdleWait;
  const auto now = clock_.monotonic();
  if (progressed) {
    wait = 0ns;
  } else if (wake_at_) {
    wait = std::clamp<std::chrono::nanoseconds>(*wake_at_ - now, 0ns, kIdleWait);
  }
  // Absolute, from the same reading: the clock may move on before the thread goes to sleep.
  sleep_until_ = now + wait;
  std::lock_guard lock(mutex_);
  stats_ = local_;
  stats_.inflight = outstanding_bundles_;
  stats_.connected = connected_;
  return wait;
}

bool Uplink::idle() const {
  std::lock_guard lock(mutex_);
  return storage_work_ == 0 && events_.empty();
}

bool Uplink::drained() const {
  // Nothing can be acknowledged without a connection: waiting longer would not help.
  if (!connected_) return true;
  std::lock_guard lock(mutex_);  // control_ is filled from other threads
  return outstanding_.empty() && control_inflight_.empty() && control_.empty() &&
         !alarm_read_pending_ && !alarms_read_ && !alarms_dirty_;
}

void Uplink::run() {
  bool draining = false;
  for (;;) {
    const auto wait = step();
    auto deadline = sleep_until_;
    if (!draining) {
      std::lock_guard lock(mutex_);
      draining = drain_until_.has_value();
    }
    if (draining && drained()) break;
    std::unique_lock lock(mutex_);
    if (draining) {
      if (clock_.monotonic() >= *drain_until_) break;
      deadline = std::min(deadline, *drain_until_);
    }
    if (wait > 0ns) {
      clock_.wait_until(lock, wake_, deadline, [this, draining] {
        return (drain_until_ && !draining) || !events_.empty() || flush_ || alarm_raised_ ||
               control_added_ || new_max_latency_;
      });
    }
  }
  std::lock_guard lock(mutex_);
  running_ = false;
  drain_until_.reset();
}

void Uplink::log_stuck(const std::string& message) {
  std::uint64_t held_back = 0;
  if (!stuck_log_.should_log(clock_.monotonic(), held_back)) return;
  if (held_back == 0) {
    spdlog::error("uplink: {}", message);
  } else {
    spdlog::error("uplink: {} (and {} times more since the last report)", message, held_back);
  }
}

Uplink::Stats Uplink::stats() const {
  Stats stats;
  {
    std::lock_guard lock(mutex_);
    stats = stats_;
  }
  // Not under mutex_: the transport calls into the uplink with its own lock held.
  stats.subscriptions = transport_.subscriptions();
  return stats;
}

}  // namespace edgegw
