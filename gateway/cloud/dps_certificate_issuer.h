#pragma once

#include <boost/asio/io_context.hpp>
#include <functional>
#include <string>
#include <thread>

#include "gateway/cloud/certificate_renewal.h"
#include "gateway/cloud/identity_store.h"
#include "gateway/config/config.h"
#include "gateway/model/clock.h"

namespace edgegw::cloud {

/// Azure's way to a renewed certificate ("Repeat certificate issuance through DPS"): a new DPS
/// registration with the onboarding credential of [provisioning] (dps_setup: the same
/// connection and credential as the first registration) and the renewal's CSR. It runs on a
/// connection and a thread of its own, so the hub connection and the uplink go on meanwhile;
/// each of its steps is bounded by [provisioning] timeout_s. A registration that DPS assigns to
/// another hub or device id than the stored identity's is not a renewal and fails: moving the
/// device is provisioning's business.
class DpsCertificateIssuer final : public CertificateIssuer {
 public:
  /// Runs a task on the renewal's thread.
  using Post = std::function<void(std::function<void()>)>;

  DpsCertificateIssuer(GatewayConfig config, const IdentityStore& store, const Clock& clock,
                       Post post);
  /// Stops a registration under way and waits for its thread; its `done` does not run.
  ~DpsCertificateIssuer() override;
  DpsCertificateIssuer(const DpsCertificateIssuer&) = delete;
  DpsCertificateIssuer& operator=(const DpsCertificateIssuer&) = delete;

  void issue(const std::string& csr_pem, Done done) override;

 private:
  /// One registration, on the worker thread: "" once the certificate is stored, else why not.
  std::string register_with_csr(const std::string& csr_pem);

  GatewayConfig config_;
  const IdentityStore& store_;
  const Clock& clock_;
  Post post_;
  boost::asio::io_context io_;  ///< the registration's, run by worker_
  std::thread worker_;
};

}  // namespace edgegw::cloud
