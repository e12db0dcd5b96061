#include "gateway/api/router.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <stdexcept>
#include <string>

#include "gateway/api/api_routes.h"
#include "gateway/api/metrics.h"
#include "tests/fakes/fake_api_backend.h"

namespace edgegw::api {
namespace {

namespace json = boost::json;

HttpRequest request(std::string method, std::string target) {
  return {.method = std::move(method),
          .target = std::move(target),
          .headers = {},
          .body = {},
          .path_params = {}};
}

HttpResponse dispatch(const Router& router, const HttpRequest& r) {
  ReplyRecorder recorder;
  router.dispatch(r, recorder.reply());
  return recorder.only();
}

json::value error_of(const HttpResponse& response) {
  return json::parse(response.body).at("error");
}

Router two_routes() {
  Router router;
  router.add_sync("GET", "/a", [](const HttpRequest&) { return json_response(200, "{}"); });
  router.add_sync("POST", "/b", [](const HttpRequest&) { return json_response(201, "{}"); });
  return router;
}

TEST(RouterTest, UnknownPathIs404WithJsonError) {
  const auto response = dispatch(two_routes(), request("GET", "/nope"));
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(response.content_type, "application/json");
  EXPECT_EQ(error_of(response).at("code"), "not_found");
  EXPECT_TRUE(error_of(response).at("message").is_string());
}

TEST(RouterTest, DispatchNamesTheRouteTemplateThatMatched) {
  Router router;
  router.add_sync("GET", "/items/{id}",
                  [](const HttpRequest&) { return json_response(200, "{}"); });
  ReplyRecorder recorder;
  EXPECT_EQ(router.dispatch(request("GET", "/items/42"), recorder.reply()), "/items/{id}");
  EXPECT_EQ(router.dispatch(request("DELETE", "/items/42"), recorder.reply()), "/items/{id}")
      << "a 405 still names the route";
  EXPECT_EQ(router.dispatch(request("GET", "/nope"), recorder.reply()), "");
}

TEST(RouterTest, KnownPathWithOtherMethodIs405WithAllow) {
  const auto on_get_route = dispatch(two_routes(), request("DELETE", "/a"));
  EXPECT_EQ(on_get_route.status, 405);
  EXPECT_EQ(error_of(on_get_route).at("code"), "method_not_allowed");
  EXPECT_EQ(on_get_route.header("Allow"), "GET, HEAD");

  const auto on_post_route = dispatch(two_routes(), request("GET", "/b"));
  EXPECT_EQ(on_post_route.status, 405);
  EXPECT_EQ(on_post_route.header("allow"), "POST") << "header lookup is case-insensitive";
}

TEST(RouterTest, HeadIsServedByGet) {
  EXPECT_EQ(dispatch(two_routes(), request("HEAD", "/a")).status, 200);
  EXPECT_EQ(dispatch(two_routes(), request("HEAD", "/b")).status, 405);
}

TEST(RouterTest, QueryStringDoesNotAffectRouting) {
  EXPECT_EQ(dispatch(two_routes(), request("GET", "/a?x=1&y")).status, 200);
  EXPECT_EQ(dispatch(two_routes(), request("GET", "/a/")).status, 404) << "paths match exactly";
}

TEST(RouterTest, MethodsAreCaseSensitive) {
  EXPECT_EQ(dispatch(two_routes(), request("get", "/a")).status, 405);
}

TEST(RouterTest, HandlerThatThrowsIs500) {
  Router router;
  router.add_sync("GET", "/boom",
                  [](const HttpRequest&) -> HttpResponse { throw std::runtime_error("broken"); });
  const auto response = dispatch(router, request("GET", "/boom"));
  EXPECT_EQ(response.status, 500);
  EXPECT_EQ(error_of(response).at("code"), "internal_error");
}

TEST(RouterTest, AsyncHandlerMayReplyLater) {
  Router router;
  Reply saved;
  router.add("GET", "/later", [&saved](const HttpRequest&, Reply reply) { saved = reply; });
  ReplyRecorder recorder;
  router.dispatch(request("GET", "/later"), recorder.reply());
  EXPECT_EQ(recorder.count(), 0u);
  saved(json_response(200, "{}"));
  EXPECT_EQ(recorder.only().status, 200);
}

TEST(ApiRoutesTest, HealthzIsOk) {
  FakeApiBackend backend;
  const auto response = dispatch(make_api_router(backend), request("GET", "/healthz"));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.content_type, "application/json");
  EXPECT_EQ(json::parse(response.body), json::parse(R"({"status":"ok"})"));
}

TEST(ApiRoutesTest, MetricsRendersTheBackendStatusAndThisProcess) {
  FakeApiBackend backend;
  GatewayStatus status;
  status.readings_accepted = 1234;
  backend.set_status(status);
  const auto response = dispatch(make_api_router(backend), request("GET", "/metrics"));
  EXPECT_EQ(response.status, 200);
  EXPECT_TRUE(response.content_type.starts_with("text/plain; version=0.0.4"));
  EXPECT_NE(response.body.find("\nedgegw_readings_accepted_total 1234\n"), std::string::npos);
  EXPECT_NE(response.body.find("\nprocess_resident_memory_bytes "), std::string::npos)
      << "the kernel's figures for the test process itself";
}

TEST(ApiRoutesTest, ReadingsRouteTakesOnlyPost) {
  FakeApiBackend backend;
  const auto router = make_api_router(backend);
  const auto get = dispatch(router, request("GET", "/api/v1/readings"));
  EXPECT_EQ(get.status, 405);
  EXPECT_EQ(get.header("Allow"), "POST");

  auto post = request("POST", "/api/v1/readings");
  post.headers.emplace_back("content-type", "application/json");
  post.body = R"({"readings":[{"series":"a","ts_ms":1,"value":2}]})";
  ReplyRecorder recorder;
  router.dispatch(post, recorder.reply());
  ASSERT_TRUE(backend.complete_next(SubmitResult::accepted));
  EXPECT_EQ(recorder.only().status, 200);
}

TEST(ApiRoutesTest, HealthzAndMetricsRefuseOtherMethods) {
  FakeApiBackend backend;
  const auto router = make_api_router(backend);
  for (const char* path : {"/healthz", "/metrics"}) {
    const auto response = dispatch(router, request("POST", path));
    EXPECT_EQ(response.status, 405) << path;
    EXPECT_EQ(response.header("Allow"), "GET, HEAD") << path;
  }
}

TEST(HttpMessageTest, JsonContentTypeAcceptsParametersAndCase) {
  EXPECT_TRUE(is_json_content_type("application/json"));
  EXPECT_TRUE(is_json_content_type(" application/JSON ; charset=UTF-8"));
  EXPECT_FALSE(is_json_content_type("application/json-patch+json"));
  EXPECT_FALSE(is_json_content_type("text/json"));
  EXPECT_FALSE(is_json_content_type(""));
}

TEST(HttpMessageTest, JsonErrorEscapesItsMessage) {
  const auto response = json_error(400, "bad", "quote \" and newline \n");
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(json::parse(response.body).at("error").at("message"), "quote \" and newline \n");
}

}  // namespace
}  // namespace edgegw::api
