#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gateway/uplink/transport.h"

namespace edgegw {

/// A transport under the test's control: it records publishes and subscriptions, and connects,
/// drops, acknowledges, refuses and delivers only when told to. Safe to drive from the test
/// thread while an uplink's own thread publishes through it.
class FakeTransport final : public Transport {
 public:
  struct Publish {
    std::string topic;
    std::string payload;
    std::uint64_t token;
  };

  void start(Handlers handlers) override {
    std::lock_guard lock(mutex_);
    handlers_ = std::move(handlers);
  }
  void stop() override {}
  bool publish(const std::string& topic, std::string_view payload, std::uint64_t token) override {
    std::lock_guard lock(mutex_);
    if (!connected_) return false;
    published_.push_back({topic, std::string(payload), token});
    return true;
  }
  void subscribe(std::string filter, MessageHandler handler) override {
    std::lock_guard lock(mutex_);
    subscriptions_.emplace_back(std::move(filter), std::move(handler));
  }
  /// Granted while connected, as a broker that allows everything answers.
  std::vector<SubscriptionState> subscriptions() const override {
    std::lock_guard lock(mutex_);
    std::vector<SubscriptionState> out;
    for (const auto& [filter, handler] : subscriptions_) {
      out.push_back({.filter = filter,
                     .state = connected_ ? SubscriptionState::State::granted
                                         : SubscriptionState::State::pending,
                     .reason = {}});
    }
    return out;
  }

  /// Records the candidate; finish_trial() says how it went.
  void try_credentials(ClientCredentials candidate, CredentialsTried done) override {
    std::lock_guard lock(mutex_);
    tried_.push_back(std::move(candidate));
    trial_done_ = std::move(done);
  }
  void set_credentials(ClientCredentials credentials) override {
    std::lock_guard lock(mutex_);
    credentials_ = std::move(credentials);
  }
  /// The certificates tried so far, and the credentials set last.
  std::vector<ClientCredentials> tried() const {
    std::lock_guard lock(mutex_);
    return tried_;
  }
  ClientCredentials credentials() const {
    std::lock_guard lock(mutex_);
    return credentials_;
  }
  /// Ends the trial in progress: the candidate connected, or not (with `reason`).
  void finish_trial(bool connected, const std::string& reason = {}) {
    CredentialsTried done;
    {
      std::lock_guard lock(mutex_);
      done = std::exchange(trial_done_, {});
    }
    if (done) done(connected, reason);
  }

  /// Every publish taken so far, in order.
  std::vector<Publish> published() const {
    std::lock_guard lock(mutex_);
    return published_;
  }
  std::size_t publish_count() const {
    std::lock_guard lock(mutex_);
    return published_.size();
  }

  void up() {
    set_connected(true);
    handlers().on_connection(true, "test");
  }
  void down() {
    set_connected(false);
    handlers().on_connection(false, "test");
  }
  void ack(std::uint64_t token) { handlers().on_result(token, {}); }
  void ack_all() {
    for (const auto& p : published()) ack(p.token);
  }
  /// A refusal for good, as a broker's PUBACK reason code 135 under MQTT 5.
  void refuse(std::uint64_t token) {
    handlers().on_result(token, {.outcome = PublishResult::Outcome::refused,
                                 .reason_code = 0x87,
                                 .reason = "reason code 135: Not authorized"});
  }
  void fail(std::uint64_t token, int reason_code) {
    handlers().on_result(token, classify_publish(false, reason_code, "test"));
  }
  /// Hands `payload` on `topic` to every subscription that matches it; returns how many.
  std::size_t deliver(const std::string& topic, const std::string& payload,
                      std::uint64_t session = 1) {
    std::vector<MessageHandler> matching;
    {
      std::lock_guard lock(mutex_);
      for (const auto& [filter, handler] : subscriptions_) {
        if (topic_matches(filter, topic)) matching.push_back(handler);
      }
    }
    for (const auto& handler : matching) {
      handler({.topic = topic, .payload = payload, .session = session});
    }
    return matching.size();
  }

 private:
  void set_connected(bool connected) {
    std::lock_guard lock(mutex_);
    connected_ = connected;
  }
  // A copy, so a handler runs without the lock: it may publish through this transport.
  Handlers handlers() const {
    std::lock_guard lock(mutex_);
    return handlers_;
  }

  mutable std::mutex mutex_;
  Handlers handlers_;
  bool connected_ = false;
  std::vector<Publish> published_;
  std::vector<std::pair<std::string, MessageHandler>> subscriptions_;
  std::vector<ClientCredentials> tried_;
  CredentialsTried trial_done_;
  ClientCredentials credentials_;
};

}  // namespace edgegw
