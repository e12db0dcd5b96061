#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "gateway/cloud/identity_store.h"
#include "gateway/config/config.h"
#include "gateway/model/clock.h"
#include "gateway/uplink/transport.h"

namespace edgegw::cloud {

/// One attempt at getting the device its identity over an MQTT connection (AWS fleet
/// provisioning by claim, Azure DPS), driven by the transport's events and by its deadline,
/// all on one thread.
class ProvisioningAttempt {
 public:
  virtual ~ProvisioningAttempt() = default;
  /// Subscribes to the answer topics and starts the transport.
  virtual void start() = 0;
  /// Acts on the deadline if it has passed: fails the step, or (DPS) asks again.
  virtual void check_deadline() = 0;
  virtual bool finished() const = 0;
  std::chrono::steady_clock::time_point deadline() const { return deadline_; }
  /// Why the attempt failed.
  const std::string& error() const { return error_; }
  /// The identity stored, once it succeeded.
  const std::optional<DeviceIdentity>& identity() const { return identity_; }

  /// Runs after every event that may have moved the step or the deadline.
  void on_change(std::function<void()> callback) { on_change_ = std::move(callback); }

 protected:
  void changed() const {
    if (on_change_) on_change_();
  }

  std::string error_;
  std::optional<DeviceIdentity> identity_;
  std::chrono::steady_clock::time_point deadline_{};
  std::string last_connection_error_;  ///< for a connect that times out

 private:
  std::function<void()> on_change_;
};

/// A provisioning attempt that did not give the device its identity; what() says why.
class ProvisioningError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A provisioning answer's JSON object, or nullopt for anything else.
std::optional<boost::json::object> parse_answer(std::string_view payload);
/// The member `key` of an answer as text: a string as it is, a number as its JSON (DPS error
/// codes), empty when there is none.
std::string answer_text(const boost::json::object& answer, std::string_view key);
/// A rejection of the AWS fleet-provisioning API ({"statusCode", "errorCode", "errorMessage"})
/// as "400 InvalidCsr: the CSR is not valid"; the payload's start when it is not one.
std::string rejection_text(std::string_view payload);

/// The AWS fleet-provisioning API's request topics (json payloads); answers come on
/// "<topic>/accepted" and "<topic>/rejected".
inline constexpr const char* kCreateFromCsrTopic = "$aws/certificates/create-from-csr/json";
inline constexpr const char* kCreateKeysTopic = "$aws/certificates/create/json";
std::string register_thing_topic(const std::string& template_name);

/// "30 s", "1.5 s": a duration in the words of provisioning's messages.
std::string seconds_text(std::chrono::milliseconds duration);

/// Runs `attempt`, made for `transport` on `io`, until it finishes or `io` is stopped from
/// another thread, then stops the transport. Throws ProvisioningError with the attempt's error
/// when it did not succeed (an empty one when it was stopped).
void run_until_finished(boost::asio::io_context& io, Transport& transport,
                        ProvisioningAttempt& attempt);

/// One attempt over MQTT with the provider's provisioning ([provisioning]; AWS: the uplink's
/// host with the claim certificate; Azure: DPS). Returns the identity it stored; throws
/// ProvisioningError (or IdentityError, ConfigError).
DeviceIdentity provision_once(const GatewayConfig& config, const Clock& clock);

/// Attempts until one succeeds or `max_attempts` have failed (0: no limit), waiting between
/// them a random time up to provisioning.retry_min_s, doubling per failure up to retry_max_s.
/// `wait(delay)` sleeps and returns false to give up (a stop signal). Every failure is logged
/// with its reason and the wait. Returns the identity, or nullopt when it gave up; with a
/// limit, the last failure is rethrown once the limit is reached.
std::optional<DeviceIdentity> provision(const GatewayConfig& config, const Clock& clock,
                                        int max_attempts,
                                        const std::function<bool(std::chrono::milliseconds)>& wait);

}  // namespace edgegw::cloud
