#include "gateway/cloud/provisioning.h"

#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>

#include "gateway/cloud/claim_provisioning.h"
#include "gateway/cloud/dps_provisioning.h"
#include "gateway/model/reconnect_backoff.h"
#include "gateway/uplink/mqtt_transport.h"

namespace edgegw::cloud {

void run_until_finished(boost::asio::io_context& io, Transport& transport,
                        ProvisioningAttempt& attempt) {
  boost::asio::steady_timer timer(io);
  // After every event: done, or wait for the deadline (re-arming cancels the last wait).
  attempt.on_change([&] {
    if (attempt.finished()) {
      io.stop();
      return;
    }
    timer.expires_at(attempt.deadline());
    timer.async_wait([&](const boost::system::error_code& error) {
      if (!error) attempt.check_deadline();
    });
  });
  attempt.start();
  io.run();
  transport.stop();
  if (!attempt.identity()) throw ProvisioningError(attempt.error());
}

std::optional<boost::json::object> parse_answer(std::string_view payload) {
  boost::system::error_code error;
  boost::json::value value = boost::json::parse(payload, error);
  if (error || !value.is_object()) return std::nullopt;
  return std::move(value.as_object());
}

std::string answer_text(const boost::json::object& answer, std::string_view key) {
  const auto* value = answer.if_contains(key);
  if (!value) return {};
  if (value->is_string()) return std::string(value->as_string());
  return boost::json::serialize(*value);
}

std::string rejection_text(std::string_view payload) {
  const auto answer = parse_answer(payload);
  if (!answer) return std::string(payload.substr(0, 300));
  const std::string status = answer_text(*answer, "statusCode");
  const std::string code = answer_text(*answer, "errorCode");
  return (status.empty() ? "?" : status) + " " + (code.empty() ? "?" : code) + ": " +
         answer_text(*answer, "errorMessage");
}

std::string register_thing_topic(const std::string& template_name) {
  return "$aws/provisioning-templates/" + template_name + "/provision/json";
}

std::string seconds_text(std::chrono::milliseconds duration) {
  return format_number(static_cast<double>(duration.count()) / 1000.0) + " s";
}

DeviceIdentity provision_once(const GatewayConfig& config, const Clock& clock) {
  if (!config.provisioning) throw ProvisioningError("the config has no [provisioning] section");
  const IdentityStore store(config.identity.dir);
  boost::asio::io_context io;
  if (config.uplink.provider == "azure") {
    auto setup = dps_setup(config, store);
    MqttTransport transport(setup.profile, io, clock);
    DpsProvisioning attempt(setup.settings, store, transport, clock);
    spdlog::info("provisioning: registering {} with DPS at {}", setup.settings.registration_id,
                 setup.profile.server_uri());
    run_until_finished(io, transport, attempt);
    return *attempt.identity();
  }
  auto settings = claim_settings(config);
  const CloudProfile profile = claim_profile(config, settings.serial);
  settings.endpoint = profile.host;
  MqttTransport transport(profile, io, clock);
  ClaimProvisioning attempt(settings, store, transport, clock);
  spdlog::info("provisioning: connecting to {} with the claim certificate as {}",
               profile.server_uri(), profile.client_id);
  run_until_finished(io, transport, attempt);
  spdlog::info("provisioning: registered as thing {}; the claim certificate is no longer used",
               attempt.identity()->thing_name);
  return *attempt.identity();
}

std::optional<DeviceIdentity> provision(
    const GatewayConfig& config, const Clock& clock, int max_attempts,
    const std::function<bool(std::chrono::milliseconds)>& wait) {
  const auto& options = config.provisioning.value();
  ReconnectBackoff backoff({.min = std::chrono::seconds(options.retry_min_s),
                            .max = std::chrono::seconds(options.retry_max_s)},
                           clock);
  for (int attempt = 1;; ++attempt) {
    try {
      return provision_once(config, clock);
    } catch (const ProvisioningError& error) {
      if (max_attempts > 0 && attempt >= max_attempts) throw;
      const auto delay = backoff.next_delay();
      spdlog::error("provisioning failed (attempt {}): {}; trying again in {}", attempt,
                    error.what(), seconds_text(delay));
      if (!wait(delay)) return std::nullopt;
    }
  }
}

}  // namespace edgegw::cloud
