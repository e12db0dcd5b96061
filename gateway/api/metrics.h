#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "gateway/api/request_counter.h"
#include "gateway/process_stats.h"
#include "gateway/status.h"

namespace edgegw::api {

/// The Prometheus content type of render_metrics()'s output.
inline constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

/// `status`, the API's response counts and the process figures in the Prometheus text
/// exposition format (0.0.4): HELP and TYPE lines, then the family's samples. Metric names are
/// stable; dashboards and alerts depend on them. The process_* families use the names
/// Prometheus client libraries use, so stock dashboards find them.
std::string render_metrics(const GatewayStatus& status,
                           const std::vector<RequestCounter::Count>& requests = {},
                           const ProcessStats& process = {});

/// A label value escaped for the exposition format (backslash, double quote, newline).
std::string escape_label_value(std::string_view value);

}  // namespace edgegw::api
