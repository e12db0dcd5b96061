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
  };
  return table;
}

}  // namespace edgegw
