#include "gateway/api/dashboard.h"

#include <string>
#include <utility>

namespace edgegw::api {
namespace {

std::string_view content_type_for(std::string_view name) {
  if (name.ends_with(".html")) return "text/html; charset=utf-8";
  if (name.ends_with(".js")) return "text/javascript; charset=utf-8";
  if (name.ends_with(".css")) return "text/css; charset=utf-8";
  if (name.ends_with(".svg")) return "image/svg+xml";
  return "application/octet-stream";
}

HttpResponse asset_response(const DashboardAsset& asset) {
  // Assigned field by field rather than designated-initialised, so a field added to
  // HttpResponse later needs no change here.
  HttpResponse response;
  response.status = 200;
  response.content_type = std::string(content_type_for(asset.name));
  response.body = std::string(asset.data);
  // The page may only talk to this gateway: a stray external reference fails loudly in the
  // browser instead of hanging on a box that is offline.
  response.headers.emplace_back("Content-Security-Policy",
                                "default-src 'self'; img-src 'self' data:; "
                                "frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  // The assets change only with the binary; revalidating each load keeps an upgraded
  // gateway from running yesterday's script against today's API.
  response.headers.emplace_back("Cache-Control", "no-cache");
  return response;
}

}  // namespace

void add_dashboard_routes(Router& router) {
  for (const DashboardAsset& asset : dashboard_assets()) {
    std::string path =
        asset.name == "index.html" ? std::string("/") : "/dashboard/" + std::string(asset.name);
    // The assets live in static storage for the life of the process; copying the view into
    // the handler is enough.
    // Open even when reads need the token: the page holds no data and asks for the token
    // itself before it calls the API.
    router.add_sync(
        "GET", std::move(path), [asset](const HttpRequest&) { return asset_response(asset); },
        Access::open);
  }
}

}  // namespace edgegw::api
