// The diagnostics page as the router serves it: present, HTML, and offline-safe (every script,
// style and image it references is served by the gateway itself).
#include <gtest/gtest.h>

#include <optional>
#include <regex>
#include <string>

#include "gateway/api/dashboard.h"
#include "gateway/api/router.h"

namespace edgegw::api {
namespace {

HttpResponse get(const Router& router, std::string target) {
  HttpRequest request;
  request.method = "GET";
  request.target = std::move(target);
  std::optional<HttpResponse> answer;
  router.dispatch(request, [&answer](HttpResponse response) { answer = std::move(response); });
  // The dashboard's handlers are synchronous, so the reply has arrived by now.
  EXPECT_TRUE(answer.has_value());
  if (!answer) answer.emplace().status = 0;
  return *answer;
}

Router dashboard_router() {
  Router router;
  add_dashboard_routes(router);
  return router;
}

TEST(DashboardPageTest, RootServesTheHtmlPage) {
  const HttpResponse page = get(dashboard_router(), "/");
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.content_type, "text/html; charset=utf-8");
  EXPECT_NE(page.body.find("<title>edgegw diagnostics</title>"), std::string::npos);
  EXPECT_TRUE(page.header("Content-Security-Policy").has_value());
}

TEST(DashboardPageTest, EveryAssetIsServedWithItsContentType) {
  const Router router = dashboard_router();
  const HttpResponse js = get(router, "/dashboard/app.js");
  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(js.content_type, "text/javascript; charset=utf-8");
  EXPECT_NE(js.body.find("/api/v1/status"), std::string::npos);
  const HttpResponse css = get(router, "/dashboard/style.css");
  EXPECT_EQ(css.status, 200);
  EXPECT_EQ(css.content_type, "text/css; charset=utf-8");
}

TEST(DashboardPageTest, EmbeddedBytesAreExact) {
  // The generator turns each file into a byte array; a lost or doubled byte would show here
  // as a page not ending the way the source does.
  for (const DashboardAsset& asset : dashboard_assets()) {
    ASSERT_FALSE(asset.data.empty()) << asset.name;
    EXPECT_EQ(asset.data.back(), '\n') << asset.name;
  }
  EXPECT_TRUE(get(dashboard_router(), "/").body.ends_with("</html>\n"));
}

TEST(DashboardPageTest, ReferencesNothingOutsideTheGateway) {
  const Router router = dashboard_router();
  const std::string page = get(router, "/").body;
  // Every src=/href= in the page must be a path on this gateway, and must be served.
  const std::regex reference(R"re((?:src|href)\s*=\s*"([^"]*)")re", std::regex::icase);
  int references = 0;
  for (auto it = std::sregex_iterator(page.begin(), page.end(), reference);
       it != std::sregex_iterator(); ++it) {
    const std::string target = (*it)[1];
    ++references;
    EXPECT_TRUE(target.starts_with("/") && !target.starts_with("//")) << target;
    EXPECT_EQ(get(router, target).status, 200) << target;
  }
  EXPECT_GE(references, 2);  // the script and the style sheet
  // No absolute URL anywhere, in the page or its assets (CSS url(), JS fetch, @import).
  const std::regex external(R"((https?:)?//[a-z0-9.-]+\.[a-z]{2,})", std::regex::icase);
  for (const DashboardAsset& asset : dashboard_assets()) {
    const std::string text(asset.data);
    std::smatch match;
    EXPECT_FALSE(std::regex_search(text, match, external))
        << asset.name << " references " << match.str(0);
  }
}

TEST(DashboardPageTest, UnknownAssetIs404) {
  EXPECT_EQ(get(dashboard_router(), "/dashboard/nope.js").status, 404);
}

}  // namespace
}  // namespace edgegw::api
