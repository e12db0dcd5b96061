#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace edgegw {

/// Publish tokens: a bundle's token is its bundle_seq; an alarm's is its id with this bit set.
inline constexpr std::uint64_t kAlarmTokenBit = std::uint64_t{1} << 63;
/// A control message (a command's answer; later shadow, twin and job messages): a counter with
/// this bit set.
inline constexpr std::uint64_t kControlTokenBit = std::uint64_t{1} << 62;

/// How one publish ended, as the uplink acts on it.
struct PublishResult {
  enum class Outcome {
    acked,    ///< the far side holds it (MQTT: a PUBACK with a success reason code)
    retry,    ///< not delivered for now (the connection went, the broker is busy): send again
    refused,  ///< refused for good (not authorised, too large): keep it, do not hammer
  };
  Outcome outcome = Outcome::acked;
  int reason_code = 0;  ///< the MQTT 5 PUBACK reason code; 0 under 3.1.1
  std::string reason;   ///< for the log and /api/v1/status
};

/// The outcome of a QoS 1 publish from what the client library reported: whether it completed,
/// and the PUBACK's reason code. Under MQTT 5 a reason code of 0x80 or above is not an
/// acknowledgement: the broker did not take the message. Server busy (0x89) and quota exceeded
/// (0x97) pass with time; every other such code (not authorised 0x87, topic name invalid 0x90,
/// packet too large 0x95, payload format invalid 0x99, ...) is a refusal that sending again
/// will not change. MQTT 3.1.1 has no way to refuse a publish: a broker that will not take it
/// acknowledges and drops it (mosquitto) or closes the connection (AWS IoT Core).
PublishResult classify_publish(bool completed, int reason_code, std::string_view detail);

/// A message the broker delivered on a subscription.
struct InboundMessage {
  std::string topic;
  std::string payload;
  /// The connection it arrived on, counted from 1. A request id that only pairs a request with
  /// its answer on one connection (IoT Hub's $rid) says nothing about requests on another.
  std::uint64_t session = 0;
};
using MessageHandler = std::function<void(const InboundMessage&)>;

/// The client certificate and key a TLS transport presents (PEM files).
struct ClientCredentials {
  std::string cert_file;
  std::string key_file;

  friend bool operator==(const ClientCredentials&, const ClientCredentials&) = default;
};
/// How trying a certificate ended: it connected (true), or why not.
using CredentialsTried = std::function<void(bool connected, const std::string& reason)>;

/// A subscription, and what the broker answered to it on the current connection.
struct SubscriptionState {
  enum class State {
    pending,  ///< not answered yet on this connection, or not connected
    granted,
    refused,  ///< the SUBACK refused it (not authorised, ...): nothing arrives on it
  };
  std::string filter;
  State state = State::pending;
  std::string reason;  ///< the broker's reason, for a refused one

  friend bool operator==(const SubscriptionState&, const SubscriptionState&) = default;
};
std::string_view to_string(SubscriptionState::State state);

/// Whether `topic` matches the MQTT topic filter `filter` ("+" one level, "#" the rest). Topics
/// starting with "$" match only filters that name their first level (MQTT 4.7.2).
bool topic_matches(std::string_view filter, std::string_view topic);

/// What the uplink publishes through and listens on: an MQTT client to the cloud, or a
/// directory. Implementations deliver events from whatever thread they like; the handlers
/// only enqueue.
class Transport {
 public:
  struct Handlers {
    /// The publish identified by `token` ended (acked, to be sent again, or refused).
    std::function<void(std::uint64_t token, const PublishResult& result)> on_result;
    /// The connection came up (true) or went down (false), with a reason for the log. Up is
    /// reported once the broker answered every subscription (an MQTT transport gives up
    /// waiting after 10 s), so a message sent to us from then on arrives. Every publish not
    /// yet acknowledged when it goes down is lost and must be sent again.
    std::function<void(bool connected, const std::string& reason)> on_connection;
  };

  virtual ~Transport() = default;
  /// Starts connecting (and reconnecting after any loss) until stop().
  virtual void start(Handlers handlers) = 0;
  virtual void stop() = 0;
  /// Queues a QoS 1 publish. Returns false, and queues nothing, when it cannot take it now
  /// (not connected); the caller tries again later.
  virtual bool publish(const std::string& topic, std::string_view payload, std::uint64_t token) = 0;
  /// Subscribes to `filter` at QoS 1 on every connection from now on (the session is clean, so
  /// each connect subscribes again) and hands each message that matches it to `handler`, on
  /// the transport's event thread. Call before start(). A transport that receives nothing (a
  /// directory) keeps nothing.
  virtual void subscribe(std::string filter, MessageHandler handler) = 0;
  /// Every subscription with the broker's answer on the current connection. Safe from any
  /// thread. A transport that receives nothing lists nothing.
  virtual std::vector<SubscriptionState> subscriptions() const = 0;

  /// Tries `candidate` (a renewed certificate) in place of the credentials in use, without
  /// dropping those: a connected transport disconnects and connects once with the candidate.
  /// If that session comes up, the candidate is kept and done(true, ""); otherwise the
  /// transport connects again at once with the credentials it had, and done(false, reason).
  /// Not connected, or a transport without a client certificate: done(false, why) at once.
  /// `done` runs on the transport's event thread.
  virtual void try_credentials(ClientCredentials candidate, CredentialsTried done) = 0;
  /// Presents `credentials` from the next connect on, without reconnecting (the certificate
  /// in use was moved to where it is kept).
  virtual void set_credentials(ClientCredentials credentials) = 0;
};

}  // namespace edgegw
