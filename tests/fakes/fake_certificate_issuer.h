#pragma once

#include <string>
#include <utility>
#include <vector>

#include "gateway/cloud/certificate_renewal.h"

namespace edgegw {

/// A certificate issuer under the test's control: it keeps each CSR it is asked for and answers
/// only when told to, on the test's thread (the renewal's, in a test).
class FakeCertificateIssuer final : public cloud::CertificateIssuer {
 public:
  void issue(const std::string& csr_pem, Done done) override {
    csrs_.push_back(csr_pem);
    done_ = std::move(done);
  }

  /// Every CSR asked for, oldest first.
  const std::vector<std::string>& csrs() const { return csrs_; }
  /// Ends the request in progress: "" once the certificate is stored, else why not.
  void answer(const std::string& error) {
    if (auto done = std::exchange(done_, {})) done(error);
  }

 private:
  std::vector<std::string> csrs_;
  Done done_;
};

}  // namespace edgegw
