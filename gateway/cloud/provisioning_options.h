#pragma once

#include <cstdint>
#include <string>

#include "gateway/model/option_table.h"

namespace edgegw {

/// [provisioning]: how a device with no identity yet gets one from the cloud. Present means a
/// gateway without a stored identity provisions itself at start (and `edgegw provision` does
/// it by hand). On AWS this is fleet provisioning by claim.
struct ProvisioningOptions {
  std::string template_name;  ///< TOML key "template"
  std::string claim_cert_file;
  std::string claim_key_file;
  std::string certificate = "csr";  ///< "csr" | "create"
  std::string serial;
  std::string serial_file;
  std::string model;
  std::int64_t timeout_s = 30;
  std::int64_t retry_min_s = 5;
  std::int64_t retry_max_s = 600;
};

const OptionTable<ProvisioningOptions>& provisioning_option_table();

/// The device's serial number: `serial`, or else the first line of `serial_file` with trailing
/// white space and NULs removed (a device-tree serial-number ends in a NUL). Throws
/// std::runtime_error when neither gives one.
std::string provisioning_serial(const ProvisioningOptions& options);

}  // namespace edgegw
