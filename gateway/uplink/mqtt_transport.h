#pragma once

#include <boost/asio/io_context.hpp>
#include <memory>

#include "gateway/model/clock.h"
#include "gateway/uplink/cloud_profile.h"
#include "gateway/uplink/transport.h"

namespace edgegw {

/// Transport over MQTT 5 or 3.1.1 (profile.mqtt_version; Paho C++ async_client): QoS 1, a clean
/// session (clean start under 5) that subscribes again on every connect, no Paho persistence
/// and no offline buffering (the SQLite buffer is the only store), mutual TLS when the profile
/// says so. It reconnects by itself with capped exponential backoff and full jitter; Paho's own
/// reconnect is off. Paho's threads only post to `io`; every handler runs on `io`.
///
/// on_connection(false, reason) is reported for every failed connect attempt as well as for a
/// lost connection, so a status page can show the last reason (TLS handshake failure, refused,
/// not authorised, a key file readable by others, ...). Paho reports TCP and TLS failures as
/// one "failure" code, so after one the transport probes the broker itself (connection_probe.h)
/// to name the cause. Credential files are checked before each attempt: a key, password or
/// device key file with any group/other permission bit is refused.
///
/// What Paho does underneath (seen against mosquitto, pinned by tests/integration/broker):
/// - A broker that is frozen (SIGSTOP) keeps its socket: publishes are accepted and written,
///   no PUBACK comes, and if it resumes within the keep-alive the PUBACKs arrive and are acked.
/// - Past the keep-alive without PINGRESP, Paho drops the connection; every QoS 1 publish
///   awaiting its PUBACK fails (MQTTASYNC_OPERATION_INCOMPLETE) and is never acked here. With a
///   clean session nothing is re-sent by Paho; the uplink re-sends after the next connect.
/// - Under MQTT 5 a PUBACK with a reason code of 0x80 or above fails the publish (Paho calls
///   on_failure with the code): classify_publish() makes it a refusal or a retry. mosquitto
///   answers 135 (not authorised) for a topic its ACL denies; under 3.1.1 it acks and drops.
/// - With SAS credentials the session is renewed (clean disconnect, connect with a new token)
///   at 80% of the token's lifetime, reported as on_connection(false, "renewing the SAS token").
/// - A renewed certificate is tried the same way (a clean disconnect, a connect with it) and
///   kept only once that session is up; a handshake it fails, a refused CONNACK or a drop
///   before the SUBACKs sends the transport straight back to the certificate it had.
class MqttTransport final : public Transport {
 public:
  MqttTransport(CloudProfile profile, boost::asio::io_context& io, const Clock& clock);
  ~MqttTransport() override;
  MqttTransport(const MqttTransport&) = delete;
  MqttTransport& operator=(const MqttTransport&) = delete;

  void start(Handlers handlers) override;
  /// Disconnects cleanly; once it returns no handler runs any more. Safe from any thread,
  /// including from inside a handler. Final: the transport cannot be started again.
  void stop() override;
  bool publish(const std::string& topic, std::string_view payload, std::uint64_t token) override;
  void subscribe(std::string filter, MessageHandler handler) override;
  /// Pending from every connect until the SUBACK, and while disconnected.
  std::vector<SubscriptionState> subscriptions() const override;
  void try_credentials(ClientCredentials candidate, CredentialsTried done) override;
  void set_credentials(ClientCredentials credentials) override;

  /// Whether the MQTT session is up right now.
  bool connected() const;
  const CloudProfile& profile() const;

 private:
  class Core;
  std::shared_ptr<Core> core_;
};

}  // namespace edgegw
