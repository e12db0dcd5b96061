#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gateway/api/api_backend.h"
#include "gateway/api/http_message.h"

namespace edgegw::api {

/// An ApiBackend whose status and check() answers the test sets, which records every submit
/// and completes it only when the test says so. Thread-safe: the server calls it on the
/// io_context thread while the test drives it from its own.
class FakeApiBackend : public ApiBackend {
 public:
  GatewayStatus status() const override {
    std::lock_guard lock(mutex_);
    return status_;
  }

  std::vector<ReadingProblem> check(std::span<const NamedReading> batch) const override {
    std::lock_guard lock(mutex_);
    checked_.emplace_back(batch.begin(), batch.end());
    std::vector<ReadingProblem> problems;
    for (const auto& problem : problems_) {
      if (problem.index < batch.size()) problems.push_back(problem);
    }
    return problems;
  }

  void submit(std::vector<NamedReading> batch, std::function<void(SubmitResult)> done) override {
    std::lock_guard lock(mutex_);
    submitted_.push_back(batch);
    pending_.push_back(std::move(done));
  }

  std::vector<SensorLatest> latest() const override {
    std::lock_guard lock(mutex_);
    return latest_;
  }

  std::optional<std::vector<SensorPoint>> history(std::string_view series, std::int64_t since_ms,
                                                  std::size_t limit) const override {
    std::lock_guard lock(mutex_);
    history_calls_.push_back({std::string(series), since_ms, limit});
    auto found = history_.find(std::string(series));
    if (found == history_.end()) return std::nullopt;
    std::vector<SensorPoint> points;
    for (const auto& point : found->second) {
      if (point.ts_ms >= since_ms) points.push_back(point);
    }
    if (points.size() > limit) points.erase(points.begin(), points.end() - limit);
    return points;
  }

  std::vector<AlarmView> alarms() const override {
    std::lock_guard lock(mutex_);
    return alarms_;
  }

  bool ack_alarm(std::int64_t id) override {
    std::lock_guard lock(mutex_);
    for (auto& alarm : alarms_) {
      if (alarm.id == id) {
        alarm.acked = true;
        return true;
      }
    }
    return false;
  }

  void flush() override {
    std::lock_guard lock(mutex_);
    ++flushes_;
  }

  void set_armed(bool armed) override {
    std::lock_guard lock(mutex_);
    armed_calls_.push_back(armed);
    status_.armed = armed;
  }

  std::string config_json() const override {
    std::lock_guard lock(mutex_);
    return config_json_;
  }

  void calibrate_scale(std::string_view adapter, std::optional<double> known_grams,
                       std::function<void(ScaleReply)> done) override {
    ScaleReply reply;
    {
      std::lock_guard lock(mutex_);
      scale_calls_.push_back({std::string(adapter), known_grams});
      reply = scale_reply_;
    }
    done(reply);
  }

  /// What calibrate_scale() was asked, in order.
  struct ScaleCall {
    std::string adapter;
    std::optional<double> known_grams;
  };
  /// calibrate_scale() answers this, at once.
  void set_scale_reply(ScaleReply reply) {
    std::lock_guard lock(mutex_);
    scale_reply_ = std::move(reply);
  }
  std::vector<ScaleCall> scale_calls() const {
    std::lock_guard lock(mutex_);
    return scale_calls_;
  }

  /// What history() was asked, in order.
  struct HistoryCall {
    std::string series;
    std::int64_t since_ms = 0;
    std::size_t limit = 0;
  };

  void set_latest(std::vector<SensorLatest> latest) {
    std::lock_guard lock(mutex_);
    latest_ = std::move(latest);
  }
  void set_history(std::string series, std::vector<SensorPoint> points) {
    std::lock_guard lock(mutex_);
    history_[std::move(series)] = std::move(points);
  }
  void set_alarms(std::vector<AlarmView> alarms) {
    std::lock_guard lock(mutex_);
    alarms_ = std::move(alarms);
  }
  void set_config_json(std::string json) {
    std::lock_guard lock(mutex_);
    config_json_ = std::move(json);
  }
  std::vector<HistoryCall> history_calls() const {
    std::lock_guard lock(mutex_);
    return history_calls_;
  }
  std::vector<bool> armed_calls() const {
    std::lock_guard lock(mutex_);
    return armed_calls_;
  }
  int flushes() const {
    std::lock_guard lock(mutex_);
    return flushes_;
  }
  bool acked(std::int64_t id) const {
    std::lock_guard lock(mutex_);
    for (const auto& alarm : alarms_) {
      if (alarm.id == id) return alarm.acked;
    }
    return false;
  }

  void set_status(GatewayStatus status) {
    std::lock_guard lock(mutex_);
    status_ = std::move(status);
  }
  /// check() reports these (those whose index fits the batch) for every batch.
  void set_problems(std::vector<ReadingProblem> problems) {
    std::lock_guard lock(mutex_);
    problems_ = std::move(problems);
  }

  std::size_t submit_count() const {
    std::lock_guard lock(mutex_);
    return submitted_.size();
  }
  std::vector<NamedReading> submitted(std::size_t i) const {
    std::lock_guard lock(mutex_);
    return submitted_.at(i);
  }
  std::vector<std::vector<NamedReading>> checked() const {
    std::lock_guard lock(mutex_);
    return checked_;
  }
  std::size_t pending_count() const {
    std::lock_guard lock(mutex_);
    return pending_.size();
  }

  /// Runs the oldest pending `done` with `result` on the calling thread; false if none.
  bool complete_next(SubmitResult result) {
    std::function<void(SubmitResult)> done;
    {
      std::lock_guard lock(mutex_);
      if (pending_.empty()) return false;
      done = std::move(pending_.front());
      pending_.pop_front();
    }
    done(result);
    return true;
  }

 private:
  mutable std::mutex mutex_;
  GatewayStatus status_;
  std::vector<ReadingProblem> problems_;
  mutable std::vector<std::vector<NamedReading>> checked_;
  std::vector<std::vector<NamedReading>> submitted_;
  std::deque<std::function<void(SubmitResult)>> pending_;
  std::vector<SensorLatest> latest_;
  std::map<std::string, std::vector<SensorPoint>> history_;
  mutable std::vector<HistoryCall> history_calls_;
  std::vector<AlarmView> alarms_;
  std::vector<bool> armed_calls_;
  std::string config_json_ = "{}";
  int flushes_ = 0;
  ScaleReply scale_reply_;
  std::vector<ScaleCall> scale_calls_;
};

/// Collects what a handler replies, for handler tests without a session.
class ReplyRecorder {
 public:
  Reply reply() {
    return [this](HttpResponse response) {
      std::lock_guard lock(mutex_);
      responses_.push_back(std::move(response));
    };
  }
  std::size_t count() const {
    std::lock_guard lock(mutex_);
    return responses_.size();
  }
  /// The only reply; fails the calling test (by throwing) unless exactly one arrived.
  HttpResponse only() const {
    std::lock_guard lock(mutex_);
    if (responses_.size() != 1) {
      throw std::logic_error("expected one reply, got " + std::to_string(responses_.size()));
    }
    return responses_.front();
  }

 private:
  mutable std::mutex mutex_;
  std::vector<HttpResponse> responses_;
};

}  // namespace edgegw::api

namespace edgegw {

// In NamedReading's namespace so GoogleTest's EXPECT_EQ finds it.
inline bool operator==(const NamedReading& a, const NamedReading& b) {
  return a.series == b.series && a.ts_ms == b.ts_ms && a.value == b.value;
}

}  // namespace edgegw
