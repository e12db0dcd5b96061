#include "gateway/cloud/certificate_renewal.h"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>

#include "gateway/cloud/provisioning.h"
#include "gateway/cloud/provisioning_options.h"
#include "gateway/durable_file.h"

namespace edgegw::cloud {
namespace {

namespace json = boost::json;

// However far off the renewal window is, the certificate is looked at again this often: the
// wall clock of a box without an RTC may jump when NTP first syncs.
constexpr auto kLongestSleep = std::chrono::hours(1);

}  // namespace

CertificateRenewal::CertificateRenewal(Settings settings, const IdentityStore& store,
                                       Transport& transport, Publish publish, const Clock& clock)
    : settings_(std::move(settings)),
      store_(store),
      transport_(transport),
      publish_(std::move(publish)),
      clock_(clock) {
  if (const auto at = renews_at()) status_.renews_at_ms = *at;
}

CertificateRenewal::CertificateRenewal(Settings settings, const IdentityStore& store,
                                       Transport& transport, CertificateIssuer& issuer,
                                       const Clock& clock)
    : CertificateRenewal(std::move(settings), store, transport, Publish(), clock) {
  issuer_ = &issuer;
}

void CertificateRenewal::subscribe() {
  if (issuer_) return;  // its answers come on a connection of its own
  transport_.subscribe(create_topic() + "/accepted",
                       [this](const InboundMessage& m) { on_certificate(m.payload); });
  transport_.subscribe(create_topic() + "/rejected", [this](const InboundMessage& m) {
    on_rejected(Step::requesting, m.payload);
  });
  transport_.subscribe(register_topic() + "/accepted",
                       [this](const InboundMessage& m) { on_registered(m.payload); });
  transport_.subscribe(register_topic() + "/rejected", [this](const InboundMessage& m) {
    on_rejected(Step::registering, m.payload);
  });
}

std::optional<std::int64_t> CertificateRenewal::renews_at() const {
  try {
    const auto info = read_certificate(read_text_file(store_.certificate_file()));
    return info.not_after_ms - settings_.renew_before.count();
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

void CertificateRenewal::connection_changed(bool up) {
  connected_ = up;
  // An answer on its way is lost with the connection; the renewal starts over once it is back
  // (a trial takes the connection down itself, and the transport says how it went).
  if (!up && asking_cloud()) {
    spdlog::info("renewal: the connection went before the answer; asking again once it is back");
    store_.discard_next();
    enter(Step::idle);
  }
  if (up && trial_waits_for_connection_) {
    trial_waits_for_connection_ = false;
    try_new_certificate();
  }
}

std::chrono::steady_clock::time_point CertificateRenewal::poll() {
  const auto now = clock_.monotonic();
  if (asking_cloud()) {
    if (now < deadline_) return deadline_;
    fail("no answer on " + (step_ == Step::requesting ? create_topic() : register_topic()) +
         "/accepted or /rejected within " + seconds_text(settings_.timeout));
  }
  if (step_ != Step::idle) return now + kLongestSleep;
  const auto at = renews_at();
  if (at) {
    std::lock_guard lock(status_mutex_);
    status_.renews_at_ms = *at;
  }
  if (!at) return now + kLongestSleep;
  const std::int64_t wait_ms = *at - clock_.wall_ms();
  if (wait_ms > 0) {
    return now + std::min<std::chrono::steady_clock::duration>(std::chrono::milliseconds(wait_ms),
                                                               kLongestSleep);
  }
  if (now < not_before_) return not_before_;
  if (!connected_) return now + kLongestSleep;  // connection_changed(true) polls again
  begin();
  return step_ == Step::idle ? not_before_ : deadline_;
}

void CertificateRenewal::begin() {
  std::string common_name;
  std::string csr;
  try {
    common_name = read_certificate(read_text_file(store_.certificate_file())).common_name;
    csr = store_.make_next_key(settings_.key_type, common_name);
  } catch (const std::exception& error) {
    fail(std::string("cannot make the new key and CSR: ") + error.what());
    return;
  }
  spdlog::info("renewal: the device certificate runs out within {} days; asking for a new one",
               std::chrono::duration_cast<std::chrono::hours>(settings_.renew_before).count() / 24);
  if (issuer_) {
    enter(Step::registering);
    issuer_->issue(csr, [this](const std::string& error) { on_issued(error); });
    return;
  }
  if (settings_.parameters.count("SerialNumber") == 0) {
    settings_.parameters["SerialNumber"] = common_name;
  }
  enter(Step::requesting);
  publish_(create_topic(), json::serialize(json::object{{"certificateSigningRequest", csr}}));
}

void CertificateRenewal::on_certificate(const std::string& payload) {
  if (step_ != Step::requesting) return;
  const auto answer = parse_answer(payload);
  const std::string pem = answer ? answer_text(*answer, "certificatePem") : "";
  ownership_token_ = answer ? answer_text(*answer, "certificateOwnershipToken") : "";
  if (pem.empty() || ownership_token_.empty()) {
    fail("malformed answer on " + create_topic() + "/accepted: " + payload.substr(0, 200));
    return;
  }
  try {
    store_.save_next_certificate(pem);
  } catch (const std::exception& error) {
    fail(error.what());
    return;
  }
  spdlog::info("renewal: certificate {} issued; registering it with template {}",
               answer_text(*answer, "certificateId"), settings_.template_name);
  json::object parameters;
  for (const auto& [key, value] : settings_.parameters) parameters[key] = value;
  enter(Step::registering);
  publish_(register_topic(),
           json::serialize(json::object{{"certificateOwnershipToken", ownership_token_},
                                        {"parameters", std::move(parameters)}}));
}

void CertificateRenewal::on_registered(const std::string& payload) {
  if (step_ != Step::registering) return;
  const auto answer = parse_answer(payload);
  if (!answer || answer_text(*answer, "thingName").empty()) {
    fail("malformed answer on " + register_topic() + "/accepted: " + payload.substr(0, 200));
    return;
  }
  try_new_certificate();
}

void CertificateRenewal::on_rejected(Step request, const std::string& payload) {
  if (step_ != request) return;
  const std::string detail = rejection_text(payload);
  fail((request == Step::requesting ? std::string("CreateCertificateFromCsr")
                                    : "RegisterThing (template " + settings_.template_name + ")") +
       " rejected: " + detail);
}

void CertificateRenewal::on_issued(const std::string& error) {
  if (step_ != Step::registering) return;
  if (!error.empty()) {
    fail(error);
    return;
  }
  if (connected_) return try_new_certificate();
  // The hub connection went while DPS was asked: the transport tries a certificate only in
  // place of a connection it has, so the trial waits for it to be back.
  trial_waits_for_connection_ = true;
  enter(Step::trying);
}

void CertificateRenewal::try_new_certificate() {
  enter(Step::trying);
  transport_.try_credentials(
      {.cert_file = store_.next_certificate_file().string(),
       .key_file = store_.next_key_file().string()},
      [this](bool connected, const std::string& reason) { on_tried(connected, reason); });
}

void CertificateRenewal::on_tried(bool connected, const std::string& reason) {
  if (step_ != Step::trying) return;
  if (!connected) {
    fail("the new certificate did not connect: " + reason);
    return;
  }
  try {
    store_.commit_next();
  } catch (const std::exception& error) {
    // The transport presents the new pair from where it is; a restart finishes the move.
    fail(std::string("the new certificate connected but cannot be moved into place: ") +
             error.what(),
         /*discard_next=*/false);
    return;
  }
  // The pair the transport presents has just moved to where the store keeps it.
  transport_.set_credentials(
      {.cert_file = store_.certificate_file().string(), .key_file = store_.key_file().string()});
  enter(Step::idle);
  const auto at = renews_at();
  spdlog::info("renewal: connected with the new certificate; it is the device's certificate now");
  std::lock_guard lock(status_mutex_);
  ++status_.renewed;
  status_.last_error.clear();
  status_.last_renewed_at_ms = clock_.wall_ms();
  if (at) status_.renews_at_ms = *at;
}

void CertificateRenewal::enter(Step step) {
  step_ = step;
  deadline_ = clock_.monotonic() + settings_.timeout;
  record_state();
  if (on_change_) on_change_();
}

void CertificateRenewal::fail(const std::string& error, bool discard_next) {
  spdlog::warn("renewal: {}; the current certificate stays in use, next try in {}", error,
               seconds_text(settings_.retry_after));
  if (discard_next) store_.discard_next();
  not_before_ = clock_.monotonic() + settings_.retry_after;
  enter(Step::idle);
  std::lock_guard lock(status_mutex_);
  ++status_.failed;
  status_.last_error = error;
}

void CertificateRenewal::record_state() {
  static constexpr const char* kNames[] = {"idle", "requesting", "registering", "trying"};
  std::lock_guard lock(status_mutex_);
  status_.state = kNames[static_cast<int>(step_)];
}

RenewalStatus CertificateRenewal::status() const {
  std::lock_guard lock(status_mutex_);
  return status_;
}

std::optional<CertificateRenewal::Settings> renewal_settings(const GatewayConfig& config) {
  const auto& identity = config.identity;
  const bool aws = config.uplink.provider == "aws";
  // On Azure, DPS issues the renewed certificate to a registration with the onboarding
  // credential, which only [provisioning] names.
  const bool azure_x509 = config.uplink.provider == "azure" && config.uplink.azure.auth == "x509" &&
                          config.provisioning;
  if (identity.renew_before_days == 0 || !(aws || azure_x509) || !config.uplink.tls) {
    return std::nullopt;
  }
  const IdentityStore store(identity.dir);
  if (config.uplink.tls->cert_file != store.certificate_file().string()) return std::nullopt;
  CertificateRenewal::Settings settings{
      .renew_before = std::chrono::hours(24) * identity.renew_before_days,
      .retry_after = std::chrono::seconds(identity.renew_retry_s),
      .timeout = std::chrono::seconds(30),
      .key_type = parse_key_type(identity.key_type).value_or(KeyType::ec_p256),
      .template_name = identity.renew_template,
      .parameters = {}};
  if (config.provisioning) settings.timeout = std::chrono::seconds(config.provisioning->timeout_s);
  if (azure_x509) return settings;
  if (config.provisioning) {
    const auto& provisioning = *config.provisioning;
    if (settings.template_name.empty()) settings.template_name = provisioning.template_name;
    try {
      settings.parameters["SerialNumber"] = provisioning_serial(provisioning);
    } catch (const std::runtime_error& error) {
      // Provisioned long ago from a serial file that is gone: the certificate's CN stands in.
      spdlog::warn("renewal: {}; RegisterThing gets the certificate's CN as SerialNumber",
                   error.what());
    }
    if (!provisioning.model.empty()) settings.parameters["Model"] = provisioning.model;
  }
  if (settings.template_name.empty()) return std::nullopt;
  return settings;
}

}  // namespace edgegw::cloud
