#pragma once

#include <mqtt/async_client.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "tests/integration/broker/mosquitto_broker.h"

namespace edgegw {

/// A Paho client of `broker` for a test (the subscriber, a test cloud), not yet connected, and
/// the options to connect it: MQTT 3.1.1, a clean session, mutual TLS with `credentials`.
std::unique_ptr<mqtt::async_client> make_test_client(const MosquittoBroker& broker,
                                                     const std::string& client_id);
mqtt::connect_options test_client_options(const MosquittoBroker& broker,
                                          const DeviceCredentials& credentials);

/// One message as the subscriber saw it; `index` counts arrivals from 0.
struct ReceivedMessage {
  std::string topic;
  std::string payload;
  std::size_t index = 0;
};

/// A Paho client with its own certificate from the broker's CA, subscribed at QoS 1 to a topic
/// filter, collecting what arrives. It reconnects and subscribes again by itself when the
/// broker restarts; subscribed() says when it is listening again.
class MqttTestSubscriber {
 public:
  /// Connects and subscribes; returns once the subscription is in place. Throws on failure.
  MqttTestSubscriber(MosquittoBroker& broker, std::string topic_filter,
                     std::string client_id = "test-subscriber");
  ~MqttTestSubscriber();
  MqttTestSubscriber(const MqttTestSubscriber&) = delete;
  MqttTestSubscriber& operator=(const MqttTestSubscriber&) = delete;

  /// Waits until at least `count` messages arrived; returns whether they did in time.
  bool wait_for_count(std::size_t count,
                      std::chrono::milliseconds deadline = std::chrono::seconds(20));
  /// Waits until connected and subscribed (after a broker restart, say).
  bool wait_until_subscribed(std::chrono::milliseconds deadline = std::chrono::seconds(20));
  bool subscribed() const;
  /// Publishes at QoS 1 on the subscriber's own connection and waits for the PUBACK; false if
  /// it did not come (not connected, say).
  bool publish(const std::string& topic, const std::string& payload);
  std::vector<ReceivedMessage> messages() const;
  std::size_t count() const;

 private:
  class SubscribeListener final : public mqtt::iaction_listener {
   public:
    explicit SubscribeListener(MqttTestSubscriber& owner) : owner_(owner) {}
    void on_success(const mqtt::token&) override;
    void on_failure(const mqtt::token&) override {}

   private:
    MqttTestSubscriber& owner_;
  };

  void subscribe();

  std::string topic_filter_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<ReceivedMessage> messages_;
  bool subscribed_ = false;
  SubscribeListener subscribe_listener_{*this};
  // Last, so it is destroyed first: its callbacks use everything above.
  std::unique_ptr<mqtt::async_client> client_;
};

}  // namespace edgegw
