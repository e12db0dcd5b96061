#include "gateway/api/readings_handler.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>
#include <vector>

#include "tests/fakes/fake_api_backend.h"

namespace edgegw::api {
namespace {

namespace json = boost::json;

HttpRequest post(std::string body, std::string content_type = "application/json") {
  HttpRequest request{.method = "POST",
                      .target = "/api/v1/readings",
                      .headers = {},
                      .body = std::move(body),
                      .path_params = {}};
  if (!content_type.empty()) request.headers.emplace_back("Content-Type", content_type);
  return request;
}

json::object body_of(const HttpResponse& response) {
  return json::parse(response.body).as_object();
}

std::string error_code_of(const HttpResponse& response) {
  return std::string(body_of(response).at("error").at("code").as_string());
}

/// The (index, reason) pairs a 400 invalid_readings answer lists.
std::vector<std::pair<std::int64_t, std::string>> listed_problems(const HttpResponse& response) {
  std::vector<std::pair<std::int64_t, std::string>> listed;
  const auto body = body_of(response);
  for (const auto& entry : body.at("error").at("readings").as_array()) {
    listed.emplace_back(entry.at("index").to_number<std::int64_t>(),
                        std::string(entry.at("reason").as_string()));
  }
  return listed;
}

class ReadingsHandlerTest : public ::testing::Test {
 protected:
  HttpResponse send(std::string body, std::string content_type = "application/json") {
    ReplyRecorder recorder;
    handle_post_readings(post(std::move(body), std::move(content_type)), backend_,
                         recorder.reply());
    return recorder.only();
  }

  /// A body with one reading whose fields are `fields`, in front of a valid reading, so the
  /// bad one sits at index 1.
  HttpResponse send_second(const std::string& fields) {
    return send(R"({"readings":[{"series":"ok","ts_ms":1,"value":1},{)" + fields + "}]}");
  }

  void expect_single_problem(const HttpResponse& response, std::int64_t index,
                             const std::string& reason) {
    ASSERT_EQ(response.status, 400) << response.body;
    EXPECT_EQ(error_code_of(response), "invalid_readings");
    EXPECT_EQ(listed_problems(response),
              (std::vector<std::pair<std::int64_t, std::string>>{{index, reason}}));
    EXPECT_EQ(backend_.submit_count(), 0u);
  }

  FakeApiBackend backend_;
};

TEST_F(ReadingsHandlerTest, ValidBatchIsSubmittedExactlyAndAnsweredOnlyWhenDurable) {
  ReplyRecorder recorder;
  handle_post_readings(
      post(R"({"readings":[{"series":"crane.load_kg","ts_ms":1700000000000,"value":1.5},)"
           R"({"series":"crane.wind_mps","ts_ms":1700000000001.0,"value":-3}]})"),
      backend_, recorder.reply());

  EXPECT_EQ(recorder.count(), 0u) << "answered before the batch was durable";
  ASSERT_EQ(backend_.submit_count(), 1u);
  EXPECT_EQ(backend_.submitted(0),
            (std::vector<NamedReading>{{"crane.load_kg", 1700000000000, 1.5},
                                       {"crane.wind_mps", 1700000000001, -3.0}}));

  ASSERT_TRUE(backend_.complete_next(SubmitResult::accepted));
  const auto response = recorder.only();
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.content_type, "application/json");
  EXPECT_EQ(body_of(response), json::parse(R"({"accepted":2})").as_object());
}

TEST_F(ReadingsHandlerTest, SubmitResultsMapToStatuses) {
  struct Case {
    SubmitResult result;
    int status;
    const char* code;
  };
  for (const auto& c : {Case{SubmitResult::busy, 503, "busy"},
                        Case{SubmitResult::storage_full, 507, "storage_full"},
                        Case{SubmitResult::failed, 500, "storage_failed"}}) {
    ReplyRecorder recorder;
    handle_post_readings(post(R"({"readings":[{"series":"a","ts_ms":1,"value":2}]})"), backend_,
                         recorder.reply());
    ASSERT_TRUE(backend_.complete_next(c.result));
    const auto response = recorder.only();
    EXPECT_EQ(response.status, c.status) << c.code;
    EXPECT_EQ(error_code_of(response), c.code);
    if (c.result == SubmitResult::busy) {
      EXPECT_EQ(response.header("Retry-After"), "1");
    } else {
      EXPECT_FALSE(response.header("Retry-After"));
    }
  }
}

TEST_F(ReadingsHandlerTest, ContentTypeMustBeJson) {
  for (const char* type :
       {"", "text/plain", "application/x-www-form-urlencoded", "application/jsonx"}) {
    const auto response = send(R"({"readings":[{"series":"a","ts_ms":1,"value":2}]})", type);
    EXPECT_EQ(response.status, 415) << type;
    EXPECT_EQ(error_code_of(response), "unsupported_media_type");
  }
  EXPECT_EQ(backend_.submit_count(), 0u);

  ReplyRecorder recorder;
  handle_post_readings(post(R"({"readings":[{"series":"a","ts_ms":1,"value":2}]})",
                            "Application/JSON; charset=utf-8"),
                       backend_, recorder.reply());
  EXPECT_EQ(backend_.submit_count(), 1u) << "media types are case-insensitive, params allowed";
}

TEST_F(ReadingsHandlerTest, MalformedJsonIs400) {
  for (const char* body :
       {"", "{", R"({"readings":[)", "nul", R"({"readings":[]} x)", "{\"readings\":\"\xff\"}"}) {
    const auto response = send(body);
    EXPECT_EQ(response.status, 400) << body;
    EXPECT_EQ(error_code_of(response), "malformed_json") << body;
  }
  EXPECT_EQ(backend_.submit_count(), 0u);
}

TEST_F(ReadingsHandlerTest, BodyWithoutReadingsArrayIs400) {
  for (const char* body : {"{}", R"({"readings":{}})", R"({"readings":null})", "[]", "42"}) {
    const auto response = send(body);
    EXPECT_EQ(response.status, 400) << body;
    EXPECT_TRUE(error_code_of(response) == "missing_readings" ||
                error_code_of(response) == "invalid_body")
        << body << " " << response.body;
  }
  EXPECT_EQ(error_code_of(send(R"({"readings":[{"series":"a","ts_ms":1,"value":2}],"x":1})")),
            "invalid_body");
  EXPECT_EQ(backend_.submit_count(), 0u);
}

TEST_F(ReadingsHandlerTest, EmptyBatchIs400) {
  const auto response = send(R"({"readings":[]})");
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(error_code_of(response), "empty_batch");
  EXPECT_EQ(backend_.submit_count(), 0u);
}

TEST_F(ReadingsHandlerTest, ReadingThatIsNotAnObjectIsListedByIndex) {
  expect_single_problem(send(R"({"readings":[{"series":"ok","ts_ms":1,"value":1},[1,2]]})"), 1,
                        "not_an_object");
}

TEST_F(ReadingsHandlerTest, MissingFieldsAreListedByIndex) {
  expect_single_problem(send_second(R"("ts_ms":1,"value":1)"), 1, "missing_field");
  expect_single_problem(send_second(R"("series":"s","value":1)"), 1, "missing_field");
  expect_single_problem(send_second(R"("series":"s","ts_ms":1)"), 1, "missing_field");
}

TEST_F(ReadingsHandlerTest, UnknownFieldIsListedWithItsName) {
  const auto response = send_second(R"("series":"s","ts_ms":1,"value":1,"timestamp":2)");
  expect_single_problem(response, 1, "unknown_field");
  EXPECT_EQ(body_of(response).at("error").at("readings").at(0).at("field"), "timestamp");
}

TEST_F(ReadingsHandlerTest, SeriesMustBeAShortPrintableString) {
  expect_single_problem(send_second(R"("series":"","ts_ms":1,"value":1)"), 1, "invalid_series");
  expect_single_problem(send_second(R"("series":7,"ts_ms":1,"value":1)"), 1, "invalid_series");
  expect_single_problem(send_second(R"("series":null,"ts_ms":1,"value":1)"), 1, "invalid_series");
  expect_single_problem(send_second(R"("series":"a\u0007b","ts_ms":1,"value":1)"), 1,
                        "invalid_series");
  const std::string longest(kMaxSeriesNameBytes, 's');
  expect_single_problem(send_second(R"("series":")" + longest + R"(s","ts_ms":1,"value":1)"), 1,
                        "invalid_series");
  ReplyRecorder recorder;
  handle_post_readings(
      post(R"({"readings":[{"series":")" + longest + R"(","ts_ms":1,"value":1}]})"), backend_,
      recorder.reply());
  EXPECT_EQ(backend_.submit_count(), 1u) << "a name of exactly the limit is fine";
}

TEST_F(ReadingsHandlerTest, TimestampMustBeAnExactInt64) {
  for (const char* ts : {"1.5", "\"1\"", "true", "null", "9223372036854775808", "1e19", "-1e19",
                         "1e999", "18446744073709551615"}) {
    expect_single_problem(send_second(std::string(R"("series":"s","value":1,"ts_ms":)") + ts), 1,
                          "invalid_ts_ms");
  }
}

TEST_F(ReadingsHandlerTest, TimestampAcceptsIntegralNumbersInAnySpelling) {
  ReplyRecorder recorder;
  handle_post_readings(post(R"({"readings":[{"series":"s","ts_ms":1.7e12,"value":1},)"
                            R"({"series":"s","ts_ms":9223372036854775807,"value":1},)"
                            R"({"series":"s","ts_ms":-5,"value":1}]})"),
                       backend_, recorder.reply());
  ASSERT_EQ(backend_.submit_count(), 1u);
  const auto submitted = backend_.submitted(0);
  EXPECT_EQ(submitted[0].ts_ms, 1700000000000);
  EXPECT_EQ(submitted[1].ts_ms, 9223372036854775807);
  EXPECT_EQ(submitted[2].ts_ms, -5) << "a stale timestamp is the backend's call";
}

TEST_F(ReadingsHandlerTest, ValueMustBeAFiniteNumber) {
  for (const char* value : {"\"1\"", "true", "null", "[1]", "{}"}) {
    expect_single_problem(send_second(std::string(R"("series":"s","ts_ms":1,"value":)") + value), 1,
                          "invalid_value");
  }
  // JSON cannot spell NaN, but an overflowing literal parses as infinity.
  expect_single_problem(send_second(R"("series":"s","ts_ms":1,"value":1e999)"), 1, "not_finite");
  expect_single_problem(send_second(R"("series":"s","ts_ms":1,"value":-1e400)"), 1, "not_finite");
}

TEST_F(ReadingsHandlerTest, QualityIsGoodUnlessTheDeviceSaysUncertainOrBad) {
  ReplyRecorder recorder;
  handle_post_readings(post(R"({"readings":[{"series":"s","ts_ms":1,"value":1},)"
                            R"({"series":"s","ts_ms":2,"value":2,"quality":"good"},)"
                            R"({"series":"s","ts_ms":3,"value":3,"quality":"uncertain"},)"
                            R"({"series":"s","ts_ms":4,"value":4,"quality":"bad"}]})"),
                       backend_, recorder.reply());
  ASSERT_EQ(backend_.submit_count(), 1u);
  const auto submitted = backend_.submitted(0);
  EXPECT_EQ(submitted[0].quality, Quality::good);
  EXPECT_EQ(submitted[1].quality, Quality::good);
  EXPECT_EQ(submitted[2].quality, Quality::uncertain);
  EXPECT_EQ(submitted[3].quality, Quality::bad);
}

TEST_F(ReadingsHandlerTest, QualityMustBeOneOfTheThreeNames) {
  for (const char* quality : {"\"Bad\"", "\"\"", "2", "null", "true"}) {
    expect_single_problem(
        send_second(std::string(R"("series":"s","ts_ms":1,"value":1,"quality":)") + quality), 1,
        "invalid_quality");
  }
}

TEST_F(ReadingsHandlerTest, HugeIntegerValuesAreAcceptedAsDoubles) {
  ReplyRecorder recorder;
  handle_post_readings(post(R"({"readings":[{"series":"s","ts_ms":1,"value":18446744073709551615},)"
                            R"({"series":"s","ts_ms":1,"value":-9223372036854775808},)"
                            R"({"series":"s","ts_ms":1,"value":123456789012345678901234567890}]})"),
                       backend_, recorder.reply());
  ASSERT_EQ(backend_.submit_count(), 1u);
  const auto submitted = backend_.submitted(0);
  EXPECT_DOUBLE_EQ(submitted[0].value, 18446744073709551615.0);
  EXPECT_DOUBLE_EQ(submitted[1].value, -9223372036854775808.0);
  EXPECT_DOUBLE_EQ(submitted[2].value, 1.2345678901234568e29);
}

TEST_F(ReadingsHandlerTest, BackendProblemsAreMappedBackToPostedIndexes) {
  // Index 1 is malformed, so the backend sees readings 0, 2 and 3 as its 0, 1 and 2.
  backend_.set_problems({{.index = 1, .reason = RejectReason::out_of_range},
                         {.index = 2, .reason = RejectReason::future_timestamp}});
  const auto response =
      send(R"({"readings":[{"series":"a","ts_ms":1,"value":1},{"series":"a","value":1},)"
           R"({"series":"a","ts_ms":1,"value":1e300},{"series":"a","ts_ms":9e15,"value":1}]})");
  ASSERT_EQ(response.status, 400);
  EXPECT_EQ(listed_problems(response),
            (std::vector<std::pair<std::int64_t, std::string>>{
                {1, "missing_field"}, {2, "out_of_range"}, {3, "future_timestamp"}}));
  ASSERT_EQ(backend_.checked().size(), 1u);
  EXPECT_EQ(backend_.checked()[0].size(), 3u);
  EXPECT_EQ(backend_.submit_count(), 0u) << "a batch with any bad reading stores nothing";
  EXPECT_NE(body_of(response).at("error").at("message").as_string().find("3 of 4"),
            std::string::npos);
}

TEST_F(ReadingsHandlerTest, ParseReadingsBodyKeepsOrderAndIndexes) {
  auto parsed = parse_readings_body(
      R"({"readings":[{"series":"a","ts_ms":1,"value":1},7,{"series":"b","ts_ms":2,"value":2}]})");
  ASSERT_TRUE(std::holds_alternative<ParsedBatch>(parsed));
  const auto& batch = std::get<ParsedBatch>(parsed);
  EXPECT_EQ(batch.readings, (std::vector<NamedReading>{{"a", 1, 1.0}, {"b", 2, 2.0}}));
  EXPECT_EQ(batch.indexes, (std::vector<std::size_t>{0, 2}));
  ASSERT_EQ(batch.problems.size(), 1u);
  EXPECT_EQ(batch.problems[0].index, 1u);
  EXPECT_EQ(batch.problems[0].reason, "not_an_object");
}

}  // namespace
}  // namespace edgegw::api
