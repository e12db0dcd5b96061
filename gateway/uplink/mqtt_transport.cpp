#include "gateway/uplink/mqtt_transport.h"

#include <mqtt/async_client.h>
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <vector>

#include "gateway/model/reconnect_backoff.h"
#include "gateway/uplink/azure_sas.h"
#include "gateway/uplink/connection_probe.h"
#include "gateway/uplink/secret_file.h"
#include "gateway/uplink/tcp_nodelay.h"

namespace edgegw {
namespace {

constexpr auto kDisconnectTimeout = std::chrono::seconds(2);
constexpr auto kProbeDeadline = std::chrono::milliseconds(3000);
// How long a new connection waits for its SUBACKs before it is reported up without them.
constexpr auto kSubackDeadline = std::chrono::seconds(10);
// After AWS dropped the first connection of a certificate it registers just in time: long
// enough for the registration (a few control-plane calls), short next to a backoff.
constexpr auto kJitRegistrationRetry = std::chrono::seconds(2);

// Paho's own rc values on the connect token: CONNACK return codes are 1..5 in MQTT 3.1.1.
std::string connack_reason(int rc) {
  switch (rc) {
    case 1:
      return "connection refused: unacceptable protocol version";
    case 2:
      return "connection refused: client id rejected";
    case 3:
      return "connection refused: server unavailable";
    case 4:
      return "connection refused: bad user name or password";
    case 5:
      return "connection refused: not authorised";
    default:
      return {};
  }
}

}  // namespace

class MqttTransport::Core : public std::enable_shared_from_this<Core> {
 public:
  Core(CloudProfile profile, boost::asio::io_context& io, const Clock& clock)
      : profile_(std::move(profile)),
        credentials_{.cert_file = profile_.tls.cert_file, .key_file = profile_.tls.key_file},
        io_(io),
        clock_(clock),
        backoff_({.min = std::chrono::milliseconds(profile_.reconnect_min_ms),
                  .max = std::chrono::milliseconds(profile_.reconnect_max_ms),
                  .stable_after = std::chrono::seconds(30)},
                 clock_),
        reconnect_timer_(io),
        renew_timer_(io),
        suback_timer_(io),
        connect_listener_(*this, Operation::connect),
        publish_listener_(*this, Operation::publish),
        disconnect_listener_(*this, Operation::disconnect),
        subscribe_listener_(*this, Operation::subscribe) {
    mqtt::create_options create(paho_version());
    // Nothing is queued while offline: the SQLite buffer is the only store.
    create.set_send_while_disconnected(false);
    // No persistence object: Paho keeps nothing on disk (MQTTCLIENT_PERSISTENCE_NONE).
    client_ =
        std::make_unique<mqtt::async_client>(profile_.server_uri(), profile_.client_id, create);
    client_->set_connection_lost_handler([this](const std::string& cause) {
      from_paho([cause](Core& core) { core.on_connection_lost(cause); });
    });
    client_->set_message_callback([this](mqtt::const_message_ptr message) {
      if (!message) return;
      from_paho([inbound = InboundMessage{.topic = message->get_topic(),
                                          .payload = message->get_payload_str()}](Core& core) {
        core.deliver(inbound);
      });
    });
  }

  ~Core() {
    // stop() has closed the gate; Paho may still hold tokens that point at our listeners, so
    // the client goes first.
    client_.reset();
  }

  void start(Handlers handlers) {
    std::lock_guard lock(mutex_);
    if (started_ || stopped_) return;
    started_ = true;
    handlers_ = std::move(handlers);
    boost::asio::post(io_, [self = shared_from_this()] { self->attempt_connect(); });
  }

  void stop() {
    {
      // Closing the gate first: from here on, Paho's threads post nothing.
      std::lock_guard gate(gate_mutex_);
      gate_open_ = false;
    }
    // Taking the state mutex waits for a handler that is running right now.
    std::lock_guard lock(mutex_);
    if (stopped_) return;
    stopped_ = true;
    pending_.clear();
    // Pending timers would keep io_context::run() busy until they fire.
    reconnect_timer_.cancel();
    renew_timer_.cancel();
    suback_timer_.cancel();
    bool was_connected = connected_;
    connected_ = false;
    if (was_connected || connecting_) {
      try {
        client_->disconnect(static_cast<int>(std::chrono::milliseconds(kDisconnectTimeout).count()))
            ->wait_for(kDisconnectTimeout + std::chrono::seconds(1));
      } catch (const mqtt::exception& error) {
        spdlog::debug("mqtt: disconnect on stop: {}", error.what());
      }
    }
    if (was_connected) spdlog::info("mqtt: disconnected from {}", profile_.server_uri());
  }

  bool publish(const std::string& topic, std::string_view payload, std::uint64_t token) {
    std::lock_guard lock(mutex_);
    if (!connected_ || stopped_) return false;
    // Registered before the call so a PUBACK racing back on Paho's thread finds it.
    std::uintptr_t id = next_publish_id_++;
    pending_.emplace(id, token);
    try {
      auto message = mqtt::make_message(topic, payload.data(), payload.size(), 1, false);
      client_->publish(message, reinterpret_cast<void*>(id), publish_listener_);
      return true;
    } catch (const mqtt::exception& error) {
      pending_.erase(id);
      spdlog::warn("mqtt: publish on {} refused by the client: {}", topic, error.what());
      return false;
    }
  }

  void subscribe(std::string filter, MessageHandler handler) {
    std::lock_guard lock(mutex_);
    subscriptions_.push_back({.filter = std::move(filter),
                              .handler = std::move(handler),
                              .state = State::pending,
                              .reason = {}});
    if (connected_) subscribe_one(subscriptions_.size() - 1);
  }

  bool connected() const {
    std::lock_guard lock(mutex_);
    return connected_;
  }

  std::vector<SubscriptionState> subscriptions() const {
    std::lock_guard lock(mutex_);
    std::vector<SubscriptionState> out;
    for (const auto& subscription : subscriptions_) {
      out.push_back({.filter = subscription.filter,
                     .state = subscription.state,
                     .reason = subscription.reason});
    }
    return out;
  }

  const CloudProfile& profile() const { return profile_; }

  void try_credentials(ClientCredentials candidate, CredentialsTried done) {
    std::lock_guard lock(mutex_);
    std::string refusal;
    if (!profile_.use_tls || credentials_.cert_file.empty()) {
      refusal = "the uplink has no client certificate";
    } else if (stopped_ || !connected_) {
      refusal = "not connected";
    } else if (trial_) {
      refusal = "another certificate is being tried";
    }
    if (!refusal.empty()) {
      boost::asio::post(io_, [done = std::move(done), refusal] { done(false, refusal); });
      return;
    }
    spdlog::info("mqtt: reconnecting with the certificate {} to try it", candidate.cert_file);
    trial_ = CredentialTrial{.previous = credentials_, .done = std::move(done), .attempt = 0};
    credentials_ = std::move(candidate);
    restart_session("trying a renewed certificate");
  }

  void set_credentials(ClientCredentials credentials) {
    std::lock_guard lock(mutex_);
    credentials_ = std::move(credentials);
  }

 private:
  enum class Operation { connect, publish, disconnect, subscribe };

  struct Subscription {
    std::string filter;
    MessageHandler handler;
    SubscriptionState::State state = SubscriptionState::State::pending;
    std::string reason;
  };
  using State = SubscriptionState::State;

  int paho_version() const {
    return profile_.mqtt_version == 5 ? MQTTVERSION_5 : MQTTVERSION_3_1_1;
  }

  /// What Paho said of one operation: success or failure, its own return code, and the MQTT 5
  /// reason code (0 under 3.1.1).
  struct Result {
    bool ok = false;
    int rc = 0;
    int reason_code = 0;
  };

  // One listener per kind of operation; the token's user context says which one it was.
  class Listener final : public mqtt::iaction_listener {
   public:
    Listener(Core& core, Operation operation) : core_(core), operation_(operation) {}
    void on_success(const mqtt::token& token) override { report(token, true); }
    void on_failure(const mqtt::token& token) override { report(token, false); }

   private:
    void report(const mqtt::token& token, bool ok) {
      auto context = reinterpret_cast<std::uintptr_t>(token.get_user_context());
      // Under 3.1.1 Paho reports its own marker (MQTTPP_V3_CODE, 255) for "no reason code";
      // 0 says the same without looking like a failure code.
      const int reason_code = token.get_reason_code() == mqtt::MQTTPP_V3_CODE
                                  ? 0
                                  : static_cast<int>(token.get_reason_code());
      const Result result{.ok = ok, .rc = token.get_return_code(), .reason_code = reason_code};
      auto operation = operation_;
      core_.from_paho([=](Core& core) { core.on_result(operation, context, result); });
    }
    Core& core_;
    Operation operation_;
  };

  // Paho threads come through here only: they post and never touch state.
  template <class Work>
  void from_paho(Work work) {
    std::lock_guard gate(gate_mutex_);
    if (!gate_open_) return;
    boost::asio::post(io_, [self = shared_from_this(), work = std::move(work)]() mutable {
      std::lock_guard lock(self->mutex_);
      if (self->stopped_) return;
      work(*self);
    });
  }

  void notify_connection(bool up, const std::string& reason) {
    if (handlers_.on_connection) handlers_.on_connection(up, reason);
  }

  mqtt::connect_options make_connect_options() {
    mqtt::connect_options options;
    options.set_mqtt_version(paho_version());
    // The gateway re-sends its own in-flight bundles after every connect and subscribes again,
    // so the broker need not remember anything for us: a clean session (3.1.1) or clean start
    // with no session expiry (5).
    if (profile_.mqtt_version == 5) {
      options.set_clean_session(false);  // Paho refuses the 3.1.1 flag on a version 5 connect
      options.set_clean_start(true);
    } else {
      options.set_clean_session(true);
    }
    options.set_automatic_reconnect(false);
    options.set_keep_alive_interval(profile_.keepalive_s);
    options.set_connect_timeout(profile_.connect_timeout_s);
    if (!profile_.username.empty()) options.set_user_name(profile_.username);
    if (!profile_.password_file.empty()) {
      options.set_password(read_secret_file(profile_.password_file, "uplink.password_file"));
    }
    if (profile_.sas) {
      auto key = read_secret_file(profile_.sas->key_file, "uplink.azure.device_key_file");
      auto now_s = clock_.wall_ms() / 1000;
      try {
        options.set_password(make_sas_token(profile_.sas->resource_uri, key,
                                            now_s + profile_.sas->ttl_s, profile_.sas->key_name));
      } catch (const std::invalid_argument& error) {
        throw SecretFileError("uplink.azure.device_key_file \"" + profile_.sas->key_file +
                              "\" does not hold a base64 device key: " + error.what());
      }
    }
    if (profile_.use_tls) {
      const auto& tls = profile_.tls;
      mqtt::ssl_options ssl;
      if (!tls.ca_file.empty()) {
        check_readable_file(tls.ca_file, "uplink.tls.ca_file");
        ssl.set_trust_store(tls.ca_file);
      }
      if (!credentials_.cert_file.empty()) {
        check_readable_file(credentials_.cert_file, "uplink.tls.cert_file");
        check_secret_file(credentials_.key_file, "uplink.tls.key_file");
        ssl.set_key_store(credentials_.cert_file);
        ssl.set_private_key(credentials_.key_file);
      }
      ssl.set_enable_server_cert_auth(true);
      // Host name check after the handshake; Paho sends SNI for the host in the URI as given.
      ssl.set_verify(tls.verify_hostname);
      // Asks for 1.2 as the floor. Debian's Paho still negotiates 1.3 (tested), and OpenSSL 3
      // refuses anything below 1.2 at its default security level in any case.
      ssl.set_ssl_version(MQTT_SSL_VERSION_TLS_1_2);
      options.set_ssl(std::move(ssl));
    }
    return options;
  }

  void attempt_connect() {
    std::lock_guard lock(mutex_);
    if (stopped_ || connected_ || connecting_) return;
    ++attempt_;
    // The first attempt after a trial began is the one with the candidate.
    if (trial_ && trial_->attempt == 0) trial_->attempt = attempt_;
    mqtt::connect_options options;
    try {
      options = make_connect_options();
    } catch (const SecretFileError& error) {
      attempt_failed(std::string("cannot use credentials: ") + error.what());
      return;
    }
    connecting_ = true;
    spdlog::debug("mqtt: connecting to {} as {}", profile_.server_uri(), profile_.client_id);
    try {
      client_->connect(options, reinterpret_cast<void*>(attempt_), connect_listener_);
    } catch (const mqtt::exception& error) {
      connecting_ = false;
      attempt_failed(std::string("connect failed: ") + error.what());
    }
  }

  void attempt_failed(const std::string& reason) {
    spdlog::error("mqtt: cannot connect to {}: {}", profile_.server_uri(), reason);
    notify_connection(false, reason);
    // The candidate did not connect: straight back to the credentials that did.
    if (end_trial(false, reason)) return attempt_connect();
    schedule_reconnect();
  }

  /// Ends a credential trial whose attempt this is: kept (ok) or reverted. False when no trial
  /// is on this attempt.
  bool end_trial(bool ok, const std::string& reason) {
    if (!trial_ || trial_->attempt != attempt_) return false;
    auto done = std::move(trial_->done);
    if (!ok) {
      spdlog::warn("mqtt: the certificate {} did not connect ({}); back to {}",
                   credentials_.cert_file, reason, trial_->previous.cert_file);
      credentials_ = trial_->previous;
    }
    trial_.reset();
    boost::asio::post(io_, [done = std::move(done), ok, reason] { done(ok, reason); });
    return true;
  }

  void schedule_reconnect() {
    if (stopped_) return;
    auto delay = backoff_.next_delay();
    spdlog::info("mqtt: next connect attempt in {} ms", delay.count());
    reconnect_timer_.expires_after(delay);
    reconnect_timer_.async_wait([self = shared_from_this()](boost::system::error_code error) {
      if (!error) self->attempt_connect();
    });
  }

  void on_result(Operation operation, std::uintptr_t context, const Result& result) {
    switch (operation) {
      case Operation::connect:
        return on_connect_result(context, result);
      case Operation::publish:
        return on_publish_result(context, result);
      case Operation::disconnect:
        return on_renewal_disconnected();
      case Operation::subscribe:
        return on_subscribe_result(context, result);
    }
  }

  // The connection is reported up once every subscription of this connect is answered, so a
  // message sent to us right after "connected" (a command) is not missed because the broker
  // did not have the subscription yet; or after kSubackDeadline, so a broker that never
  // answers one cannot keep the uplink down.
  void subscribe_all() {
    subacks_pending_ = subscriptions_.size();
    up_reported_ = false;
    for (auto& subscription : subscriptions_) answered(subscription, State::pending, {});
    for (std::size_t i = 0; i < subscriptions_.size(); ++i) subscribe_one(i);
    if (subacks_pending_ == 0) return report_up();
    suback_timer_.expires_after(kSubackDeadline);
    suback_timer_.async_wait([self = shared_from_this()](boost::system::error_code error) {
      if (error) return;
      std::lock_guard lock(self->mutex_);
      if (self->stopped_ || !self->connected_ || self->up_reported_) return;
      spdlog::warn("mqtt: {} subscription(s) unanswered after {} s; going on without them",
                   self->subacks_pending_,
                   std::chrono::duration_cast<std::chrono::seconds>(kSubackDeadline).count());
      self->report_up();
    });
  }

  void subscribe_one(std::size_t index) {
    try {
      client_->subscribe(subscriptions_[index].filter, 1, reinterpret_cast<void*>(index),
                         subscribe_listener_);
    } catch (const mqtt::exception& error) {
      spdlog::error("mqtt: cannot subscribe to {}: {}", subscriptions_[index].filter, error.what());
      answered(subscriptions_[index], State::refused, error.what());
      subscription_answered();
    }
  }

  static void answered(Subscription& subscription, State state, std::string reason) {
    subscription.state = state;
    subscription.reason = std::move(reason);
  }

  void on_subscribe_result(std::uintptr_t index, const Result& result) {
    if (index >= subscriptions_.size()) return;
    const auto& filter = subscriptions_[index].filter;
    // A SUBACK granting QoS 0, 1 or 2 is a subscription; 0x80 and above is a refusal.
    if (result.ok && result.reason_code < 0x80) {
      spdlog::debug("mqtt: subscribed to {}", filter);
      answered(subscriptions_[index], State::granted, {});
    } else {
      std::string reason = result.reason_code >= 0x80
                               ? "reason code " + std::to_string(result.reason_code) + ": " +
                                     mqtt::exception::reason_code_str(result.reason_code)
                               : mqtt::exception::error_str(result.rc);
      spdlog::error("mqtt: the broker refused the subscription to {}: {}", filter, reason);
      answered(subscriptions_[index], State::refused, std::move(reason));
    }
    subscription_answered();
  }

  void subscription_answered() {
    if (subacks_pending_ > 0 && --subacks_pending_ == 0 && connected_) report_up();
  }

  void report_up() {
    if (up_reported_) return;
    up_reported_ = true;
    session_up_once_ = true;
    suback_timer_.cancel();
    end_trial(true, {});
    notify_connection(true, "connected to " + profile_.server_uri());
  }

  void deliver(InboundMessage message) {
    // Messages are posted in the order Paho saw them, a new connection's result included, so
    // this is the session the message came on.
    message.session = sessions_;
    bool matched = false;
    for (const auto& subscription : subscriptions_) {
      if (!topic_matches(subscription.filter, message.topic)) continue;
      matched = true;
      try {
        subscription.handler(message);
      } catch (const std::exception& error) {
        // On the io thread: an escaping exception would end the process.
        spdlog::error("mqtt: the handler of {} failed on a message on {}: {}", subscription.filter,
                      message.topic, error.what());
      }
    }
    if (!matched) spdlog::debug("mqtt: a message on {} that nothing subscribed to", message.topic);
  }

  void on_connect_result(std::uintptr_t attempt, const Result& result) {
    if (attempt != attempt_ || !connecting_) return;
    connecting_ = false;
    const int rc = result.rc;
    if (result.ok) {
      connected_ = true;
      ++sessions_;
      backoff_.connected();
      spdlog::info("mqtt: connected to {} as {} (MQTT {})", profile_.server_uri(),
                   profile_.client_id, profile_.mqtt_version == 5 ? "5" : "3.1.1");
      schedule_sas_renewal();
      if (disable_nagle_towards(profile_.port).empty()) {
        spdlog::debug("mqtt: found no socket to {} to turn Nagle's algorithm off on", profile_.port);
      }
      // A clean session holds no subscriptions: every connect makes them again.
      subscribe_all();
      return;
    }
    auto reason =
        result.reason_code >= 0x80
            ? "connection refused: " + mqtt::exception::reason_code_str(result.reason_code)
            : connack_reason(rc);
    if (!reason.empty()) return attempt_failed(reason);
    // Paho reports TCP and TLS failures alike as "failure"; a probe of our own finds out which
    // (refused, unreachable, which certificate the handshake stumbled on). The attempt stays
    // open meanwhile, so no other starts.
    connecting_ = true;
    probe_connection(
        io_, profile_, kProbeDeadline,
        [self = shared_from_this(), attempt, rc](const ProbeFinding& finding) {
          std::lock_guard lock(self->mutex_);
          if (self->stopped_ || attempt != self->attempt_) return;
          self->connecting_ = false;
          if (finding.session_dropped && self->registration_drop_expected()) {
            return self->registration_drop();
          }
          self->attempt_failed(finding.text + " (Paho: " + mqtt::exception::error_str(rc) + ")");
        });
  }

  void on_publish_result(std::uintptr_t id, const Result& result) {
    auto found = pending_.find(id);
    if (found == pending_.end()) {
      // From a connection that is gone; the uplink sends that bundle again anyway.
      spdlog::debug("mqtt: publish #{} of a lost connection {} (rc {})", id,
                    result.ok ? "acked late" : "failed", result.rc);
      return;
    }
    auto token = found->second;
    pending_.erase(found);
    const std::string detail =
        result.reason_code >= 0x80
            ? "reason code " + std::to_string(result.reason_code) + ": " +
                  mqtt::exception::reason_code_str(result.reason_code)
            : (result.ok ? std::string() : mqtt::exception::error_str(result.rc));
    const PublishResult outcome = classify_publish(result.ok, result.reason_code, detail);
    if (outcome.outcome == PublishResult::Outcome::retry && result.reason_code < 0x80) {
      // Lost with its connection, most likely: the uplink sends it again after the next connect.
      spdlog::debug("mqtt: publish {} failed before its PUBACK (rc {})", token, result.rc);
    }
    if (handlers_.on_result) handlers_.on_result(token, outcome);
  }

  void on_connection_lost(const std::string& cause) {
    if (!connected_) return;
    // Dropped before the first session was up (its SUBACKs not yet in): AWS registering the
    // certificate after the CONNACK rather than before.
    const bool registration = registration_drop_expected();
    connected_ = false;
    auto unacked = pending_.size();
    pending_.clear();
    renew_timer_.cancel();
    suback_timer_.cancel();
    subacks_pending_ = 0;
    for (auto& subscription : subscriptions_) answered(subscription, State::pending, {});
    backoff_.disconnected();
    std::string reason = "connection lost";
    if (!cause.empty()) reason += ": " + cause;
    if (unacked > 0) {
      reason += " (" + std::to_string(unacked) + " publishes had no PUBACK; they go again)";
    }
    if (registration) return registration_drop();
    spdlog::warn("mqtt: {} ({})", reason, profile_.server_uri());
    notify_connection(false, reason);
    // Dropped before the session was up: the candidate certificate is not good for it.
    if (!up_reported_ && end_trial(false, reason)) return attempt_connect();
    schedule_reconnect();
  }

  /// Whether a dropped session now is AWS registering the certificate: expected once, before
  /// any session with it was up.
  bool registration_drop_expected() const {
    return profile_.first_connection_may_drop && !registration_drop_seen_ && !session_up_once_;
  }

  void registration_drop() {
    registration_drop_seen_ = true;
    spdlog::info(
        "mqtt: {} dropped the first connection with this certificate, as AWS IoT does "
        "while it registers a certificate just in time (JITP/JITR); connecting again "
        "in {} s",
        profile_.server_uri(), kJitRegistrationRetry.count());
    notify_connection(false,
                      "first connection dropped while AWS registers the certificate "
                      "(just-in-time registration); connecting again");
    reconnect_timer_.expires_after(kJitRegistrationRetry);
    reconnect_timer_.async_wait([self = shared_from_this()](boost::system::error_code error) {
      if (!error) self->attempt_connect();
    });
  }

  // A SAS token cannot be refreshed on a live MQTT session, so the session is renewed: a clean
  // disconnect and an immediate connect with a new token, well before the old one runs out.
  void schedule_sas_renewal() {
    if (!profile_.sas) return;
    auto after = std::chrono::milliseconds(static_cast<std::int64_t>(
        static_cast<double>(profile_.sas->ttl_s) * 1000.0 * profile_.sas->renew_at_fraction));
    renew_timer_.expires_after(after);
    renew_timer_.async_wait([self = shared_from_this()](boost::system::error_code error) {
      if (error) return;
      std::lock_guard lock(self->mutex_);
      if (self->stopped_ || !self->connected_) return;
      spdlog::info("mqtt: reconnecting with a fresh SAS token");
      self->restart_session("renewing the SAS token");
    });
  }

  /// A clean disconnect and, once it is done, an immediate connect (new credentials).
  void restart_session(const std::string& reason) {
    connected_ = false;
    pending_.clear();
    notify_connection(false, reason);
    try {
      client_->disconnect(static_cast<int>(std::chrono::milliseconds(kDisconnectTimeout).count()),
                          nullptr, disconnect_listener_);
    } catch (const mqtt::exception&) {
      on_renewal_disconnected();
    }
  }

  void on_renewal_disconnected() {
    backoff_.reset();
    attempt_connect();
  }

  /// A certificate being tried (try_credentials) and what to go back to.
  struct CredentialTrial {
    ClientCredentials previous;
    CredentialsTried done;
    std::uintptr_t attempt = 0;  // the connect attempt made with the candidate; 0: not yet
  };

  const CloudProfile profile_;
  ClientCredentials credentials_;  // presented from the next connect on; guarded by mutex_
  std::optional<CredentialTrial> trial_;
  boost::asio::io_context& io_;
  const Clock& clock_;

  // Guards everything below and is held while a handler runs, so stop() can wait for it.
  // Recursive because a handler may publish or stop from inside.
  mutable std::recursive_mutex mutex_;
  ReconnectBackoff backoff_;
  std::uint64_t sessions_ = 0;  // connections made so far
  boost::asio::steady_timer reconnect_timer_;
  boost::asio::steady_timer renew_timer_;
  boost::asio::steady_timer suback_timer_;
  std::size_t subacks_pending_ = 0;      // subscriptions of this connect not answered yet
  bool up_reported_ = false;             // on_connection(true) went out for this connect
  bool session_up_once_ = false;         // some connection was reported up
  bool registration_drop_seen_ = false;  // the one drop first_connection_may_drop allows
  Handlers handlers_;
  bool started_ = false;
  bool stopped_ = false;
  bool connecting_ = false;
  bool connected_ = false;
  std::uintptr_t attempt_ = 0;
  std::uintptr_t next_publish_id_ = 1;
  std::map<std::uintptr_t, std::uint64_t> pending_;

  // Paho's threads only take this one, never mutex_: Paho may hold its own lock while calling
  // back, and we hold mutex_ while calling into Paho.
  std::mutex gate_mutex_;
  bool gate_open_ = true;

  std::vector<Subscription> subscriptions_;

  Listener connect_listener_;
  Listener publish_listener_;
  Listener disconnect_listener_;
  Listener subscribe_listener_;
  std::unique_ptr<mqtt::async_client> client_;
};

MqttTransport::MqttTransport(CloudProfile profile, boost::asio::io_context& io, const Clock& clock)
    : core_(std::make_shared<Core>(std::move(profile), io, clock)) {}

MqttTransport::~MqttTransport() {
  core_->stop();
}

void MqttTransport::start(Handlers handlers) {
  core_->start(std::move(handlers));
}

void MqttTransport::stop() {
  core_->stop();
}

bool MqttTransport::publish(const std::string& topic, std::string_view payload,
                            std::uint64_t token) {
  return core_->publish(topic, payload, token);
}

void MqttTransport::subscribe(std::string filter, MessageHandler handler) {
  core_->subscribe(std::move(filter), std::move(handler));
}

std::vector<SubscriptionState> MqttTransport::subscriptions() const {
  return core_->subscriptions();
}

void MqttTransport::try_credentials(ClientCredentials candidate, CredentialsTried done) {
  core_->try_credentials(std::move(candidate), std::move(done));
}

void MqttTransport::set_credentials(ClientCredentials credentials) {
  core_->set_credentials(std::move(credentials));
}

bool MqttTransport::connected() const {
  return core_->connected();
}

const CloudProfile& MqttTransport::profile() const {
  return core_->profile();
}

}  // namespace edgegw
