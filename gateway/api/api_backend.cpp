#include "gateway/api/api_backend.h"

namespace edgegw::api {

// Defaults that refuse honestly (501) rather than answer with made-up empty data.

std::vector<SensorLatest> ApiBackend::latest() const {
  throw NotImplemented("this gateway does not report latest readings");
}

std::optional<std::vector<SensorPoint>> ApiBackend::history(std::string_view, std::int64_t,
                                                            std::size_t) const {
  throw NotImplemented("this gateway does not serve series history");
}

std::vector<AlarmView> ApiBackend::alarms() const {
  throw NotImplemented("this gateway does not list alarms");
}

bool ApiBackend::ack_alarm(std::int64_t) {
  throw NotImplemented("this gateway cannot acknowledge alarms");
}

void ApiBackend::flush() {
  throw NotImplemented("this gateway cannot flush on request");
}

void ApiBackend::set_armed(bool) {
  throw NotImplemented("this gateway cannot be armed or disarmed");
}

std::string ApiBackend::config_json() const {
  throw NotImplemented("this gateway does not serve its configuration");
}

}  // namespace edgegw::api
