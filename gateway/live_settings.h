#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/config/config.h"

namespace edgegw {

/// The buffer setting that keeps the live changes across restarts.
inline constexpr const char* kLiveSettingsKey = "live_settings";

/// Where a live change goes: the running parts, wired by the gateway. Each returns at once.
struct LiveTargets {
  std::function<void(bool armed)> set_armed;
  std::function<void(std::chrono::milliseconds)> set_max_latency;
  std::function<void(const std::string& level)> set_log_level;
  /// adapters[index] takes new values of its live keys.
  std::function<void(std::size_t index, const std::map<std::string, OptionValue>& values)>
      retune_adapter;
  std::function<void(const rules::RuleOptions& rule)> retune_rule;
  /// Keeps the changes made so far (changes()), so they outlive a restart.
  std::function<void(const std::string& document)> persist;
};

/// What became of a desired document: the values applied and those refused, by dotted path
/// ("bundle.max_latency_s", "adapters.crane.poll_interval_ms"), each with its reason.
struct SettingsOutcome {
  std::vector<std::string> applied;
  std::map<std::string, std::string> rejected;
};

/// The settings that change while the gateway runs, from the cloud (the shadow's or twin's
/// desired state) and later SIGHUP, in one place. A change is a document shaped like the config
/// file, a contract the cloud side scripts against:
///   {"armed": false, "log_level": "debug", "bundle": {"max_latency_s": 30},
///    "adapters": {"crane": {"poll_interval_ms": 250}}, "rules": {"load_high": {"above": 9}}}
/// Live keys: armed, log_level, bundle.max_latency_s, adapters' kLiveAdapterKeys (where the
/// adapter's type has them), rules' thresholds (kLiveRuleKeys). Every value is checked by the
/// same option tables as the config file (type, range, choices; an adapter's whole table, a
/// rule's shape); one that fails is refused with the reason and changes nothing, the others
/// still apply. A key the tables know but that cannot change live is refused as needing a
/// restart; null means "no wish" and is skipped. Thread-safe.
class LiveSettings {
 public:
  /// The rule keys that can change while running: the thresholds and their timing.
  static constexpr std::string_view kLiveRuleKeys[] = {
      "above", "below", "clear_below", "clear_above",   "for_s",
      "drop",  "rise",  "within_s",    "stale_after_s", "offline_after_s"};

  /// `config` as the file has it.
  explicit LiveSettings(GatewayConfig config);

  /// The config file was read again (SIGHUP): each live key the file now sets differently
  /// from before is applied, as from the cloud but not kept as the cloud's; returns the other
  /// changes, by dotted path, which need a restart (and are not applied).
  std::vector<std::string> reload(const GatewayConfig& file);

  /// Applies the changes kept from an earlier run (persist()) over the file's config, before
  /// the parts are built from config(); a change the file now makes invalid is dropped with a
  /// warning. No target is called.
  void restore(std::string_view saved);
  /// Before apply().
  void set_targets(LiveTargets targets);

  /// Checks every value of `desired`, applies what passes to the running parts, keeps it (the
  /// config in force, changes(), persist()). `version` names the desired state (the shadow's
  /// version, the twin's $version) for config_version().
  SettingsOutcome apply(const boost::json::object& desired, std::int64_t version);

  /// The configuration in force: the file's, with the changes.
  GatewayConfig config() const;
  /// The changes made, merged, in the document shape (armed excluded: the buffer keeps it).
  boost::json::object changes() const;
  /// The live keys in force, in the document shape (without armed), for the reported state.
  boost::json::object in_force() const;
  /// The version of the latest desired state applied; 0 before any.
  std::int64_t config_version() const;
  /// What GET /api/v1/config shows: the configuration in force, and under "live" the changes
  /// and the version they came with.
  std::string config_json() const;

 private:
  /// Checks and applies one section's values to `config`; the changes to `changed`.
  void apply_value(GatewayConfig& config, const std::string& path, const boost::json::value& value,
                   SettingsOutcome& outcome, boost::json::object& changed) const;
  void apply_section(GatewayConfig& config, std::string_view section,
                     const boost::json::object& values, SettingsOutcome& outcome,
                     boost::json::object& changed, bool call_targets) const;
  /// Runs `targets_` for what `changed` holds, with the values in `config`.
  void call_targets(const GatewayConfig& config, const boost::json::object& changed) const;
  /// apply(); `from_cloud`: kept among the cloud's changes (and its version).
  SettingsOutcome apply(const boost::json::object& desired, std::int64_t version, bool from_cloud);

  mutable std::mutex mutex_;
  GatewayConfig config_;
  GatewayConfig file_config_;  ///< as the file had it when last read
  boost::json::object changes_;
  std::int64_t config_version_ = 0;
  LiveTargets targets_;
};

/// Merges `patch` into `target`: objects key by key, anything else replaced.
void merge_json(boost::json::object& target, const boost::json::object& patch);

/// The members of `now` that differ from `before`, recursively, and null for each member of
/// `before` that `now` no longer has: the JSON merge patch from `before` to `now`.
boost::json::object merge_patch(const boost::json::object& before, const boost::json::object& now);

/// The live keys of `config` in force, in the desired document's shape (without armed).
boost::json::object live_document(const GatewayConfig& config);

}  // namespace edgegw
