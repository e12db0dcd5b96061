#include "gateway/uplink_billing.h"

#include <string>

namespace edgegw {

Uplink::PublishedHook bill_publishes_to(billing::BillingTally& tally) {
  return [&tally](const Uplink::Published& message) {
    const auto bytes = static_cast<std::int64_t>(message.payload_bytes);
    if (message.bundle) {
      tally.add_bundle(bytes, {.topic = message.topic},
                       static_cast<std::int64_t>(message.readings));
    } else {
      tally.add_message(bytes, {.topic = message.topic});
    }
  };
}

std::int64_t naive_message_bytes(const SeriesCatalog& catalog, std::int64_t now_ms) {
  std::string longest;
  for (const auto& info : catalog.all()) {
    if (info.spec.name.size() > longest.size()) longest = info.spec.name;
  }
  return billing::naive_json_size(longest, now_ms, 1234.5);
}

}  // namespace edgegw
