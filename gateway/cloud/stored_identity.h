#pragma once

#include <optional>

#include "gateway/cloud/identity_store.h"
#include "gateway/config/config.h"

namespace edgegw::cloud {

/// Fills in, from the identity stored in config.identity.dir, what the config leaves empty:
/// gateway_id (and the AWS thing name, the Azure device id) from the thing name, the
/// certificate and key of [uplink.tls] from the store's files, uplink.host from the endpoint
/// it was issued for. What the config sets wins. Returns the identity used, nullopt when none
/// is stored; throws IdentityError for one that cannot be used.
std::optional<DeviceIdentity> apply_stored_identity(GatewayConfig& config);

}  // namespace edgegw::cloud
