#include "gateway/cloud/state_sync.h"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>

#include "gateway/cloud/iothub_topic.h"
#include "gateway/cloud/provisioning.h"

namespace edgegw::cloud {
namespace {

namespace json = boost::json;

constexpr std::string_view kTwinResponse = "$iothub/twin/res/";
constexpr std::string_view kTwinDesired = "$iothub/twin/PATCH/properties/desired/";

std::int64_t int_of(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  return value && value->is_number() ? value->to_number<std::int64_t>() : 0;
}

json::object object_of(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  return value && value->is_object() ? value->as_object() : json::object{};
}

/// A twin's properties without its own members ($version, $metadata).
json::object without_twin_metadata(json::object properties) {
  for (auto it = properties.begin(); it != properties.end();) {
    it = it->key().starts_with("$") ? properties.erase(it) : it + 1;
  }
  return properties;
}

}  // namespace

StateSync::StateSync(StateSyncOptions options, ApplyDesired apply, Reported reported,
                     Publish publish, const Clock& clock)
    : options_(std::move(options)),
      apply_(std::move(apply)),
      reported_(std::move(reported)),
      publish_(std::move(publish)),
      clock_(clock) {}

void StateSync::subscribe(Transport& transport) {
  if (options_.dialect == StateDialect::aws_shadow) {
    const std::string prefix = shadow_prefix();
    transport.subscribe(prefix + "/get/accepted",
                        [this](const InboundMessage& m) { on_aws_get_accepted(m.payload); });
    transport.subscribe(prefix + "/get/rejected",
                        [this](const InboundMessage& m) { on_aws_get_rejected(m.payload); });
    transport.subscribe(prefix + "/update/delta",
                        [this](const InboundMessage& m) { on_aws_delta(m.payload); });
    transport.subscribe(prefix + "/update/rejected",
                        [this](const InboundMessage& m) { on_aws_update_rejected(m.payload); });
  } else {
    transport.subscribe(std::string(kTwinResponse) + "#",
                        [this](const InboundMessage& m) { on_twin_response(m); });
    transport.subscribe(std::string(kTwinDesired) + "#",
                        [this](const InboundMessage& m) { on_twin_desired(m); });
  }
}

void StateSync::connection_changed(bool up) {
  connected_ = up;
  synced_ = false;
  document_deadline_.reset();
  document_wait_ = options_.timeout;
  {
    std::lock_guard lock(status_mutex_);
    status_.synced = false;
  }
  // Desired changes made while offline arrive only by reading the document again.
  if (up) request_document();
  changed();
}

void StateSync::request_document() {
  const std::string id = std::to_string(next_request_++);
  get_request_id_ = id;
  document_deadline_ = clock_.monotonic() + document_wait_;
  if (options_.dialect == StateDialect::aws_shadow) {
    get_request_id_ = options_.thing_name + "-" + id;
    publish_(shadow_prefix() + "/get",
             json::serialize(json::object{{"clientToken", get_request_id_}}));
  } else {
    publish_("$iothub/twin/GET/?$rid=" + id, "");
  }
}

std::chrono::steady_clock::time_point StateSync::poll() {
  const auto now = clock_.monotonic();
  if (!connected_) return now + options_.report_interval;
  if (!synced_) {
    if (document_deadline_ && now >= *document_deadline_) {
      // Each unanswered request waits twice as long for the next, up to report_interval: a
      // broker without a shadow service is not asked every few seconds for ever.
      spdlog::warn("state: no answer to the request for the {} within {}; asking again",
                   options_.dialect == StateDialect::aws_shadow ? "shadow" : "twin",
                   seconds_text(document_wait_));
      document_wait_ = std::min(document_wait_ * 2, options_.report_interval);
      request_document();
    }
    return document_deadline_.value_or(now + document_wait_);
  }
  if (now >= report_due_) send_report();
  return report_due_;
}

void StateSync::report_soon() {
  const auto now = clock_.monotonic();
  const auto earliest = last_report_at_ ? *last_report_at_ + options_.min_report_interval : now;
  report_due_ = std::min(report_due_, std::max(now, earliest));
  changed();
}

void StateSync::on_document(const json::object& desired, std::int64_t version,
                            json::object reported_in_cloud) {
  synced_ = true;
  document_deadline_.reset();
  last_delta_.clear();
  reported_in_cloud_ = std::move(reported_in_cloud);
  // The whole desired state: what it refuses is the whole list of refusals.
  SettingsOutcome outcome;
  if (!desired.empty()) outcome = apply_(desired, version);
  applied_version_ = version;
  {
    std::lock_guard lock(status_mutex_);
    status_.synced = true;
    status_.desired_version = version;
    ++status_.desired_received;
    status_.rejected = outcome.rejected;
  }
  report_due_ = clock_.monotonic();
  report_soon();
}

void StateSync::on_desired_change(json::object desired, std::int64_t version) {
  // QoS 1 may deliver a change twice, and an older one after a newer.
  if (version != 0 && version <= applied_version_) return;
  if (version != 0) applied_version_ = version;
  // AWS sends the delta again after every reported update while a desired value differs from
  // the reported one, a refused one included: the same delta again is not news, and answering
  // it with a report would go round for ever.
  if (desired == last_delta_) return;
  last_delta_ = desired;
  const SettingsOutcome outcome = apply_(desired, version);
  bool news = !outcome.applied.empty();
  {
    std::lock_guard lock(status_mutex_);
    ++status_.desired_received;
    if (version != 0) status_.desired_version = version;
    for (const auto& path : outcome.applied) status_.rejected.erase(path);
    for (const auto& [path, reason] : outcome.rejected) {
      auto& known = status_.rejected[path];
      news = news || known != reason;
      known = reason;
    }
  }
  if (news) report_soon();
}

void StateSync::send_report() {
  json::object full = reported_();
  std::map<std::string, std::string> rejected;
  std::int64_t version = 0;
  {
    std::lock_guard lock(status_mutex_);
    rejected = status_.rejected;
    version = status_.desired_version;
  }
  full["config_version"] = version;
  // Without refusals there is no member: the patch deletes one the cloud still holds.
  if (!rejected.empty()) {
    json::object reasons;
    for (const auto& [path, reason] : rejected) reasons[path] = reason;
    full["rejected"] = std::move(reasons);
  }
  const json::object patch = merge_patch(reported_in_cloud_, full);
  const auto now = clock_.monotonic();
  report_due_ = now + options_.report_interval;
  if (patch.empty()) return;
  std::string payload;
  std::string topic;
  const std::string id = std::to_string(next_request_++);
  if (options_.dialect == StateDialect::aws_shadow) {
    report_request_id_ = options_.thing_name + "-" + id;
    topic = shadow_prefix() + "/update";
    payload = json::serialize(json::object{{"state", json::object{{"reported", patch}}},
                                           {"clientToken", report_request_id_}});
  } else {
    report_request_id_ = id;
    topic = "$iothub/twin/PATCH/properties/reported/?$rid=" + id;
    payload = json::serialize(patch);
  }
  if (payload.size() > options_.max_reported_bytes) {
    spdlog::warn(
        "state: the reported update is {} bytes, over the {} the document allows; "
        "not sent",
        payload.size(), options_.max_reported_bytes);
    std::lock_guard lock(status_mutex_);
    status_.last_error = "reported update of " + std::to_string(payload.size()) +
                         " bytes is over " + std::to_string(options_.max_reported_bytes);
    return;
  }
  publish_(topic, payload);
  // The cloud merges the patch into what it holds; a refusal sends the whole document again.
  reported_in_cloud_ = std::move(full);
  last_report_at_ = now;
  std::lock_guard lock(status_mutex_);
  ++status_.reports_sent;
}

void StateSync::on_report_refused(const std::string& why) {
  spdlog::warn("state: the cloud refused the reported update: {}", why);
  reported_in_cloud_.clear();  // not known any more: the next report sends everything
  report_due_ = clock_.monotonic() + options_.report_interval;
  std::lock_guard lock(status_mutex_);
  ++status_.reports_refused;
  status_.last_error = why;
}

void StateSync::on_aws_get_accepted(const std::string& payload) {
  const auto answer = parse_answer(payload);
  if (!answer || synced_) return;
  const json::object state = object_of(*answer, "state");
  on_document(object_of(state, "desired"), int_of(*answer, "version"),
              object_of(state, "reported"));
  changed();
}

void StateSync::on_aws_get_rejected(const std::string& payload) {
  const auto answer = parse_answer(payload);
  if (synced_) return;
  if (answer && int_of(*answer, "code") == 404) {
    // No shadow yet: the first report makes it.
    on_document({}, 0, {});
  } else {
    std::lock_guard lock(status_mutex_);
    status_.last_error = "shadow get rejected: " + payload.substr(0, 200);
  }
  changed();
}

void StateSync::on_aws_delta(const std::string& payload) {
  const auto answer = parse_answer(payload);
  if (!answer || !synced_) return;  // before the document, the document brings it
  on_desired_change(object_of(*answer, "state"), int_of(*answer, "version"));
  changed();
}

void StateSync::on_aws_update_rejected(const std::string& payload) {
  const auto answer = parse_answer(payload);
  on_report_refused(answer ? std::to_string(int_of(*answer, "code")) + " " +
                                 (answer->contains("message") && answer->at("message").is_string()
                                      ? std::string(answer->at("message").as_string())
                                      : std::string())
                           : payload.substr(0, 200));
  changed();
}

void StateSync::on_twin_response(const InboundMessage& message) {
  const int status = answer_status(message.topic, kTwinResponse).value_or(0);
  const std::string rid = topic_parameter(message.topic, "$rid");
  if (rid == get_request_id_ && !synced_) {
    if (status != 200) {
      std::lock_guard lock(status_mutex_);
      status_.last_error = "twin GET answered " + std::to_string(status);
      // Asked again at the deadline (429: throttled, 5xx: the hub's trouble).
    } else if (const auto answer = parse_answer(message.payload)) {
      const json::object desired = object_of(*answer, "desired");
      on_document(without_twin_metadata(desired), int_of(desired, "$version"),
                  without_twin_metadata(object_of(*answer, "reported")));
    }
  } else if (rid == report_request_id_ && (status < 200 || status >= 300)) {
    on_report_refused("twin reported patch answered " + std::to_string(status) + ": " +
                      message.payload.substr(0, 200));
  }
  changed();
}

void StateSync::on_twin_desired(const InboundMessage& message) {
  if (!synced_) return;
  const auto patch = parse_answer(message.payload);
  if (!patch) return;
  std::int64_t version = int_of(*patch, "$version");
  if (version == 0) {
    const std::string text = topic_parameter(message.topic, "$version");
    version = text.empty() ? 0 : std::atoll(text.c_str());
  }
  on_desired_change(without_twin_metadata(*patch), version);
  changed();
}

void StateSync::changed() {
  if (on_change_) on_change_();
}

StateSyncStatus StateSync::status() const {
  std::lock_guard lock(status_mutex_);
  return status_;
}

}  // namespace edgegw::cloud
