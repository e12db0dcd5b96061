#pragma once

#include <optional>

#include "gateway/cloud/identity_store.h"
#include "gateway/config/config.h"

namespace edgegw::cloud {

/// Fills in, from the identity stored in config.identity.dir, what the config leaves empty:
/// gateway_id (and the AWS thing name, the Azure device id) from the thing name, the
/// certificate and key of [uplink.tls] from the store's files, uplink.host from the endpoint
/// it was issued for. What the config sets wins.
/// Returns the identity used, nullopt when none is stored; throws IdentityError for one that cannot
/// be used.
std::optional<DeviceIdentity> apply_stored_identity(GatewayConfig& config);

/// Whether the device must provision before it can connect: the config has [provisioning]
/// and no identity is stored yet.
bool needs_provisioning(const GatewayConfig& config);

/// `config` as it will be once provisioned, for what needs a name before the cloud has given
/// one (checking the topics, the bundle budget): an empty gateway_id (and an Azure hub) becomes
/// a placeholder, and the certificate and key are the store's files, where provisioning puts
/// them.
GatewayConfig as_provisioned(GatewayConfig config);

}  // namespace edgegw::cloud
