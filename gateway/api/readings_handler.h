#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "gateway/api/api_backend.h"
#include "gateway/api/http_message.h"

namespace edgegw::api {

/// Longest series name a posted reading may carry, in bytes.
inline constexpr std::size_t kMaxSeriesNameBytes = 256;

/// One posted reading that cannot be stored: its index in the batch, a reason code
/// (a RejectReason name or a shape problem such as "invalid_ts_ms") and, for shape problems,
/// the offending field.
struct BatchProblem {
  std::size_t index = 0;
  std::string reason;
  std::string field;
};

/// The body of POST /api/v1/readings, parsed: the readings that are well formed, in order,
/// with each one's index in the posted array, and the problems of the others.
struct ParsedBatch {
  std::vector<NamedReading> readings;
  std::vector<std::size_t> indexes;
  std::vector<BatchProblem> problems;
};

/// Parses a readings body. Returns the error response for a body that is not a readings
/// document at all (malformed JSON, no "readings" array, an empty batch).
std::variant<ParsedBatch, HttpResponse> parse_readings_body(std::string_view body);

/// POST /api/v1/readings: validates the whole batch (shape, then backend.check()), submits it
/// only if every reading is valid, and replies once the backend says the batch is durable.
void handle_post_readings(const HttpRequest& request, ApiBackend& backend, Reply reply);

}  // namespace edgegw::api
