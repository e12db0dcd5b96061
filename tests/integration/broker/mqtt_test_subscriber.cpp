#include "tests/integration/broker/mqtt_test_subscriber.h"

#include <mqtt/async_client.h>

namespace edgegw {

std::unique_ptr<mqtt::async_client> make_test_client(const MosquittoBroker& broker,
                                                     const std::string& client_id) {
  return std::make_unique<mqtt::async_client>(
      "ssl://" + broker.host() + ":" + std::to_string(broker.port()), client_id,
      mqtt::create_options(MQTTVERSION_3_1_1));
}

mqtt::connect_options test_client_options(const MosquittoBroker& broker,
                                          const DeviceCredentials& credentials) {
  mqtt::ssl_options ssl;
  ssl.set_trust_store(broker.ca_file());
  ssl.set_key_store(credentials.cert_file);
  ssl.set_private_key(credentials.key_file);
  ssl.set_enable_server_cert_auth(true);
  ssl.set_verify(true);
  mqtt::connect_options options;
  options.set_mqtt_version(MQTTVERSION_3_1_1);
  options.set_clean_session(true);
  options.set_keep_alive_interval(5);
  options.set_ssl(std::move(ssl));
  return options;
}

MqttTestSubscriber::MqttTestSubscriber(MosquittoBroker& broker, std::string topic_filter,
                                       std::string client_id)
    : topic_filter_(std::move(topic_filter)) {
  client_ = make_test_client(broker, client_id);
  client_->set_message_callback([this](mqtt::const_message_ptr message) {
    std::lock_guard lock(mutex_);
    messages_.push_back({message->get_topic(), message->get_payload_str(), messages_.size()});
    changed_.notify_all();
  });
  client_->set_connection_lost_handler([this](const std::string&) {
    std::lock_guard lock(mutex_);
    subscribed_ = false;
  });
  auto options = test_client_options(broker, broker.make_device(client_id));
  options.set_automatic_reconnect(std::chrono::milliseconds(100), std::chrono::milliseconds(500));
  client_->connect(options)->wait();
  // Subscribing from here rather than from Paho's callback saves a turn of its command loop.
  client_->subscribe(topic_filter_, 1)->wait();
  {
    std::lock_guard lock(mutex_);
    subscribed_ = true;
  }
  // Paho's automatic reconnect brings the test client back after a broker restart; this
  // subscribes again, since the broker keeps no sessions.
  client_->set_connected_handler([this](const std::string&) { subscribe(); });
}

MqttTestSubscriber::~MqttTestSubscriber() {
  try {
    if (client_->is_connected()) client_->disconnect()->wait_for(std::chrono::seconds(2));
  } catch (const mqtt::exception&) {
    // The broker may already be gone; the client is destroyed either way.
  }
}

void MqttTestSubscriber::subscribe() {
  // Runs on Paho's callback thread: must not wait for the result there.
  client_->subscribe(topic_filter_, 1, nullptr, subscribe_listener_);
}

void MqttTestSubscriber::SubscribeListener::on_success(const mqtt::token&) {
  std::lock_guard lock(owner_.mutex_);
  owner_.subscribed_ = true;
  owner_.changed_.notify_all();
}

bool MqttTestSubscriber::wait_for_count(std::size_t count, std::chrono::milliseconds deadline) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, deadline, [&] { return messages_.size() >= count; });
}

bool MqttTestSubscriber::wait_until_subscribed(std::chrono::milliseconds deadline) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, deadline, [&] { return subscribed_; });
}

bool MqttTestSubscriber::publish(const std::string& topic, const std::string& payload) {
  try {
    return client_->publish(topic, payload.data(), payload.size(), 1, false)
        ->wait_for(std::chrono::seconds(10));
  } catch (const mqtt::exception&) {
    return false;
  }
}

bool MqttTestSubscriber::subscribed() const {
  std::lock_guard lock(mutex_);
  return subscribed_;
}

std::vector<ReceivedMessage> MqttTestSubscriber::messages() const {
  std::lock_guard lock(mutex_);
  return messages_;
}

std::size_t MqttTestSubscriber::count() const {
  std::lock_guard lock(mutex_);
  return messages_.size();
}

}  // namespace edgegw
