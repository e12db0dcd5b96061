#include "gateway/cloud/iothub_topic.h"

#include <charconv>

namespace edgegw::cloud {

std::string topic_parameter(std::string_view topic, std::string_view name) {
  const auto query_at = topic.find('?');
  std::string_view query = query_at == std::string_view::npos ? "" : topic.substr(query_at + 1);
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? "" : query.substr(amp + 1);
    const auto eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == name) {
      return std::string(pair.substr(eq + 1));
    }
  }
  return {};
}

std::optional<int> answer_status(std::string_view topic, std::string_view prefix) {
  if (!topic.starts_with(prefix)) return std::nullopt;
  topic.remove_prefix(prefix.size());
  const auto status = topic.substr(0, topic.find('/'));
  int value = 0;
  if (status.empty() ||
      std::from_chars(status.data(), status.data() + status.size(), value).ec != std::errc{}) {
    return std::nullopt;
  }
  return value;
}

}  // namespace edgegw::cloud
