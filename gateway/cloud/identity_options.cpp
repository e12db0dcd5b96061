#include "gateway/cloud/identity_options.h"

namespace edgegw {

const OptionTable<IdentityOptions>& identity_option_table() {
  static const OptionTable<IdentityOptions> table = {
      {.key = "dir",
       .member = &IdentityOptions::dir,
       .description = "Directory (made 0700) of the device's identity: its private key "
                      "(device.key, 0600, made on the device by `edgegw keygen` and never sent), "
                      "the CSR, the issued certificate (device.pem) and identity.json."},
      {.key = "key_type",
       .member = &IdentityOptions::key_type,
       .description = "Algorithm of a key made by `edgegw keygen`.",
       .choices = "ec-p256 rsa-2048"},
      {.key = "renew_before_days",
       .member = &IdentityOptions::renew_before_days,
       .description =
           "Renew the device certificate (one the identity store holds) this many days "
           "before it runs out: a new key and CSR on the device; on AWS "
           "CreateCertificateFromCsr over the running connection and RegisterThing with "
           "renew_template, on Azure (X.509 with [provisioning]) a new DPS registration with "
           "the CSR; then the new pair is tried and kept only once it has connected. A "
           "symmetric key (Azure sas) needs none. 0: never.",
       .min = 0,
       .max = 3650},
      {.key = "renew_retry_s",
       .member = &IdentityOptions::renew_retry_s,
       .description = "After a renewal that failed (rejected, no answer, the new certificate "
                      "did not connect), try again this much later; the old certificate stays "
                      "in use meanwhile.",
       .min = 10,
       .max = 604800},
      {.key = "renew_template",
       .member = &IdentityOptions::renew_template,
       .description = "AWS: the fleet-provisioning template whose RegisterThing activates a "
                      "renewed certificate and attaches it to the thing and its policy (AWS "
                      "leaves a certificate from CreateCertificateFromCsr pending until then). "
                      "Default: [provisioning] template. Without either, renewal is off on AWS."},
  };
  return table;
}

}  // namespace edgegw
