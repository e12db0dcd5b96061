#include "gateway/cloud/claim_provisioning.h"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>

#include "gateway/cloud/provisioning_options.h"

namespace edgegw::cloud {
namespace {

namespace json = boost::json;

}  // namespace

ClaimProvisioning::ClaimProvisioning(Settings settings, const IdentityStore& store,
                                     Transport& transport, const Clock& clock)
    : settings_(std::move(settings)), store_(store), transport_(transport), clock_(clock) {}

std::string ClaimProvisioning::create_topic() const {
  return settings_.device_makes_key ? kCreateFromCsrTopic : kCreateKeysTopic;
}

std::string ClaimProvisioning::register_topic() const {
  return register_thing_topic(settings_.template_name);
}

void ClaimProvisioning::start() {
  const std::string create = create_topic();
  const std::string registration = register_topic();
  transport_.subscribe(create + "/accepted",
                       [this](const InboundMessage& m) { on_certificate(m.payload); });
  transport_.subscribe(create + "/rejected", [this](const InboundMessage& m) {
    on_rejected(Step::creating_certificate, m.payload);
  });
  transport_.subscribe(registration + "/accepted",
                       [this](const InboundMessage& m) { on_registered(m.payload); });
  transport_.subscribe(registration + "/rejected", [this](const InboundMessage& m) {
    on_rejected(Step::registering_thing, m.payload);
  });
  enter(Step::connecting);
  transport_.start(
      {.on_result = [this](std::uint64_t token,
                           const PublishResult& result) { on_result(token, result); },
       .on_connection = [this](bool connected,
                               const std::string& reason) { on_connection(connected, reason); }});
  changed();
}

void ClaimProvisioning::check_deadline() {
  if (finished() || clock_.monotonic() < deadline_) return;
  const std::string waited = seconds_text(settings_.timeout);
  switch (step_) {
    case Step::connecting:
      fail("could not connect with the claim certificate within " + waited +
           (last_connection_error_.empty() ? "" : ": " + last_connection_error_));
      break;
    case Step::creating_certificate:
      fail("no answer on " + create_topic() + "/accepted or /rejected within " + waited);
      break;
    case Step::registering_thing:
      // The certificate stays pending: the next attempt asks RegisterThing again.
      fail("no answer on " + register_topic() + "/accepted or /rejected within " + waited);
      break;
    case Step::succeeded:
    case Step::failed:
      break;
  }
  changed();
}

void ClaimProvisioning::on_connection(bool connected, const std::string& reason) {
  if (finished()) return;
  if (!connected) {
    last_connection_error_ = reason;
    // An answer in flight is lost with the connection: the request goes again once it is back.
    if (step_ != Step::connecting) enter(Step::connecting);
  } else {
    send_request();
  }
  changed();
}

void ClaimProvisioning::send_request() {
  pending_ = store_.load_pending();
  const bool usable = pending_ && pending_->template_name == settings_.template_name &&
                      clock_.wall_ms() - pending_->issued_at_ms < kOwnershipTokenUsableMs;
  if (pending_ && !usable) {
    spdlog::info(
        "provisioning: the stored ownership token has expired; asking for a new "
        "certificate");
    store_.clear_pending();
    pending_.reset();
  }
  if (pending_) {
    spdlog::info("provisioning: resuming with certificate {}", pending_->certificate_id);
    send_registration();
  } else {
    send_certificate_request();
  }
}

void ClaimProvisioning::send_certificate_request() {
  enter(Step::creating_certificate);
  if (!settings_.device_makes_key) {
    publish(create_topic(), "");
    return;
  }
  store_.ensure_key(settings_.key_type);
  const std::string csr = store_.write_csr(settings_.serial);
  publish(create_topic(), json::serialize(json::object{{"certificateSigningRequest", csr}}));
}

void ClaimProvisioning::send_registration() {
  enter(Step::registering_thing);
  json::object parameters;
  for (const auto& [key, value] : settings_.parameters) parameters[key] = value;
  publish(register_topic(),
          json::serialize(json::object{{"certificateOwnershipToken", pending_->ownership_token},
                                       {"parameters", std::move(parameters)}}));
}

void ClaimProvisioning::publish(const std::string& topic, const std::string& payload) {
  request_topic_ = topic;
  // Not taken: the connection went in between; its on_connection(false) brings us back.
  if (!transport_.publish(topic, payload, next_token_++)) enter(Step::connecting);
}

void ClaimProvisioning::on_result(std::uint64_t, const PublishResult& result) {
  if (finished() || result.outcome != PublishResult::Outcome::refused) return;
  fail("the broker refused the request on " + request_topic_ + ": " + result.reason +
       " (does the claim policy allow it? deploy/aws/claim-policy.json)");
  changed();
}

void ClaimProvisioning::on_certificate(const std::string& payload) {
  if (step_ != Step::creating_certificate) return;
  const auto answer = parse_answer(payload);
  const json::object fields = answer.value_or(json::object{});
  const std::string pem = answer_text(fields, "certificatePem");
  const std::string id = answer_text(fields, "certificateId");
  const std::string token = answer_text(fields, "certificateOwnershipToken");
  const std::string key = answer_text(fields, "privateKey");
  if (pem.empty() || id.empty() || token.empty() || (!settings_.device_makes_key && key.empty())) {
    fail("malformed answer on " + create_topic() + "/accepted: " + payload.substr(0, 200));
    changed();
    return;
  }
  if (!settings_.device_makes_key) store_.save_key(key);
  pending_ = PendingCertificate{.certificate_id = id,
                                .certificate_pem = pem,
                                .ownership_token = token,
                                .template_name = settings_.template_name,
                                .issued_at_ms = clock_.wall_ms()};
  store_.save_pending(*pending_);
  spdlog::info("provisioning: certificate {} issued; registering the thing", id);
  send_registration();
  changed();
}

void ClaimProvisioning::on_registered(const std::string& payload) {
  if (step_ != Step::registering_thing || !pending_) return;
  const auto answer = parse_answer(payload);
  const std::string thing = answer ? answer_text(*answer, "thingName") : std::string();
  if (thing.empty()) {
    fail("malformed answer on " + register_topic() + "/accepted: " + payload.substr(0, 200));
    changed();
    return;
  }
  DeviceIdentity identity{.thing_name = thing,
                          .endpoint = settings_.endpoint,
                          .provisioned_by = "claim",
                          .provisioned_at_ms = clock_.wall_ms(),
                          .credential = "x509",
                          .provisioned_with = "template " + settings_.template_name};
  store_.save(identity, pending_->certificate_pem);
  store_.clear_pending();
  identity_ = std::move(identity);
  enter(Step::succeeded);
  changed();
}

void ClaimProvisioning::on_rejected(Step request, const std::string& payload) {
  if (step_ != request) return;
  const std::string detail = rejection_text(payload);
  if (step_ == Step::registering_thing) {
    // The token may have expired or been used: the next attempt starts from a new certificate.
    store_.clear_pending();
    fail("RegisterThing (template " + settings_.template_name + ") rejected: " + detail +
         "; the next attempt asks for a new certificate");
  } else {
    fail(std::string(settings_.device_makes_key ? "CreateCertificateFromCsr"
                                                : "CreateKeysAndCertificate") +
         " rejected: " + detail);
  }
  changed();
}

void ClaimProvisioning::enter(Step step) {
  step_ = step;
  deadline_ = clock_.monotonic() + settings_.timeout;
}

void ClaimProvisioning::fail(std::string error) {
  error_ = std::move(error);
  step_ = Step::failed;
}

ClaimProvisioning::Settings claim_settings(const GatewayConfig& config) {
  const auto& options = *config.provisioning;
  ClaimProvisioning::Settings settings{.template_name = options.template_name,
                                       .device_makes_key = options.certificate == "csr",
                                       // The table admits only the names parse_key_type knows.
                                       .key_type = *parse_key_type(config.identity.key_type),
                                       .serial = provisioning_serial(options),
                                       .parameters = {},
                                       .endpoint = {},
                                       .timeout = std::chrono::seconds(options.timeout_s)};
  settings.parameters["SerialNumber"] = settings.serial;
  if (!options.model.empty()) settings.parameters["Model"] = options.model;
  return settings;
}

CloudProfile claim_profile(const GatewayConfig& config, const std::string& serial) {
  GatewayConfig claim = config;
  claim.gateway.gateway_id = serial;
  claim.uplink.client_id = serial;
  claim.uplink.aws.thing_name.clear();
  claim.uplink.tls->cert_file = config.provisioning->claim_cert_file;
  claim.uplink.tls->key_file = config.provisioning->claim_key_file;
  CloudProfile profile = resolve_profile(claim);
  profile.command_filter.clear();
  return profile;
}

}  // namespace edgegw::cloud
