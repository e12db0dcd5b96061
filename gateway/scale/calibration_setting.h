#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/adapter.h"
#include "adapters/weigher.h"
#include "storage/sqlite_buffer.h"

namespace edgegw {

/// A load cell's calibration as the buffer's settings table keeps it, so a tare or calibration
/// made over REST survives a restart: the name "adapter.<adapter name>.calibration" holds
/// {"offset": <counts>, "scale": <counts per gram>}.
std::string calibration_setting_name(std::string_view adapter);
std::string calibration_setting_value(const ScaleCalibration& calibration);
/// The stored calibration, or nothing for a value that is not one (not JSON, a key missing, a
/// scale of 0): the configured offset and scale are used then.
std::optional<ScaleCalibration> parse_calibration_setting(std::string_view value);

/// Puts each load cell's stored tare and calibration in use; an unreadable one is logged and
/// the configured offset and scale stay.
void restore_calibrations(SqliteBuffer& buffer,
                          const std::vector<std::unique_ptr<Adapter>>& adapters);

}  // namespace edgegw
