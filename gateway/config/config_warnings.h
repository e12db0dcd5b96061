#pragma once

#include <string>
#include <vector>

#include "gateway/config/config.h"

namespace edgegw {

/// What a config that loads may still get wrong, for check-config and the start-up log: a rule
/// on a series no adapter produces and no [[series]] table declares (POST /api/v1/readings
/// takes only declared series), so it can never fire; an offline rule on an adapter that is not
/// configured. Each warning names the rule.
std::vector<std::string> config_warnings(const GatewayConfig& config);

}  // namespace edgegw
