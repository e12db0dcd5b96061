#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace edgegw::cloud {

// Azure IoT Hub and DPS carry a request's id and other values in the query of the topic:
// "$iothub/twin/res/204/?$rid=7&$version=3", "$dps/registrations/res/202/?$rid=1&retry-after=3".

/// The value of `name` in the topic's query; empty when it has none.
std::string topic_parameter(std::string_view topic, std::string_view name);

/// The status of an answer topic "<prefix><status>/?...", or nullopt when `topic` is not one.
std::optional<int> answer_status(std::string_view topic, std::string_view prefix);

}  // namespace edgegw::cloud
