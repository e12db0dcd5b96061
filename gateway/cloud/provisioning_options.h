#pragma once

#include <cstdint>
#include <string>

#include "gateway/model/option_table.h"

namespace edgegw {

/// [provisioning]: how a device with no identity yet gets one from the cloud. Present means a
/// gateway without a stored identity provisions itself at start (and `edgegw provision` does
/// it by hand). On AWS this is fleet provisioning by claim, on Azure the Device Provisioning
/// Service (DPS).
struct ProvisioningOptions {
  std::string template_name;  ///< TOML key "template"; AWS
  std::string claim_cert_file;
  std::string claim_key_file;
  std::string certificate = "csr";  ///< "csr" | "create"; AWS
  std::string id_scope;             ///< Azure DPS
  std::string registration_id;      ///< Azure DPS; empty: the serial, or the certificate's CN
  std::string global_endpoint = "global.azure-devices-provisioning.net:8883";
  std::string group_key_file;   ///< Azure DPS group enrollment with symmetric keys
  std::string device_key_file;  ///< Azure DPS individual enrollment with a symmetric key
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
