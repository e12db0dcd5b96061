#pragma once

#include <span>
#include <string_view>

#include "gateway/api/router.h"

namespace edgegw::api {

/// One file of the diagnostics page as compiled into the binary.
struct DashboardAsset {
  std::string_view name;  ///< file name under gateway/api/dashboard/, e.g. "app.js"
  std::string_view data;  ///< its exact bytes
};

/// The page's files, in the order embed.cmake lists them; defined in the .cpp that
/// gateway/api/dashboard/embed.cmake generates at build time.
std::span<const DashboardAsset> dashboard_assets();

/// Registers the diagnostics page: GET / answers index.html, and each other asset is served
/// at /dashboard/<name>. Everything comes from memory, nothing from disk or the network, so the
/// page works offline and cannot drift from the binary's API.
void add_dashboard_routes(Router& router);

}  // namespace edgegw::api
