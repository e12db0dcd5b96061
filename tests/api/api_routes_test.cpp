// The routes of make_api_router, driven through the router as the session would, with the fake
// backend: every handler and every error status it can give.
#include "gateway/api/api_routes.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>

#include "gateway/api/resource_handlers.h"
#include "tests/fakes/fake_api_backend.h"

namespace edgegw::api {
namespace {

namespace json = boost::json;

constexpr const char* kToken = "s3cret-token";

HttpRequest request(std::string method, std::string target, std::string body = {}) {
  HttpRequest r;
  r.method = std::move(method);
  r.target = std::move(target);
  r.body = std::move(body);
  if (!r.body.empty()) r.headers.emplace_back("Content-Type", "application/json");
  return r;
}

HttpRequest authorized(HttpRequest r) {
  r.headers.emplace_back("Authorization", std::string("Bearer ") + kToken);
  return r;
}

HttpResponse dispatch(const Router& router, const HttpRequest& r) {
  ReplyRecorder recorder;
  router.dispatch(r, recorder.reply());
  return recorder.only();
}

json::value body_of(const HttpResponse& response) {
  return json::parse(response.body);
}
std::string code_of(const HttpResponse& response) {
  return std::string(body_of(response).at("error").at("code").as_string());
}

GatewayStatus readiness(bool storage_ok, bool connected, std::string last_error = {}) {
  GatewayStatus status;
  status.storage_ok = storage_ok;
  status.uplink_connected = connected;
  status.uplink_last_error = std::move(last_error);
  return status;
}

class ApiRouterRoutesTest : public ::testing::Test {
 protected:
  Router open_router() { return make_api_router(backend_); }
  Router token_router(bool protect_reads = false) {
    return make_api_router(backend_,
                           {.auth = {.token = kToken, .require_auth_for_reads = protect_reads},
                            .uplink_is_mqtt = true});
  }

  FakeApiBackend backend_;
};

// ---- auth as a router policy ----

TEST_F(ApiRouterRoutesTest, MutatingRoutesNeedTheTokenWhenOneIsSet) {
  const auto router = token_router();
  for (const auto& [method, target] :
       std::vector<std::pair<std::string, std::string>>{{"POST", "/api/v1/readings"},
                                                        {"POST", "/api/v1/flush"},
                                                        {"PUT", "/api/v1/armed"},
                                                        {"POST", "/api/v1/alarms/1/ack"},
                                                        {"POST", "/api/v1/adapters/scale/tare"}}) {
    const auto missing = dispatch(router, request(method, target));
    EXPECT_EQ(missing.status, 401) << method << " " << target;
    EXPECT_TRUE(missing.header("WWW-Authenticate")) << target;
    auto wrong = request(method, target);
    wrong.headers.emplace_back("Authorization", "Bearer not-it");
    EXPECT_EQ(dispatch(router, wrong).status, 403) << method << " " << target;
  }
  EXPECT_EQ(backend_.flushes(), 0);
  EXPECT_EQ(backend_.submit_count(), 0u);
  EXPECT_EQ(dispatch(router, authorized(request("POST", "/api/v1/flush"))).status, 202);
  EXPECT_EQ(backend_.flushes(), 1);
}

TEST_F(ApiRouterRoutesTest, ReadsAreOpenUnlessProtected) {
  EXPECT_EQ(dispatch(token_router(), request("GET", "/api/v1/status")).status, 200);
  const auto router = token_router(/*protect_reads=*/true);
  EXPECT_EQ(dispatch(router, request("GET", "/api/v1/status")).status, 401);
  EXPECT_EQ(dispatch(router, request("GET", "/metrics")).status, 401);
  EXPECT_EQ(dispatch(router, authorized(request("GET", "/api/v1/status"))).status, 200);
}

TEST_F(ApiRouterRoutesTest, ProbesStayOpenWhenReadsAreProtected) {
  const auto router = token_router(/*protect_reads=*/true);
  EXPECT_EQ(dispatch(router, request("GET", "/healthz")).status, 200);
  backend_.set_status(readiness(true, true));
  EXPECT_EQ(dispatch(router, request("GET", "/readyz")).status, 200);
}

TEST_F(ApiRouterRoutesTest, WithoutATokenMutationsAreAllowed) {
  EXPECT_EQ(dispatch(open_router(), request("POST", "/api/v1/flush")).status, 202);
  EXPECT_EQ(backend_.flushes(), 1);
}

TEST_F(ApiRouterRoutesTest, RouteListNamesEveryRouteWithItsAccess) {
  const auto routes = open_router().routes();
  auto access_of = [&](std::string_view method, std::string_view path) -> std::optional<Access> {
    for (const auto& route : routes) {
      if (route.method == method && route.path == path) return route.access;
    }
    return std::nullopt;
  };
  EXPECT_EQ(access_of("GET", "/healthz"), Access::open);
  EXPECT_EQ(access_of("GET", "/readyz"), Access::open);
  EXPECT_EQ(access_of("GET", "/api/v1/sensors/{series}"), Access::read);
  EXPECT_EQ(access_of("POST", "/api/v1/readings"), Access::mutate);
  EXPECT_EQ(access_of("PUT", "/api/v1/armed"), Access::mutate);
  EXPECT_EQ(access_of("GET", "/"), Access::open) << "the page asks for the token itself";
  EXPECT_EQ(access_of("POST", "/api/v1/adapters/{name}/tare"), Access::mutate);
  EXPECT_EQ(access_of("POST", "/api/v1/adapters/{name}/calibrate"), Access::mutate);
  EXPECT_EQ(routes.size(), 18u);
}

// ---- /readyz ----

TEST_F(ApiRouterRoutesTest, ReadyWhenStorageWorksAndTheBrokerIsConnected) {
  backend_.set_status(readiness(true, true));
  const auto response = dispatch(open_router(), request("GET", "/readyz"));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(body_of(response).at("status"), "ready");
}

TEST_F(ApiRouterRoutesTest, NotReadyWhileStorageFails) {
  backend_.set_status(readiness(false, true));
  const auto response = dispatch(open_router(), request("GET", "/readyz"));
  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(code_of(response), "storage_failed");
}

TEST_F(ApiRouterRoutesTest, NotReadyWhileTheBrokerIsUnreachableAndSaysWhy) {
  backend_.set_status(readiness(true, false, "TLS handshake failed: certificate expired"));
  const auto response = dispatch(open_router(), request("GET", "/readyz"));
  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(code_of(response), "uplink_disconnected");
  EXPECT_NE(response.body.find("certificate expired"), std::string::npos);
}

TEST_F(ApiRouterRoutesTest, DirectoryUplinkIsReadyWithoutBroker) {
  backend_.set_status(readiness(true, false));
  const auto router = make_api_router(backend_, {.auth = {}, .uplink_is_mqtt = false});
  EXPECT_EQ(dispatch(router, request("GET", "/readyz")).status, 200);
}

// ---- /api/v1/status and /api/v1/cost ----

GatewayStatus sample_status() {
  GatewayStatus s;
  s.version = "1.2.3";
  s.gateway_id = "gw-01";
  s.provider = "aws";
  s.now_ms = 1'700'000'090'000;
  s.uptime_s = 43'200;  // half a day
  s.readings_accepted = 1000;
  s.buffer.readings = 42;
  s.buffer.bytes = 65536;
  s.buffer.oldest_ts_ms = 1'700'000'000'000;
  s.buffer.alarms_pending = 2;
  s.buffer.dropped = {{"max_age", 5}, {"max_bytes", 0}};
  s.bundles_acked = 7;
  s.billable_units = 50;
  s.naive_units = 5000;
  s.armed = false;
  s.uplink_connected = false;
  s.uplink_last_error = "connection refused";
  s.subscriptions = {{.filter = "edgegw/gw-01/commands/+",
                      .state = SubscriptionState::State::refused,
                      .reason = "reason code 135: Not authorized"}};
  s.adapters = {{.name = "scale",
                 .type = "hx711",
                 .health = {.up = true, .errors = 1, .last_error = "no ACK from the HX711"}}};
  return s;
}

TEST_F(ApiRouterRoutesTest, StatusReportsTheSnapshot) {
  backend_.set_status(sample_status());
  const auto response = dispatch(open_router(), request("GET", "/api/v1/status"));
  ASSERT_EQ(response.status, 200);
  const auto body = body_of(response);
  EXPECT_EQ(body.at("version"), "1.2.3");
  EXPECT_EQ(body.at("gateway_id"), "gw-01");
  EXPECT_EQ(body.at("uptime_s"), 43'200);
  EXPECT_EQ(body.at("armed"), false);
  EXPECT_EQ(body.at("uplink").at("provider"), "aws");
  EXPECT_EQ(body.at("uplink").at("connected"), false);
  EXPECT_EQ(body.at("uplink").at("last_error"), "connection refused");
  const auto& subscription = body.at("uplink").at("subscriptions").at(0);
  EXPECT_EQ(subscription.at("filter"), "edgegw/gw-01/commands/+");
  EXPECT_EQ(subscription.at("state"), "refused");
  EXPECT_EQ(subscription.at("reason"), "reason code 135: Not authorized");
  EXPECT_EQ(body.at("buffer").at("readings"), 42);
  EXPECT_EQ(body.at("buffer").at("oldest_age_s"), 90);
  EXPECT_EQ(body.at("buffer").at("alarms_pending"), 2);
  EXPECT_EQ(body.at("buffer").at("dropped").at("max_age"), 5);
  EXPECT_EQ(body.at("bundles").at("acked"), 7);
  EXPECT_EQ(body.at("billing").at("billable_units"), 50);
  EXPECT_EQ(body.at("adapters").at(0).at("state"), "up");
  EXPECT_EQ(body.at("adapters").at(0).at("errors"), 1);
  EXPECT_EQ(body.at("adapters").at(0).at("last_error"), "no ACK from the HX711");
}

TEST_F(ApiRouterRoutesTest, CostExtrapolatesUnitsPerDayAndPricesThemForAws) {
  backend_.set_status(sample_status());
  const auto response = dispatch(open_router(), request("GET", "/api/v1/cost"));
  ASSERT_EQ(response.status, 200);
  const auto body = body_of(response);
  EXPECT_DOUBLE_EQ(body.at("billable_units_per_day").as_double(), 100.0);
  EXPECT_DOUBLE_EQ(body.at("naive_units_per_day").as_double(), 10'000.0);
  EXPECT_DOUBLE_EQ(body.at("savings_factor").as_double(), 100.0);
  // 100 units/day x 30 days at $1 per million units.
  EXPECT_NEAR(body.at("usd_per_month").as_double(), 0.003, 1e-12);
  EXPECT_NEAR(body.at("naive_usd_per_month").as_double(), 0.3, 1e-12);
}

TEST_F(ApiRouterRoutesTest, CostForAzureNamesTheTierItPriced) {
  auto status = sample_status();
  status.provider = "azure";
  backend_.set_status(status);
  const auto body = body_of(dispatch(open_router(), request("GET", "/api/v1/cost")));
  EXPECT_TRUE(body.at("plan").as_string().starts_with("S1 x "));
  EXPECT_TRUE(body.at("usd_per_month").is_double());
}

TEST_F(ApiRouterRoutesTest, CostShowsWhatAFullBundleIsMeteredAtAndHowItAddsUp) {
  auto status = sample_status();
  status.provider = "azure";
  status.metering_rule = "Azure IoT Hub: body + property bag + 170 bytes stamped by the hub";
  status.metering_unit_bytes = 4096;
  status.full_bundle = {.payload = 3904, .topic = 0, .properties = 22, .allowance = 170};
  backend_.set_status(status);
  const auto body = body_of(dispatch(open_router(), request("GET", "/api/v1/cost")));
  const auto& metering = body.at("metering");
  EXPECT_EQ(metering.at("rule").as_string(), status.metering_rule);
  EXPECT_EQ(metering.at("unit_bytes"), 4096);
  const auto& full = metering.at("full_bundle");
  EXPECT_EQ(full.at("metered_bytes"), 4096);
  EXPECT_EQ(full.at("payload_bytes"), 3904);
  EXPECT_EQ(full.at("topic_bytes"), 0);
  EXPECT_EQ(full.at("property_bytes"), 22);
  EXPECT_EQ(full.at("allowance_bytes"), 170);
}

TEST_F(ApiRouterRoutesTest, CostOfAGenericBrokerHasNoPrice) {
  auto status = sample_status();
  status.provider = "generic";
  status.uptime_s = 0;
  backend_.set_status(status);
  const auto body = body_of(dispatch(open_router(), request("GET", "/api/v1/cost")));
  EXPECT_TRUE(body.at("usd_per_month").is_null());
  EXPECT_DOUBLE_EQ(body.at("billable_units_per_day").as_double(), 0.0) << "no uptime, no rate";
}

// ---- sensors ----

TEST_F(ApiRouterRoutesTest, SensorsListsTheLatestReadingOfEachSeries) {
  backend_.set_latest({{.series = "box.weight_g", .unit = "g", .ts_ms = 5, .value = 412.5}});
  const auto response = dispatch(open_router(), request("GET", "/api/v1/sensors"));
  ASSERT_EQ(response.status, 200);
  EXPECT_EQ(body_of(response), json::parse(R"({"sensors":[
      {"series":"box.weight_g","unit":"g","ts_ms":5,"value":412.5}]})"));
}

TEST_F(ApiRouterRoutesTest, SensorHistoryPassesDecodedSeriesAndQuery) {
  backend_.set_history("crane load/kg", {{1, 10.0}, {2, 20.0}, {3, 30.0}});
  const auto response =
      dispatch(open_router(), request("GET", "/api/v1/sensors/crane%20load%2Fkg?since=2&limit=5"));
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(body_of(response), json::parse(R"({"series":"crane load/kg",
      "points":[{"ts_ms":2,"value":20.0},{"ts_ms":3,"value":30.0}]})"));
  ASSERT_EQ(backend_.history_calls().size(), 1u);
  EXPECT_EQ(backend_.history_calls()[0].since_ms, 2);
  EXPECT_EQ(backend_.history_calls()[0].limit, 5u);
}

TEST_F(ApiRouterRoutesTest, SensorHistoryDefaultsToTheLatestThousand) {
  backend_.set_history("s", {});
  EXPECT_EQ(dispatch(open_router(), request("GET", "/api/v1/sensors/s")).status, 200);
  ASSERT_EQ(backend_.history_calls().size(), 1u);
  EXPECT_EQ(backend_.history_calls()[0].since_ms, 0);
  EXPECT_EQ(backend_.history_calls()[0].limit, kDefaultHistoryLimit);
}

TEST_F(ApiRouterRoutesTest, SensorHistoryOfAnUnknownSeriesIs404) {
  const auto response = dispatch(open_router(), request("GET", "/api/v1/sensors/nope"));
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(code_of(response), "unknown_series");
}

TEST_F(ApiRouterRoutesTest, SensorHistoryRejectsGarbageParameters) {
  backend_.set_history("s", {});
  for (const char* target :
       {"/api/v1/sensors/s?since=abc", "/api/v1/sensors/s?since=12x",
        "/api/v1/sensors/s?since=", "/api/v1/sensors/s?limit=0", "/api/v1/sensors/s?limit=-1",
        "/api/v1/sensors/s?limit=10001", "/api/v1/sensors/s?limit=1.5",
        "/api/v1/sensors/s?since=%zz", "/api/v1/sensors/s?since=99999999999999999999"}) {
    const auto response = dispatch(open_router(), request("GET", target));
    EXPECT_EQ(response.status, 400) << target;
    EXPECT_EQ(code_of(response), "invalid_parameter") << target;
  }
  EXPECT_TRUE(backend_.history_calls().empty());
  EXPECT_EQ(dispatch(open_router(), request("GET", "/api/v1/sensors/s?limit=10000")).status, 200);
}

TEST_F(ApiRouterRoutesTest, MalformedEscapeInThePathIs400) {
  const auto response = dispatch(open_router(), request("GET", "/api/v1/sensors/a%2"));
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(code_of(response), "invalid_path");
}

TEST_F(ApiRouterRoutesTest, TemplatedRouteWithOtherMethodIs405WithAllow) {
  const auto response = dispatch(open_router(), request("DELETE", "/api/v1/sensors/s"));
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(response.header("Allow"), "GET, HEAD");
  const auto ack = dispatch(open_router(), request("GET", "/api/v1/alarms/3/ack"));
  EXPECT_EQ(ack.status, 405);
  EXPECT_EQ(ack.header("Allow"), "POST");
}

TEST_F(ApiRouterRoutesTest, ExtraSegmentsAre404) {
  EXPECT_EQ(dispatch(open_router(), request("GET", "/api/v1/sensors/a/b")).status, 404);
  EXPECT_EQ(dispatch(open_router(), request("POST", "/api/v1/alarms//ack")).status, 404);
}

// ---- alarms ----

std::vector<AlarmView> two_alarms() {
  return {{.id = 2,
           .kind = "motion",
           .series = "box.pir",
           .ts_ms = 20,
           .value = 1,
           .message = "motion while armed",
           .acked = false,
           .published = true},
          {.id = 1,
           .kind = "weight_drop",
           .series = "box.weight_g",
           .ts_ms = 10,
           .value = 300,
           .message = "weight dropped",
           .acked = true,
           .published = false}};
}

TEST_F(ApiRouterRoutesTest, AlarmsListsAllByDefault) {
  backend_.set_alarms(two_alarms());
  const auto response = dispatch(open_router(), request("GET", "/api/v1/alarms"));
  ASSERT_EQ(response.status, 200);
  const auto alarms = body_of(response).at("alarms").as_array();
  ASSERT_EQ(alarms.size(), 2u);
  EXPECT_EQ(alarms[0], json::parse(R"({"id":2,"kind":"motion","series":"box.pir","ts_ms":20,
      "value":1.0,"message":"motion while armed","state":"open","published":true,
      "alarm_state":"raised","severity":"warning","threshold":null,"first_ts_ms":0})"));
  EXPECT_EQ(alarms[1].at("state"), "acked");
  EXPECT_EQ(dispatch(open_router(), request("GET", "/api/v1/alarms?state=all")).body,
            response.body);
}

TEST_F(ApiRouterRoutesTest, AlarmsCanBeFilteredToOpenOnes) {
  backend_.set_alarms(two_alarms());
  const auto alarms =
      body_of(dispatch(open_router(), request("GET", "/api/v1/alarms?state=open"))).at("alarms");
  ASSERT_EQ(alarms.as_array().size(), 1u);
  EXPECT_EQ(alarms.at(0).at("id"), 2);
}

TEST_F(ApiRouterRoutesTest, AlarmsRejectAnUnknownState) {
  const auto response = dispatch(open_router(), request("GET", "/api/v1/alarms?state=closed"));
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(code_of(response), "invalid_parameter");
}

TEST_F(ApiRouterRoutesTest, AckMarksTheAlarmAcked) {
  backend_.set_alarms(two_alarms());
  const auto response = dispatch(open_router(), request("POST", "/api/v1/alarms/2/ack"));
  ASSERT_EQ(response.status, 200);
  EXPECT_EQ(body_of(response), json::parse(R"({"id":2,"state":"acked"})"));
  EXPECT_TRUE(backend_.acked(2));
}

TEST_F(ApiRouterRoutesTest, AckOfAnUnknownAlarmIs404AndOfGarbage400) {
  backend_.set_alarms(two_alarms());
  const auto unknown = dispatch(open_router(), request("POST", "/api/v1/alarms/99/ack"));
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(code_of(unknown), "unknown_alarm");
  const auto garbage = dispatch(open_router(), request("POST", "/api/v1/alarms/x1/ack"));
  EXPECT_EQ(garbage.status, 400);
  EXPECT_EQ(code_of(garbage), "invalid_parameter");
}

// ---- flush, armed, config ----

TEST_F(ApiRouterRoutesTest, FlushAsksTheBackendAndAnswers202) {
  const auto response = dispatch(open_router(), request("POST", "/api/v1/flush"));
  EXPECT_EQ(response.status, 202);
  EXPECT_EQ(backend_.flushes(), 1);
}

TEST_F(ApiRouterRoutesTest, PutArmedSetsIt) {
  const auto off = dispatch(open_router(), request("PUT", "/api/v1/armed", R"({"armed":false})"));
  ASSERT_EQ(off.status, 200);
  EXPECT_EQ(body_of(off), json::parse(R"({"armed":false})"));
  dispatch(open_router(), request("PUT", "/api/v1/armed", R"({"armed": true})"));
  EXPECT_EQ(backend_.armed_calls(), (std::vector<bool>{false, true}));
}

TEST_F(ApiRouterRoutesTest, PutArmedRejectsBadBodies) {
  for (const char* body : {R"({"armed":"yes"})", R"({"armed":1})", R"({})", R"([true])",
                           R"({"armed":true,"extra":1})", "{", "true"}) {
    const auto response = dispatch(open_router(), request("PUT", "/api/v1/armed", body));
    EXPECT_EQ(response.status, 400) << body;
  }
  auto no_type = request("PUT", "/api/v1/armed");
  no_type.body = R"({"armed":true})";
  EXPECT_EQ(dispatch(open_router(), no_type).status, 415);
  EXPECT_TRUE(backend_.armed_calls().empty());
}

// ---- tare and calibrate ----

ScaleReply scale_reply(ScaleReply::Status status, std::string error = {}) {
  return {.status = status,
          .outcome = {
              .ok = status == ScaleReply::Status::done || status == ScaleReply::Status::not_stored,
              .error = std::move(error),
              .calibration = {.offset = 8123.5, .scale = -21.25},
              .raw = 8123.5}};
}

TEST_F(ApiRouterRoutesTest, TareAsksTheNamedAdapterAndAnswersTheCalibrationInUse) {
  backend_.set_scale_reply(scale_reply(ScaleReply::Status::done));
  const auto response = dispatch(open_router(), request("POST", "/api/v1/adapters/scale/tare"));
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(body_of(response), json::parse(R"({"adapter":"scale","offset":8123.5,"scale":-21.25,)"
                                           R"("raw_counts":8123.5,"stored":true})"));
  ASSERT_EQ(backend_.scale_calls().size(), 1u);
  EXPECT_EQ(backend_.scale_calls()[0].adapter, "scale");
  EXPECT_EQ(backend_.scale_calls()[0].known_grams, std::nullopt);
}

TEST_F(ApiRouterRoutesTest, CalibrateHandsTheKnownWeightOn) {
  backend_.set_scale_reply(scale_reply(ScaleReply::Status::done));
  const auto response = dispatch(
      open_router(), request("POST", "/api/v1/adapters/scale/calibrate", R"({"known_grams":500})"));
  ASSERT_EQ(response.status, 200) << response.body;
  ASSERT_EQ(backend_.scale_calls().size(), 1u);
  EXPECT_EQ(backend_.scale_calls()[0].known_grams, 500.0);
}

TEST_F(ApiRouterRoutesTest, CalibrateRejectsBadBodiesWithoutAskingTheBackend) {
  for (const char* body :
       {R"({"known_grams":0})", R"({"known_grams":-1})", R"({"known_grams":"500"})", R"({})",
        R"({"known_grams":500,"x":1})", R"([500])", "{", R"({"known_grams":1e999})"}) {
    const auto response =
        dispatch(open_router(), request("POST", "/api/v1/adapters/scale/calibrate", body));
    EXPECT_EQ(response.status, 400) << body;
  }
  auto no_type = request("POST", "/api/v1/adapters/scale/calibrate");
  no_type.body = R"({"known_grams":500})";
  EXPECT_EQ(dispatch(open_router(), no_type).status, 415);
  EXPECT_TRUE(backend_.scale_calls().empty());
}

TEST_F(ApiRouterRoutesTest, ScaleErrorsHaveTheirOwnStatusAndCode) {
  const auto tare = [&] {
    return dispatch(open_router(), request("POST", "/api/v1/adapters/crane/tare"));
  };
  backend_.set_scale_reply(scale_reply(ScaleReply::Status::unknown_adapter));
  EXPECT_EQ(tare().status, 404);
  EXPECT_EQ(code_of(tare()), "unknown_adapter");
  backend_.set_scale_reply(scale_reply(ScaleReply::Status::not_a_scale));
  EXPECT_EQ(tare().status, 409);
  EXPECT_EQ(code_of(tare()), "not_a_load_cell");
  backend_.set_scale_reply(scale_reply(ScaleReply::Status::refused, "no weighing yet"));
  EXPECT_EQ(tare().status, 409);
  EXPECT_EQ(code_of(tare()), "calibration_refused");
  EXPECT_EQ(body_of(tare()).at("error").at("message"), "no weighing yet");
  backend_.set_scale_reply(scale_reply(ScaleReply::Status::not_stored));
  EXPECT_EQ(tare().status, 503);
  EXPECT_EQ(code_of(tare()), "not_stored");
  EXPECT_EQ(body_of(tare()).at("stored"), false);
  EXPECT_EQ(body_of(tare()).at("offset"), 8123.5) << "in use until a restart: say which";
}

TEST_F(ApiRouterRoutesTest, ConfigIsServedAsTheBackendGivesIt) {
  backend_.set_config_json(R"({"api":{"token_file":"<redacted>"}})");
  const auto response = dispatch(open_router(), request("GET", "/api/v1/config"));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.content_type, "application/json");
  EXPECT_EQ(response.body, R"({"api":{"token_file":"<redacted>"}})");
}

}  // namespace
}  // namespace edgegw::api
