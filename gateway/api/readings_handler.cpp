#include "gateway/api/readings_handler.h"

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <utility>

namespace edgegw::api {
namespace {

namespace json = boost::json;

std::optional<std::int64_t> exact_int64(const json::value& v) {
  if (const auto* i = v.if_int64()) return *i;
  if (const auto* u = v.if_uint64()) {
    if (*u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return std::nullopt;
    }
    return static_cast<std::int64_t>(*u);
  }
  if (const auto* d = v.if_double()) {
    // 2^63 is exactly representable and is the first double past int64's range.
    constexpr double kLimit = 9223372036854775808.0;
    if (!std::isfinite(*d) || *d != std::trunc(*d) || *d < -kLimit || *d >= kLimit) {
      return std::nullopt;
    }
    return static_cast<std::int64_t>(*d);
  }
  return std::nullopt;
}

bool valid_series_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxSeriesNameBytes) return false;
  // Control characters would end up in logs, metrics labels and the cloud's keys.
  return std::none_of(name.begin(), name.end(),
                      [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

/// Checks one element of the readings array; on success fills `reading`.
std::optional<BatchProblem> parse_reading(std::size_t index, const json::value& element,
                                          NamedReading& reading) {
  auto problem = [index](std::string reason, std::string field = {}) {
    return BatchProblem{.index = index, .reason = std::move(reason), .field = std::move(field)};
  };
  const auto* object = element.if_object();
  if (!object) return problem("not_an_object");
  for (const auto& entry : *object) {
    const auto key = entry.key();
    if (key != "series" && key != "ts_ms" && key != "value" && key != "quality") {
      return problem("unknown_field", std::string(key));
    }
  }

  const auto* series = object->if_contains("series");
  if (!series) return problem("missing_field", "series");
  const auto* series_name = series->if_string();
  if (!series_name || !valid_series_name(*series_name)) return problem("invalid_series", "series");

  const auto* ts = object->if_contains("ts_ms");
  if (!ts) return problem("missing_field", "ts_ms");
  const auto ts_ms = exact_int64(*ts);
  if (!ts_ms) return problem("invalid_ts_ms", "ts_ms");

  const auto* value = object->if_contains("value");
  if (!value) return problem("missing_field", "value");
  double number = 0.0;
  if (const auto* d = value->if_double()) {
    number = *d;
  } else if (const auto* i = value->if_int64()) {
    number = static_cast<double>(*i);
  } else if (const auto* u = value->if_uint64()) {
    number = static_cast<double>(*u);
  } else {
    return problem("invalid_value", "value");
  }
  // JSON cannot spell NaN, but the parser turns 1e999 into infinity.
  if (!std::isfinite(number)) return problem("not_finite", "value");

  Quality quality = Quality::good;
  if (const auto* given = object->if_contains("quality")) {
    const auto* name = given->if_string();
    if (name && *name == "uncertain") {
      quality = Quality::uncertain;
    } else if (name && *name == "bad") {
      quality = Quality::bad;
    } else if (!name || *name != "good") {
      return problem("invalid_quality", "quality");
    }
  }

  reading = {
      .series = std::string(*series_name), .ts_ms = *ts_ms, .value = number, .quality = quality};
  return std::nullopt;
}

std::string problems_json(const std::vector<BatchProblem>& problems, std::size_t batch_size) {
  json::array listed;
  listed.reserve(problems.size());
  for (const auto& p : problems) {
    json::object entry;
    entry["index"] = p.index;
    entry["reason"] = p.reason;
    if (!p.field.empty()) entry["field"] = p.field;
    listed.push_back(std::move(entry));
  }
  json::object error;
  error["code"] = "invalid_readings";
  error["message"] = std::to_string(problems.size()) + " of " + std::to_string(batch_size) +
                     " readings are invalid; nothing was stored";
  error["readings"] = std::move(listed);
  json::object root;
  root["error"] = std::move(error);
  return json::serialize(root);
}

HttpResponse submit_result_response(SubmitResult result, std::size_t count) {
  switch (result) {
    case SubmitResult::accepted: {
      json::object body;
      body["accepted"] = count;
      return json_response(200, json::serialize(body));
    }
    case SubmitResult::busy: {
      auto response = json_error(503, "busy", "the buffer is busy; nothing was stored, retry");
      response.headers.emplace_back("Retry-After", "1");
      return response;
    }
    case SubmitResult::storage_full:
      return json_error(507, "storage_full", "the buffer is full; nothing was stored");
    case SubmitResult::failed:
      break;
  }
  return json_error(500, "storage_failed", "the buffer failed to store the batch; see the log");
}

}  // namespace

std::variant<ParsedBatch, HttpResponse> parse_readings_body(std::string_view body) {
  json::error_code ec;
  // The session caps the body size; the default nesting limit (32) keeps parsing shallow.
  json::value document = json::parse(body, ec);
  if (ec) return json_error(400, "malformed_json", "the body is not valid JSON: " + ec.message());

  const auto* root = document.if_object();
  if (!root) return json_error(400, "invalid_body", "the body must be a JSON object");
  for (const auto& entry : *root) {
    if (entry.key() != "readings") {
      return json_error(400, "invalid_body",
                        "unknown field \"" + std::string(entry.key()) + "\" in the body");
    }
  }
  const auto* readings = root->if_contains("readings");
  if (!readings || !readings->is_array()) {
    return json_error(400, "missing_readings", "the body must have a \"readings\" array");
  }
  const auto& array = readings->get_array();
  if (array.empty()) return json_error(400, "empty_batch", "the readings array is empty");

  ParsedBatch batch;
  batch.readings.reserve(array.size());
  batch.indexes.reserve(array.size());
  for (std::size_t i = 0; i < array.size(); ++i) {
    NamedReading reading;
    if (auto problem = parse_reading(i, array[i], reading)) {
      batch.problems.push_back(std::move(*problem));
    } else {
      batch.readings.push_back(std::move(reading));
      batch.indexes.push_back(i);
    }
  }
  return batch;
}

void handle_post_readings(const HttpRequest& request, ApiBackend& backend, Reply reply) {
  const auto content_type = request.header("Content-Type");
  if (!content_type || !is_json_content_type(*content_type)) {
    reply(json_error(415, "unsupported_media_type", "send the readings as application/json"));
    return;
  }
  auto parsed = parse_readings_body(request.body);
  if (auto* error = std::get_if<HttpResponse>(&parsed)) {
    reply(std::move(*error));
    return;
  }
  auto& batch = std::get<ParsedBatch>(parsed);
  const std::size_t batch_size = batch.readings.size() + batch.problems.size();

  // Readings of the right shape still go through the pipeline's own checks, so one answer
  // lists every bad reading, not just the first kind of problem.
  for (const auto& problem : backend.check(batch.readings)) {
    if (problem.index >= batch.indexes.size()) continue;  // a backend bug; do not index past
    batch.problems.push_back({.index = batch.indexes[problem.index],
                              .reason = std::string(reject_reason_name(problem.reason)),
                              .field = {}});
  }
  if (!batch.problems.empty()) {
    std::stable_sort(batch.problems.begin(), batch.problems.end(),
                     [](const auto& a, const auto& b) { return a.index < b.index; });
    reply(json_response(400, problems_json(batch.problems, batch_size)));
    return;
  }

  const std::size_t count = batch.readings.size();
  backend.submit(std::move(batch.readings), [reply = std::move(reply), count](SubmitResult result) {
    reply(submit_result_response(result, count));
  });
}

}  // namespace edgegw::api
