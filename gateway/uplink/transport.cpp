#include "gateway/uplink/transport.h"

#include <vector>

namespace edgegw {
namespace {

constexpr int kFirstFailureCode = 0x80;
constexpr int kServerBusy = 0x89;
constexpr int kQuotaExceeded = 0x97;

std::vector<std::string_view> levels(std::string_view name) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (;;) {
    const std::size_t slash = name.find('/', start);
    out.push_back(name.substr(start, slash == std::string_view::npos ? slash : slash - start));
    if (slash == std::string_view::npos) return out;
    start = slash + 1;
  }
}

}  // namespace

PublishResult classify_publish(bool completed, int reason_code, std::string_view detail) {
  PublishResult result{.outcome = PublishResult::Outcome::acked,
                       .reason_code = reason_code,
                       .reason = std::string(detail)};
  if (reason_code >= kFirstFailureCode) {
    const bool passes = reason_code == kServerBusy || reason_code == kQuotaExceeded;
    result.outcome = passes ? PublishResult::Outcome::retry : PublishResult::Outcome::refused;
  } else if (!completed) {
    result.outcome = PublishResult::Outcome::retry;
  }
  return result;
}

bool topic_matches(std::string_view filter, std::string_view topic) {
  if (!topic.empty() && topic.front() == '$' && !filter.empty() &&
      (filter.front() == '+' || filter.front() == '#')) {
    return false;
  }
  const auto want = levels(filter);
  const auto have = levels(topic);
  for (std::size_t i = 0; i < want.size(); ++i) {
    if (want[i] == "#") return true;  // the rest, the parent level included
    if (i >= have.size()) return false;
    if (want[i] != "+" && want[i] != have[i]) return false;
  }
  return want.size() == have.size();
}

std::string_view to_string(SubscriptionState::State state) {
  switch (state) {
    case SubscriptionState::State::pending:
      return "pending";
    case SubscriptionState::State::granted:
      return "granted";
    case SubscriptionState::State::refused:
      return "refused";
  }
  return "pending";
}

}  // namespace edgegw
