#pragma once

#include <cstdint>
#include <string>

#include "gateway/model/option_table.h"

namespace edgegw {

/// [identity]: where the device keeps its own key and the identity the cloud issued it.
struct IdentityOptions {
  std::string dir = "/var/lib/edgegw/identity";
  std::string key_type = "ec-p256";
  /// Renewal of the device certificate: this many days before it runs out (0: never).
  std::int64_t renew_before_days = 30;
  std::int64_t renew_retry_s = 3600;
  std::string renew_template;  ///< empty: [provisioning] template
};

const OptionTable<IdentityOptions>& identity_option_table();

}  // namespace edgegw
