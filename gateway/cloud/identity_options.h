#pragma once

#include <string>

#include "gateway/model/option_table.h"

namespace edgegw {

/// [identity]: where the device keeps its own key and the identity the cloud issued it.
struct IdentityOptions {
  std::string dir = "/var/lib/edgegw/identity";
  std::string key_type = "ec-p256";
};

const OptionTable<IdentityOptions>& identity_option_table();

}  // namespace edgegw
