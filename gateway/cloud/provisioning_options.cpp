#include "gateway/cloud/provisioning_options.h"

#include <cctype>
#include <fstream>
#include <stdexcept>

namespace edgegw {

const OptionTable<ProvisioningOptions>& provisioning_option_table() {
  static const OptionTable<ProvisioningOptions> table = {
      {.key = "template",
       .member = &ProvisioningOptions::template_name,
       .description = "AWS: the fleet provisioning template that registers the thing "
                      "(deploy/aws/fleet-provisioning-template.json is one). Required on AWS."},
      {.key = "claim_cert_file",
       .member = &ProvisioningOptions::claim_cert_file,
       .description = "AWS: the batch's claim certificate (PEM), shared by every device of the "
                      "batch and allowed only the provisioning topics "
                      "(deploy/aws/claim-policy.json); used only until the device has its own. "
                      "Azure DPS with X.509: the device's own certificate, which the enrollment "
                      "trusts; copied into the identity store for IoT Hub, and the onboarding "
                      "credential of every later registration that renews the certificate."},
      {.key = "claim_key_file",
       .member = &ProvisioningOptions::claim_key_file,
       .description = "The private key of claim_cert_file (PEM, mode 0600)."},
      {.key = "certificate",
       .member = &ProvisioningOptions::certificate,
       .description = "\"csr\": the device makes its key ([identity] key_type) and sends only a "
                      "CSR (CreateCertificateFromCsr). \"create\": AWS makes the key and sends it "
                      "(CreateKeysAndCertificate), for devices that cannot make keys.",
       .choices = "csr create"},
      {.key = "id_scope",
       .member = &ProvisioningOptions::id_scope,
       .description = "Azure DPS: the ID scope of your provisioning service (0ne...). "
                      "Required on Azure."},
      {.key = "registration_id",
       .member = &ProvisioningOptions::registration_id,
       .description = "Azure DPS: the registration id (lower-case letters, digits and '-'). "
                      "Empty: the serial number in lower case; with X.509 it must be the "
                      "certificate's CN."},
      {.key = "global_endpoint",
       .member = &ProvisioningOptions::global_endpoint,
       .description = "Azure DPS: the service's host:port."},
      {.key = "group_key_file",
       .member = &ProvisioningOptions::group_key_file,
       .description = "Azure DPS, group enrollment with symmetric keys (uplink.azure.auth = "
                      "\"sas\"): a file (0600) with the group's key (base64). The device "
                      "derives its own key from it (HMAC-SHA256 of the registration id) and "
                      "keeps only that."},
      {.key = "device_key_file",
       .member = &ProvisioningOptions::device_key_file,
       .description = "Azure DPS, individual enrollment with a symmetric key: a file (0600) "
                      "with the device's key (base64)."},
      {.key = "serial",
       .member = &ProvisioningOptions::serial,
       .description = "The device's serial number: the template's SerialNumber parameter, the "
                      "CSR's common name and the claim connection's client id. Empty: read "
                      "from serial_file."},
      {.key = "serial_file",
       .member = &ProvisioningOptions::serial_file,
       .description = "A file whose first line is the serial number, e.g. "
                      "/sys/firmware/devicetree/base/serial-number on a Raspberry Pi, so one "
                      "config serves the whole batch."},
      {.key = "model",
       .member = &ProvisioningOptions::model,
       .description = "The template's Model parameter (sent only when set)."},
      {.key = "timeout_s",
       .member = &ProvisioningOptions::timeout_s,
       .description = "How long to wait for the connection and for each answer.",
       .min = 1,
       .max = 600},
      {.key = "retry_min_s",
       .member = &ProvisioningOptions::retry_min_s,
       .description = "After a failed attempt (rejected, no answer, no connection) the next "
                      "waits a random time up to this, doubling per failure up to retry_max_s.",
       .min = 1},
      {.key = "retry_max_s",
       .member = &ProvisioningOptions::retry_max_s,
       .description = "The longest wait between attempts.",
       .min = 1},
  };
  return table;
}

std::string provisioning_serial(const ProvisioningOptions& options) {
  if (!options.serial.empty()) return options.serial;
  if (options.serial_file.empty()) {
    throw std::runtime_error("provisioning needs a serial number: set serial or serial_file");
  }
  std::ifstream in(options.serial_file, std::ios::binary);
  std::string line;
  if (!in || !std::getline(in, line)) {
    throw std::runtime_error("cannot read the serial number from " + options.serial_file);
  }
  while (!line.empty() &&
         (line.back() == '\0' || std::isspace(static_cast<unsigned char>(line.back())))) {
    line.pop_back();
  }
  if (line.empty()) throw std::runtime_error(options.serial_file + " holds no serial number");
  return line;
}

}  // namespace edgegw
