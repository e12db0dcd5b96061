#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace edgegw {

/// Where an excursion stands: an alarm is published once when raised and once when cleared.
enum class AlarmState : std::uint8_t { raised, cleared };
std::string_view alarm_state_name(AlarmState state);

/// How urgent an alarm is ("info" | "warning" | "critical").
enum class Severity : std::uint8_t { info, warning, critical };
std::string_view severity_name(Severity severity);
std::optional<Severity> parse_severity(std::string_view name);

/// Something a person must hear about now (a theft, an overload), or that it is over. Alarms
/// travel on their own lane: stored in their own table, published before telemetry, dropped by
/// retention last. Each raise and each clear is one stored message.
struct Alarm {
  std::int64_t id = 0;        ///< this message's id, assigned by the buffer
  std::int64_t alarm_id = 0;  ///< the excursion's id: the id of its "raised" message
  std::string kind{};         ///< the rule's name, e.g. "theft", "overload", "high_wind"
  std::string series{};       ///< the series that raised it, empty if none
  std::int64_t ts_ms = 0;     ///< when this state was entered
  double value = 0.0;         ///< the reading that decided it
  std::string message{};
  AlarmState state = AlarmState::raised;
  Severity severity = Severity::warning;
  std::optional<double> threshold{};  ///< the limit that was crossed, where there is one
  std::int64_t first_ts_ms = 0;       ///< when the excursion began
  std::int64_t last_ts_ms = 0;        ///< the last reading seen in it

  friend bool operator==(const Alarm&, const Alarm&) = default;
};

inline std::string_view alarm_state_name(AlarmState state) {
  return state == AlarmState::cleared ? "cleared" : "raised";
}

inline std::string_view severity_name(Severity severity) {
  switch (severity) {
    case Severity::info:
      return "info";
    case Severity::warning:
      return "warning";
    case Severity::critical:
      break;
  }
  return "critical";
}

inline std::optional<Severity> parse_severity(std::string_view name) {
  for (auto severity : {Severity::info, Severity::warning, Severity::critical}) {
    if (severity_name(severity) == name) return severity;
  }
  return std::nullopt;
}

}  // namespace edgegw
