#pragma once

#include <cstdint>

#include "gateway/billing/cost_model.h"
#include "gateway/model/series.h"
#include "gateway/uplink/uplink.h"

namespace edgegw {

/// Feeds `tally` from the uplink: every message the transport took is billed as the provider
/// meters it, a bundle with the readings it carries (none for a resend), anything else (an
/// alarm, a command's answer) as a message a naive device would send as well.
Uplink::PublishedHook bill_publishes_to(billing::BillingTally& tally);

/// What one reading of the longest-named series in `catalog` would take as a JSON message of
/// its own, as a naive device sends it. Every such message fits one unit, so the exact size only
/// matters for very long names.
std::int64_t naive_message_bytes(const SeriesCatalog& catalog, std::int64_t now_ms);

}  // namespace edgegw
