#include "gateway/cloud/dps_certificate_issuer.h"

#include <spdlog/spdlog.h>

#include "gateway/cloud/dps_provisioning.h"
#include "gateway/model/thread_name.h"
#include "gateway/uplink/mqtt_transport.h"

namespace edgegw::cloud {

DpsCertificateIssuer::DpsCertificateIssuer(GatewayConfig config, const IdentityStore& store,
                                           const Clock& clock, Post post)
    : config_(std::move(config)), store_(store), clock_(clock), post_(std::move(post)) {}

DpsCertificateIssuer::~DpsCertificateIssuer() {
  // Stopped before or while it runs, the registration returns at once.
  io_.stop();
  if (worker_.joinable()) worker_.join();
}

void DpsCertificateIssuer::issue(const std::string& csr_pem, Done done) {
  // The renewal asks once at a time: an earlier registration has ended and posted its answer.
  if (worker_.joinable()) worker_.join();
  io_.restart();
  worker_ = std::thread([this, csr_pem, done = std::move(done)] {
    name_this_thread("renewal");
    const std::string error = register_with_csr(csr_pem);
    post_([done, error] { done(error); });
  });
}

std::string DpsCertificateIssuer::register_with_csr(const std::string& csr_pem) {
  try {
    const auto current = store_.load();
    if (!current) return "no stored identity to renew";
    auto setup = dps_setup(config_, store_, csr_pem);
    spdlog::info("renewal: registering {} with DPS at {} for a new certificate",
                 setup.settings.registration_id, setup.profile.server_uri());
    MqttTransport transport(setup.profile, io_, clock_);
    DpsProvisioning attempt(std::move(setup.settings), store_, transport, clock_);
    run_until_finished(io_, transport, attempt);
    const auto& assigned = *attempt.identity();
    if (assigned.endpoint != current->endpoint || assigned.thing_name != current->thing_name) {
      return "DPS assigned the device to " + assigned.endpoint + " as " + assigned.thing_name +
             ", not to " + current->endpoint + " as " + current->thing_name +
             " where it is; a renewal keeps the hub (provision again to move it)";
    }
    return "";
  } catch (const ProvisioningError& error) {
    return std::string("DPS registration: ") +
           (error.what()[0] ? error.what() : "stopped before it ended");
  } catch (const std::exception& error) {
    return std::string("DPS registration: ") + error.what();
  }
}

}  // namespace edgegw::cloud
