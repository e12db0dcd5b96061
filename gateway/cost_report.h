#pragma once

#include <cstdint>
#include <string>

namespace edgegw {

/// What `edgegw cost` was asked.
struct CostRequest {
  std::string config_path;         ///< take rates and bundle settings from this config
  double readings_per_second = 0;  ///< or this many readings per second (with default settings)
  std::int64_t devices = 1;        ///< gateways in the fleet
};

/// Measures readings per bundle by packing an hour of simulated readings exactly as the
/// gateway would (same budget, encoding and topic), then prints what each way of shipping
/// them costs per day and month on AWS and Azure. Throws ConfigError on a bad request.
std::string render_cost_report(const CostRequest& request);

}  // namespace edgegw
