#pragma once

#include <memory>
#include <vector>

#include "adapters/adapter.h"
#include "gateway/ingest/ingest.h"
#include "gateway/ingest/ingest_options.h"
#include "storage/sqlite_buffer.h"

namespace edgegw {

/// Registers every series the gateway knows before it runs: the configured [[series]] first,
/// whose unit and resolution win over what an adapter declares and whose range ingest
/// enforces, then each adapter's. Ingest learns which adapter series a threshold rule watches.
/// Returns each adapter's series ids, in the order of its series().
std::vector<std::vector<SeriesId>> register_series(
    SqliteBuffer& buffer, Ingest& ingest, const std::vector<SeriesOptions>& configured,
    const std::vector<std::unique_ptr<Adapter>>& adapters);

}  // namespace edgegw
