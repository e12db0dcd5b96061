#include "gateway/status_document.h"

#include <boost/json.hpp>

namespace edgegw {

namespace json = boost::json;

namespace {

/// A message, or null where there is none.
json::value text_or_null(const std::string& text) {
  return text.empty() ? json::value(nullptr) : json::value(text);
}

}  // namespace

boost::json::object status_document(const GatewayStatus& s) {
  json::object dropped;
  for (const auto& [reason, count] : s.buffer.dropped) dropped[reason] = count;
  json::object alarms_dropped;
  for (const auto& [reason, count] : s.buffer.alarms_dropped) alarms_dropped[reason] = count;
  json::object rejected;
  for (const auto& [reason, count] : s.readings_rejected) rejected[reason] = count;
  json::array adapters;
  for (const auto& adapter : s.adapters) {
    adapters.push_back(json::object{{"name", adapter.name},
                                    {"type", adapter.type},
                                    {"state", adapter.health.up ? "up" : "down"},
                                    {"errors", adapter.health.errors},
                                    {"last_error", adapter.health.last_error}});
  }
  const std::int64_t oldest_age_s = s.oldest_age_ms() / 1000;
  json::object by_status;
  for (const auto& [code, count] : s.commands.by_status) by_status[std::to_string(code)] = count;
  json::object commands{{"received", s.commands.received},
                        {"answered", by_status},
                        {"duplicates", s.commands.duplicates},
                        {"dropped", s.commands.dropped}};
  json::object uplink{{"provider", s.provider},
                      {"connected", s.uplink_connected},
                      {"reconnects", s.uplink_reconnects},
                      {"inflight_bundles", s.inflight_bundles}};
  uplink["last_error"] = text_or_null(s.uplink_last_error);
  uplink["mqtt_version"] = s.mqtt_version == 5   ? json::value("5")
                           : s.mqtt_version == 4 ? json::value("3.1.1")
                                                 : json::value(nullptr);
  uplink["publishes_refused"] = s.publishes_refused;
  uplink["last_refusal"] = text_or_null(s.last_refusal);
  json::array subscriptions;
  for (const auto& subscription : s.subscriptions) {
    json::object entry{{"filter", subscription.filter}, {"state", to_string(subscription.state)}};
    if (!subscription.reason.empty()) entry["reason"] = subscription.reason;
    subscriptions.push_back(std::move(entry));
  }
  uplink["subscriptions"] = std::move(subscriptions);
  if (s.certificate) {
    json::object certificate{{"file", s.certificate->file}};
    if (s.certificate->error.empty()) {
      certificate["common_name"] = s.certificate->common_name;
      certificate["expires_at_ms"] = s.certificate->not_after_ms;
      certificate["expires_in_s"] = (s.certificate->not_after_ms - s.now_ms) / 1000;
    } else {
      certificate["error"] = s.certificate->error;
    }
    if (const auto& renewal = s.certificate->renewal) {
      certificate["renewal"] =
          json::object{{"state", renewal->state},
                       {"renews_at_ms", renewal->renews_at_ms},
                       {"renewed", renewal->renewed},
                       {"failed", renewal->failed},
                       {"last_error", text_or_null(renewal->last_error)},
                       {"last_renewed_at_ms", renewal->last_renewed_at_ms == 0
                                                  ? json::value(nullptr)
                                                  : json::value(renewal->last_renewed_at_ms)}};
    } else {
      certificate["renewal"] = nullptr;
    }
    uplink["certificate"] = std::move(certificate);
  } else {
    uplink["certificate"] = nullptr;
  }
  json::value shadow = nullptr;
  if (s.shadow) {
    json::object rejected_settings;
    for (const auto& [path, reason] : s.shadow->rejected) rejected_settings[path] = reason;
    shadow = json::object{{"synced", s.shadow->synced},
                          {"desired_version", s.shadow->desired_version},
                          {"desired_received", s.shadow->desired_received},
                          {"reports_sent", s.shadow->reports_sent},
                          {"reports_refused", s.shadow->reports_refused},
                          {"rejected", std::move(rejected_settings)},
                          {"last_error", text_or_null(s.shadow->last_error)}};
  }
  json::value jobs = nullptr;
  if (s.jobs) {
    json::object finished;
    for (const auto& [status, count] : s.jobs->finished) finished[status] = count;
    jobs = json::object{
        {"step", s.jobs->step},
        {"current", text_or_null(s.jobs->current)},
        {"last",
         s.jobs->last_job.empty()
             ? json::value(nullptr)
             : json::value(json::object{{"job_id", s.jobs->last_job},
                                        {"operation", text_or_null(s.jobs->last_operation)},
                                        {"status", s.jobs->last_status},
                                        {"details", status_details_json(s.jobs->last_details)}})},
        {"finished", std::move(finished)},
        {"last_error", text_or_null(s.jobs->last_error)}};
  }
  return json::object{
      {"version", s.version},
      {"gateway_id", s.gateway_id},
      {"now_ms", s.now_ms},
      {"uptime_s", s.uptime_s},
      {"armed", s.armed},
      {"storage_ok", s.storage_ok},
      {"uplink", std::move(uplink)},
      {"readings", json::object{{"accepted", s.readings_accepted}, {"rejected", rejected}}},
      {"buffer", json::object{{"readings", s.buffer.readings},
                              {"bytes", s.buffer.bytes},
                              {"oldest_ts_ms", s.buffer.oldest_ts_ms},
                              {"oldest_age_s", oldest_age_s},
                              {"inflight_bundles", s.buffer.inflight_bundles},
                              {"alarms_pending", s.buffer.alarms_pending},
                              {"dropped", dropped},
                              {"alarms_dropped", alarms_dropped}}},
      {"bundles", json::object{{"published", s.bundles_published},
                               {"acked", s.bundles_acked},
                               {"last_acked_seq", s.last_acked_bundle_seq},
                               {"payload_bytes", s.bundle_payload_bytes},
                               {"readings_acked", s.readings_acked}}},
      {"billing",
       json::object{{"billable_units", s.billable_units}, {"naive_units", s.naive_units}}},
      {"alarms", json::object{{"raised", s.alarms_raised}, {"published", s.alarms_published}}},
      {"adapters", std::move(adapters)},
      {"commands", std::move(commands)},
      {"shadow", std::move(shadow)},
      {"jobs", std::move(jobs)}};
}

}  // namespace edgegw
