#pragma once

#include <mqtt/async_client.h>

#include <boost/json.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "tests/integration/broker/mosquitto_broker.h"

namespace edgegw {

/// What a DPS enrollment admits.
struct DpsEnrollment {
  std::string id_scope = "0ne00000001";
  /// Group enrollment with symmetric keys: the group key (base64). Empty: X.509, a device
  /// certificate from the broker's CA whose CN is the registration id.
  std::string group_key;
  /// The hub a registration is assigned to.
  std::string assigned_hub = "localhost";
  /// The CA that signs the CSR of a registration (certificate management): its directory
  /// (ca.pem, ca.key); empty: the broker's, so the issued certificate connects to the hub.
  std::string signing_pki_dir{};
  /// Whether the enrollment is linked to a certificate policy; without one a registration
  /// with a CSR is refused (400).
  bool issues_certificates = true;
};

/// The mosquitto.conf lines of the plain listener behind DpsTestService's front door. DPS and
/// IoT Hub are separate services, but here one broker is both, and a registration's client id
/// is the device id it has on the hub: the listener takes the user name (".../registrations/
/// <id>/api-version=...") as client id instead, so that a renewal's registration does not
/// take over the device's hub session.
std::string dps_listener_config(int plain_port);

/// Azure's Device Provisioning Service for tests, on a real mosquitto. Its front door is a TLS
/// endpoint (the broker's server certificate) that checks a device's CONNECT as DPS does: the
/// client id and user name ("<scope>/registrations/<id>/api-version=..."), and either the SAS
/// token (skn=registration, signed with the key derived from the group key; both recomputed
/// here with the openssl command line, independently of the gateway's code) or the client
/// certificate (CN = registration id). An admitted connection is passed on to the broker's
/// plain loopback listener; a refused one gets CONNACK "not authorised". Behind it, an MQTT
/// client answers the registration contract: 202 with an operation id and retry-after=1, then
/// 200 "assigned" to `assigned_hub` with device id = registration id on the first poll.
///
/// A registration with a "csr" (Microsoft-backed X.509 certificate management) must come over
/// a connection whose user name names api-version=2025-07-01-preview, else it is refused (400);
/// its CSR (base64 DER) is signed through OpenSSL (deploy/certs/sign-csr.sh, as the AWS test
/// cloud does) and the assignment carries registrationState.issuedCertificateChain: the issued
/// certificate and the CA's, base64 DER, leaf first.
///
/// The broker must have a plain listener on `plain_port`: dps_listener_config() in
/// MosquittoOptions::extra_config.
class DpsTestService {
 public:
  DpsTestService(MosquittoBroker& broker, int plain_port, DpsEnrollment enrollment);
  ~DpsTestService();
  DpsTestService(const DpsTestService&) = delete;
  DpsTestService& operator=(const DpsTestService&) = delete;

  /// "127.0.0.1:<port>" of the front door, for provisioning.global_endpoint.
  std::string endpoint() const;
  /// Every CONNECT the front door saw: "admitted <registration id>" or "refused: <why>".
  std::vector<std::string> connects() const;
  /// The registrations DPS assigned.
  std::vector<std::string> assigned() const;
  /// The certificates issued for CSRs (PEM), oldest first.
  std::vector<std::string> issued() const;
  /// How many registration and poll requests arrived.
  std::size_t registrations() const;
  std::size_t polls() const;

 private:
  struct FrontDoor;
  void on_message(const std::string& topic, const std::string& payload);

  MosquittoBroker& broker_;
  DpsEnrollment enrollment_;
  mutable std::mutex mutex_;
  std::vector<std::string> assigned_;
  /// The answer to a registration that came with a CSR, or why it is refused (DPS's 400).
  struct Issuance {
    boost::json::array chain;
    std::string refusal;
  };
  /// Signs the registration's CSR (base64 DER) for `registration_id`; on Paho's thread.
  Issuance issue(const std::string& registration_id, const std::string& csr_base64);

  std::map<std::string, std::string> operations_;     ///< operation id -> registration id
  std::map<std::string, boost::json::array> chains_;  ///< operation id -> issued chain
  std::vector<std::string> issued_;
  std::size_t registrations_ = 0;
  std::size_t polls_ = 0;
  std::unique_ptr<FrontDoor> door_;
  std::unique_ptr<mqtt::async_client> client_;
};

}  // namespace edgegw
