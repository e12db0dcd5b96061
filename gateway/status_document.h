#pragma once

#include <boost/json/object.hpp>

#include "gateway/status.h"

namespace edgegw {

/// The status document: what GET /api/v1/status serves and the cloud's `status` command
/// answers, built here only.
boost::json::object status_document(const GatewayStatus& status);

}  // namespace edgegw
