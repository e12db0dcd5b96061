#include "gateway/cloud/dps_provisioning.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <charconv>

#include "gateway/cloud/device_key.h"
#include "gateway/cloud/iothub_topic.h"
#include "gateway/cloud/provisioning_options.h"
#include "gateway/durable_file.h"
#include "gateway/uplink/azure_sas.h"
#include "gateway/uplink/secret_file.h"

namespace edgegw::cloud {
namespace {

namespace json = boost::json;

constexpr std::string_view kAnswers = "$dps/registrations/res/";
constexpr auto kDefaultRetryAfter = std::chrono::seconds(3);
constexpr auto kMaxRetryAfter = std::chrono::seconds(60);

/// "$dps/registrations/res/202/?$rid=1&retry-after=3": the status and one query value.
struct Answer {
  int status = 0;
  std::string request_id;
  std::optional<int> retry_after_s;
};

std::optional<Answer> parse_answer_topic(std::string_view topic) {
  const auto status = answer_status(topic, kAnswers);
  if (!status) return std::nullopt;
  Answer answer{
      .status = *status, .request_id = topic_parameter(topic, "$rid"), .retry_after_s = {}};
  const std::string retry_after = topic_parameter(topic, "retry-after");
  int seconds = 0;
  if (std::from_chars(retry_after.data(), retry_after.data() + retry_after.size(), seconds).ec ==
      std::errc{}) {
    answer.retry_after_s = seconds;
  }
  return answer;
}

}  // namespace

DpsProvisioning::DpsProvisioning(Settings settings, const IdentityStore& store,
                                 Transport& transport, const Clock& clock)
    : settings_(std::move(settings)),
      csr_base64_(settings_.csr_pem.empty() ? "" : base64_encode(csr_der(settings_.csr_pem))),
      store_(store),
      transport_(transport),
      clock_(clock) {}

void DpsProvisioning::start() {
  transport_.subscribe(std::string(kAnswers) + "#",
                       [this](const InboundMessage& message) { on_answer(message); });
  enter(Step::connecting, settings_.timeout);
  transport_.start(
      {.on_result = [this](std::uint64_t, const PublishResult& result) { on_result(result); },
       .on_connection = [this](bool connected,
                               const std::string& reason) { on_connection(connected, reason); }});
  changed();
}

void DpsProvisioning::check_deadline() {
  if (finished() || clock_.monotonic() < deadline_) return;
  const std::string waited = seconds_text(settings_.timeout);
  switch (step_) {
    case Step::waiting:
      send();
      break;
    case Step::connecting:
      fail("could not connect to DPS within " + waited +
           (last_connection_error_.empty() ? "" : ": " + last_connection_error_));
      break;
    case Step::registering:
    case Step::polling:
      fail("no answer from DPS on " + std::string(kAnswers) + "# within " + waited);
      break;
    case Step::succeeded:
    case Step::failed:
      break;
  }
  changed();
}

void DpsProvisioning::on_connection(bool connected, const std::string& reason) {
  if (finished()) return;
  if (!connected) {
    last_connection_error_ = reason;
    // DPS keeps no session: what was asked on the lost connection is asked again.
    if (step_ != Step::connecting) enter(Step::connecting, settings_.timeout);
  } else if (step_ == Step::connecting) {
    send();
  }
  changed();
}

void DpsProvisioning::send() {
  request_id_ = std::to_string(next_request_++);
  std::string topic;
  std::string payload;
  if (operation_id_.empty()) {
    enter(Step::registering, settings_.timeout);
    topic = "$dps/registrations/PUT/iotdps-register/?$rid=" + request_id_;
    json::object request{{"registrationId", settings_.registration_id}};
    if (auto custom = parse_answer(settings_.payload)) request["payload"] = std::move(*custom);
    if (!csr_base64_.empty()) request["csr"] = csr_base64_;
    payload = json::serialize(request);
  } else {
    enter(Step::polling, settings_.timeout);
    topic = "$dps/registrations/GET/iotdps-get-operationstatus/?$rid=" + request_id_ +
            "&operationId=" + operation_id_;
  }
  // Not taken: the connection went; on_connection(false) brings the attempt back.
  if (!transport_.publish(topic, payload, next_request_))
    enter(Step::connecting, settings_.timeout);
}

void DpsProvisioning::on_result(const PublishResult& result) {
  if (finished() || result.outcome != PublishResult::Outcome::refused) return;
  fail("DPS refused the request: " + result.reason);
  changed();
}

void DpsProvisioning::on_answer(const InboundMessage& message) {
  if (step_ != Step::registering && step_ != Step::polling) return;
  const auto answer = parse_answer_topic(message.topic);
  if (!answer || answer->request_id != request_id_) return;
  const auto retry_after = std::clamp<std::chrono::milliseconds>(
      answer->retry_after_s ? std::chrono::seconds(*answer->retry_after_s) : kDefaultRetryAfter,
      std::chrono::seconds(1), kMaxRetryAfter);
  const auto body = parse_answer(message.payload);
  if (answer->status == 202) {
    const std::string operation = body ? answer_text(*body, "operationId") : "";
    if (operation.empty()) {
      fail("malformed answer from DPS (202 without operationId): " +
           message.payload.substr(0, 200));
    } else {
      if (operation_id_.empty()) {
        spdlog::info("provisioning: DPS is assigning {} (operation {})", settings_.registration_id,
                     operation);
      }
      operation_id_ = operation;
      wait(retry_after);
    }
  } else if (answer->status == 429) {
    spdlog::warn("provisioning: DPS is throttling; asking again in {}", seconds_text(retry_after));
    wait(retry_after);
  } else if (answer->status == 200) {
    on_assigned(message.payload);
  } else {
    fail("DPS " + std::string(operation_id_.empty() ? "registration" : "operation status") +
         " rejected: " + std::to_string(answer->status) + " " +
         (body ? answer_text(*body, "errorCode") + ": " + answer_text(*body, "message")
               : message.payload.substr(0, 200)));
  }
  changed();
}

void DpsProvisioning::on_assigned(const std::string& payload) {
  const auto body = parse_answer(payload);
  const auto* state_value = body ? body->if_contains("registrationState") : nullptr;
  const auto* state = state_value && state_value->is_object() ? &state_value->as_object() : nullptr;
  const std::string status = body ? answer_text(*body, "status") : "";
  if (status == "assigning") return wait(kDefaultRetryAfter);
  if (status != "assigned" || !state) {
    fail("DPS did not assign the device: status \"" + status + "\"" +
         (state
              ? ", " + answer_text(*state, "errorCode") + ": " + answer_text(*state, "errorMessage")
              : std::string()));
    return;
  }
  DeviceIdentity identity{.thing_name = answer_text(*state, "deviceId"),
                          .endpoint = answer_text(*state, "assignedHub"),
                          .provisioned_by = "dps",
                          .provisioned_at_ms = clock_.wall_ms(),
                          .credential = settings_.symmetric_key.empty() ? "x509" : "sas",
                          .provisioned_with = "DPS id scope " + settings_.id_scope +
                                              ", registration " + settings_.registration_id};
  if (identity.thing_name.empty() || identity.endpoint.empty()) {
    fail("malformed answer from DPS (no assignedHub or deviceId): " + payload.substr(0, 200));
    return;
  }
  if (!settings_.csr_pem.empty()) return keep_issued(std::move(identity), *state);
  if (settings_.symmetric_key.empty()) {
    store_.save_key(settings_.private_key_pem);
    store_.save(identity, settings_.certificate_pem);
  } else {
    store_.save_symmetric(identity, settings_.symmetric_key);
  }
  spdlog::info("provisioning: DPS assigned device {} to {}", identity.thing_name,
               identity.endpoint);
  identity_ = store_.load();
  step_ = Step::succeeded;
}

void DpsProvisioning::keep_issued(DeviceIdentity identity, const json::object& state) {
  const auto* chain = state.if_contains("issuedCertificateChain");
  if (!chain || !chain->is_array() || chain->as_array().empty()) {
    fail(
        "DPS assigned the device but issued no certificate for the CSR (no "
        "registrationState.issuedCertificateChain; is the enrollment linked to a certificate "
        "policy?)");
    return;
  }
  std::string pem;
  try {
    for (const auto& certificate : chain->as_array()) {
      if (!certificate.is_string()) throw std::runtime_error("an entry that is not a string");
      pem += certificate_pem_from_der(base64_decode(certificate.as_string()));
    }
    store_.save_next_certificate(pem);
  } catch (const std::exception& error) {
    fail(std::string("DPS issued a certificate chain that cannot be used: ") + error.what());
    return;
  }
  spdlog::info("renewal: DPS issued a certificate for {} ({} in the chain)",
               settings_.registration_id, chain->as_array().size());
  identity_ = std::move(identity);
  step_ = Step::succeeded;
}

void DpsProvisioning::wait(std::chrono::milliseconds delay) {
  enter(Step::waiting, delay);
}

void DpsProvisioning::enter(Step step, std::chrono::milliseconds within) {
  step_ = step;
  deadline_ = clock_.monotonic() + within;
}

void DpsProvisioning::fail(std::string error) {
  error_ = std::move(error);
  step_ = Step::failed;
}

DpsSetup dps_setup(const GatewayConfig& config, const IdentityStore& store,
                   const std::string& csr_pem) {
  const auto& options = *config.provisioning;
  const bool x509 = config.uplink.azure.auth == "x509";
  DpsSetup setup;
  auto& settings = setup.settings;
  settings.timeout = std::chrono::seconds(options.timeout_s);
  settings.id_scope = options.id_scope;
  settings.csr_pem = csr_pem;
  // Empty when the config gives none (an X.509 device needs none).
  const std::string serial = options.serial.empty() && options.serial_file.empty()
                                 ? std::string()
                                 : provisioning_serial(options);
  if (x509) {
    settings.certificate_pem = read_text_file(options.claim_cert_file);
    settings.private_key_pem =
        read_secret_file(options.claim_key_file, "provisioning.claim_key_file");
    // DPS takes the registration id of an X.509 device from its certificate's CN.
    settings.registration_id = options.registration_id.empty()
                                   ? read_certificate(settings.certificate_pem).common_name
                                   : options.registration_id;
  } else {
    settings.registration_id = options.registration_id;
    if (settings.registration_id.empty()) {
      settings.registration_id = serial;
      std::transform(settings.registration_id.begin(), settings.registration_id.end(),
                     settings.registration_id.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    }
    settings.symmetric_key =
        options.group_key_file.empty()
            ? read_secret_file(options.device_key_file, "provisioning.device_key_file")
            : derive_device_key(
                  read_secret_file(options.group_key_file, "provisioning.group_key_file"),
                  settings.registration_id);
  }
  json::object custom;
  if (!serial.empty()) custom["serial"] = serial;
  if (!options.model.empty()) custom["model"] = options.model;
  if (!custom.empty()) settings.payload = json::serialize(custom);

  auto& profile = setup.profile;
  profile.provider = "azure";
  const auto colon = options.global_endpoint.rfind(':');
  profile.host = options.global_endpoint.substr(0, colon);
  profile.port =
      colon == std::string::npos ? 8883 : std::stoi(options.global_endpoint.substr(colon + 1));
  profile.use_tls = true;
  if (config.uplink.tls) profile.tls = *config.uplink.tls;
  profile.tls.cert_file = x509 ? options.claim_cert_file : "";
  profile.tls.key_file = x509 ? options.claim_key_file : "";
  profile.client_id = settings.registration_id;
  const std::string resource = options.id_scope + "/registrations/" + settings.registration_id;
  profile.username = resource + "/api-version=" +
                     std::string(csr_pem.empty() ? kDpsApiVersion : kDpsCertificateApiVersion);
  if (!x509) {
    // The transport signs a token at each connect from a key file: the device's own key,
    // stored now (the group key stays where it is and is never copied).
    store.save_symmetric_key(settings.symmetric_key);
    profile.sas = SasCredentials{.resource_uri = resource,
                                 .key_file = store.symmetric_key_file().string(),
                                 .ttl_s = 3600,
                                 .renew_at_fraction = 0.8,
                                 .key_name = "registration"};
  }
  profile.mqtt_version = 4;
  profile.keepalive_s = static_cast<int>(config.uplink.keepalive_s);
  profile.reconnect_min_ms = config.uplink.reconnect_min_ms;
  profile.reconnect_max_ms = config.uplink.reconnect_max_ms;
  return setup;
}

}  // namespace edgegw::cloud
