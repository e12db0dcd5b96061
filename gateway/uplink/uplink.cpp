#include "gateway/uplink/uplink.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json.hpp>

namespace edgegw {

namespace {

using namespace std::chrono_literals;

// How often the thread looks again when nothing woke it. A partly filled bundle closes at
// most this much after max_latency; acks, alarms and flushes wake the thread at once.
constexpr std::chrono::nanoseconds kIdleTick = 100ms;
constexpr std::size_t kMaxFetch = std::size_t{1} << 17;
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
      shaper_(options_.max_publishes_per_s, options_.max_bytes_per_s, clock.monotonic()) {}

Uplink::~Uplink() {
  stop();
}

void Uplink::start() {
  {
    std::lock_guard lock(mutex_);
    if (running_) return;
    running_ = true;
  }
  connect();
  thread_ = std::thread([this] { run(); });
}

void Uplink::connect() {
  transport_started_ = true;
  transport_.start({.on_result =
                        [this](std::uint64_t token, const PublishResult& result) {
                          post({Event::ended, token, result, {}, {}});
                        },
                    .on_connection =
                        [this](bool up, const std::string& reason) {
                          if (up) {
                            spdlog::info("uplink connected");
                          } else {
                            spdlog::warn("uplink down: {}", reason);
                          }
                          post({up ? Event::up : Event::down, 0, {}, up ? "" : reason, {}});
                        }});
}

void Uplink::stop() {
  {
    std::lock_guard lock(mutex_);
    running_ = false;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (std::exchange(transport_started_, false)) transport_.stop();
}

void Uplink::request_flush() {
  {
    std::lock_guard lock(mutex_);
    flush_ = true;
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

void Uplink::respond(std::string topic, std::string payload) {
  {
    std::lock_guard lock(mutex_);
    if (responses_.size() >= kMaxResponsesQueued) responses_.pop_front();
    responses_.push_back({std::move(topic), std::move(payload)});
    response_added_ = true;
  }
  wake_.notify_all();
}

bool Uplink::publish_responses() {
  std::deque<Response> responses;
  {
    std::lock_guard lock(mutex_);
    responses.swap(responses_);
  }
  bool sent = false;
  while (!responses.empty()) {
    const Response& response = responses.front();
    const auto now = clock_.monotonic();
    if (shaper_.delay(response.payload.size(), now) > 0ns) break;
    if (!transport_.publish(response.topic, response.payload,
                            kResponseTokenBit | ++next_response_)) {
      break;
    }
    shaper_.take(response.payload.size(), now);
    if (on_published_) {
      on_published_({.topic = response.topic,
                     .payload_bytes = response.payload.size(),
                     .readings = 0,
                     .bundle = false});
    }
    responses.pop_front();
    sent = true;
  }
  if (!responses.empty()) {
    // Not sent yet: back in front of anything that came meanwhile.
    std::lock_guard lock(mutex_);
    responses_.insert(responses_.begin(), responses.begin(), responses.end());
    while (responses_.size() > kMaxResponsesQueued) responses_.pop_front();
  }
  return sent;
}

void Uplink::post(Event event) {
  event.at = clock_.monotonic();
  {
    std::lock_guard lock(mutex_);
    events_.push_back(std::move(event));
  }
  wake_.notify_all();
}

void Uplink::handle(const Event& event) {
  switch (event.what) {
    case Event::up:
      // Acknowledged bundles must be gone before the in-flight list is read for resending.
      delete_acked();
      if (ever_connected_) ++local_.reconnects;
      ever_connected_ = true;
      connected_ = true;
      // Clean session: nothing from before is pending at the broker. Everything recorded in
      // flight goes out again, with the same seq and bytes, before any new bundle.
      outstanding_.clear();
      outstanding_bundles_ = 0;
      {
        auto inflight = buffer_.inflight();
        resend_.assign(std::make_move_iterator(inflight.begin()),
                       std::make_move_iterator(inflight.end()));
      }
      alarms_dirty_ = true;
      for (LaneHold* hold : {&telemetry_hold_, &alarm_hold_}) {
        if (!hold->refused) *hold = {};
      }
      return;
    case Event::down:
      local_.last_error = event.reason;
      connected_ = false;
      outstanding_.clear();
      outstanding_bundles_ = 0;
      resend_.clear();
      return;
    case Event::ended:
      break;
  }
  auto it = outstanding_.find(event.token);
  if (it == outstanding_.end()) return;  // ended after the connection it belonged to ended
  Outstanding& entry = it->second;
  if (event.result.outcome != PublishResult::Outcome::acked) {
    Outstanding taken = std::move(entry);
    outstanding_.erase(it);
    not_delivered(event.token, std::move(taken), event.result, event.at);
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
    if (!buffer_.ack_alarm(id)) spdlog::warn("alarm {}: acknowledged but no longer stored", id);
    if (on_alarm_acked_) on_alarm_acked_(id);
    ++local_.alarms_acked;
    local_.alarm_latency_s.observe(latency.count());
  }
  outstanding_.erase(it);
}

void Uplink::requeue(InflightBundle bundle) {
  auto at = std::find_if(resend_.begin(), resend_.end(), [&](const InflightBundle& queued) {
    return queued.bundle_seq > bundle.bundle_seq;
  });
  resend_.insert(at, std::move(bundle));
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
  if (acked_.empty()) return;
  std::vector<std::uint64_t> seqs;
  seqs.reserve(acked_.size());
  for (const auto& entry : acked_) seqs.push_back(entry.bundle.bundle_seq);
  if (buffer_.ack(seqs) != seqs.size()) {
    // The rows stay in flight: re-sent after a restart, dropped as duplicates downstream.
    log_stuck(std::to_string(seqs.size()) + " acknowledged bundle(s) from " +
              std::to_string(seqs.front()) + " could not be deleted");
  }
  for (const auto& entry : acked_) {
    packed_readings_.erase(entry.bundle.bundle_seq);
    ++local_.bundles_acked;
    local_.readings_acked += entry.readings;
    local_.payload_bytes_acked += entry.bundle.payload.size();
    local_.bundle_bytes.observe(static_cast<double>(entry.bundle.payload.size()));
  }
  acked_.clear();
}

bool Uplink::send(Outstanding entry, std::uint64_t token, const std::string& topic,
                  std::string_view payload) {
  entry.sent_at = clock_.monotonic();
  const auto sent_at = entry.sent_at;
  const bool bundle = entry.kind == Kind::bundle;
  const std::size_t readings = entry.resend ? 0 : entry.readings;
  outstanding_.emplace(token, std::move(entry));
  if (!transport_.publish(topic, payload, token)) {
    outstanding_.erase(token);
    return false;
  }
  // Only what went out counts against the provider's limits.
  shaper_.take(payload.size(), sent_at);
  if (on_published_) {
    on_published_(
        {.topic = topic, .payload_bytes = payload.size(), .readings = readings, .bundle = bundle});
  }
  if (bundle) {
    if (auto packed = packed_readings_.find(token); packed != packed_readings_.end()) {
      packed->second.published = true;
    }
    ++outstanding_bundles_;
    ++local_.bundles_published;
  }
  return true;
}

bool Uplink::publish_alarms() {
  if (!alarms_dirty_ || clock_.monotonic() < alarm_hold_.until) return false;
  std::size_t outstanding = outstanding_.size() - outstanding_bundles_;
  if (outstanding >= options_.alarm_window) return false;
  const std::size_t want = options_.alarm_window + outstanding;
  auto pending = buffer_.pending_alarms(want);
  // A full page may hide more alarms behind it: look again after these are acknowledged.
  alarms_dirty_ = pending.size() == want;
  bool sent = false;
  for (const auto& alarm : pending) {
    const std::uint64_t token = kAlarmTokenBit | static_cast<std::uint64_t>(alarm.id);
    if (outstanding_.contains(token)) continue;
    if (outstanding >= options_.alarm_window) {
      alarms_dirty_ = true;
      break;
    }
    if (!send({.kind = Kind::alarm, .bundle = {}, .readings = 0, .resend = false}, token,
              options_.alarm_topic, alarm_payload(packer_.options().gateway_id, alarm))) {
      alarms_dirty_ = true;
      break;
    }
    ++outstanding;
    sent = true;
  }
  return sent;
}

std::optional<std::chrono::nanoseconds> Uplink::publish_bundle() {
  if (outstanding_bundles_ >= options_.inflight_window) return kIdleTick;  // an ack wakes us
  if (const auto now = clock_.monotonic(); now < telemetry_hold_.until) {
    return std::min<std::chrono::nanoseconds>(kIdleTick, telemetry_hold_.until - now);
  }

  if (!resend_.empty()) {
    InflightBundle& bundle = resend_.front();
    if (auto wait = shaper_.delay(bundle.payload.size(), clock_.monotonic()); wait > 0ns) {
      return wait;
    }
    std::string payload = bundle.payload;
    // Packed by this process: its count is known; packed before a restart: it was counted then.
    const auto packed = packed_readings_.find(bundle.bundle_seq);
    const bool known = packed != packed_readings_.end();
    if (!send({.kind = Kind::bundle,
               .bundle = bundle,
               .readings = known ? packed->second.readings : 0,
               .resend = !known || packed->second.published},
              bundle.bundle_seq, options_.telemetry_topic, payload)) {
      return kIdleTick;
    }
    resend_.pop_front();
    return std::nullopt;
  }

  // Ask the shaper before reading: a bundle is at most the budget.
  if (auto wait = shaper_.delay(packer_.options().budget_bytes, clock_.monotonic()); wait > 0ns) {
    return wait;
  }
  auto unsent = buffer_.read_unsent(fetch_size_);
  if (unsent.empty()) {
    flush_pending_ = false;
    return kIdleTick;
  }
  std::vector<Reading> readings;
  readings.reserve(unsent.size());
  for (const auto& stored : unsent) readings.push_back(stored.reading);

  const std::uint64_t seq = buffer_.next_bundle_seq();
  PackedBundle packed = packer_.pack(seq, readings);
  if (packed.reading_count == 0) {
    log_stuck("bundle budget is too small for a single reading; check bundle.unit_bytes");
    return kIdleTick;
  }
  if (!packed.full && unsent.size() == fetch_size_ && fetch_size_ < kMaxFetch) {
    fetch_size_ *= 2;  // everything fetched fitted and more may be waiting: read more
    return std::nullopt;
  }
  if (packed.full) {
    // Read about one bundle's worth next time: rows read and not packed are wasted work.
    fetch_size_ = std::max<std::size_t>(256, packed.reading_count + packed.reading_count / 8);
  }
  std::int64_t oldest_ts = readings.front().ts_ms;
  for (const auto& r : std::span(readings).first(packed.reading_count)) {
    oldest_ts = std::min(oldest_ts, r.ts_ms);
  }
  const std::int64_t waited = clock_.wall_ms() - oldest_ts;
  if (!packed.full && waited < options_.max_latency.count() && !flush_pending_) {
    return std::min<std::chrono::nanoseconds>(
        kIdleTick, std::chrono::milliseconds(options_.max_latency.count() - waited));
  }
  flush_pending_ = false;

  InflightBundle bundle{.bundle_seq = seq,
                        .first_seq = unsent.front().seq,
                        .last_seq = unsent[packed.reading_count - 1].seq,
                        .payload = std::move(packed.payload)};
  if (!buffer_.record_inflight(bundle)) {
    // Not recorded means not sent: a bundle the buffer does not know could be lost, and its
    // seq used again.
    log_stuck("bundle " + std::to_string(seq) + ": cannot record it as in flight; will try again");
    return kIdleTick;
  }
  const std::string payload = bundle.payload;
  packed_readings_[seq] = {.readings = packed.reading_count, .published = false};
  if (!send({.kind = Kind::bundle, .bundle = bundle, .readings = packed.reading_count}, seq,
            options_.telemetry_topic, payload)) {
    // Not published: its readings are counted when it first goes out.
    resend_.push_back(std::move(bundle));
    return kIdleTick;
  }
  return std::nullopt;
}

std::chrono::nanoseconds Uplink::step() {
  std::deque<Event> events;
  {
    std::lock_guard lock(mutex_);
    events.swap(events_);
    if (alarm_raised_) alarms_dirty_ = true;
    if (flush_) flush_pending_ = true;
    alarm_raised_ = flush_ = response_added_ = false;
  }
  for (const auto& event : events) handle(event);
  delete_acked();  // every ack of this round in one transaction

  std::chrono::nanoseconds wait = kIdleTick;
  if (connected_) {
    bool progressed = publish_responses();
    progressed = publish_alarms() || progressed;
    auto bundle_wait = publish_bundle();
    wait = progressed || !bundle_wait ? 0ns : *bundle_wait;
  }
  std::lock_guard lock(mutex_);
  stats_ = local_;
  stats_.inflight = outstanding_bundles_;
  stats_.connected = connected_;
  return wait;
}

void Uplink::run() {
  for (;;) {
    auto wait = step();
    std::unique_lock lock(mutex_);
    if (!running_) return;
    if (wait > 0ns) {
      wake_.wait_for(lock, wait, [this] {
        return !running_ || !events_.empty() || flush_ || alarm_raised_ || response_added_;
      });
      if (!running_) return;
    }
  }
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
  std::lock_guard lock(mutex_);
  return stats_;
}

}  // namespace edgegw
