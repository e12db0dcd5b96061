#include "gateway/live_settings.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json.hpp>

#include "adapters/adapter.h"
#include "adapters/registry.h"

namespace edgegw {
namespace {

namespace json = boost::json;

constexpr const char* kRestart = "cannot change while running: edit the config file and restart";

/// A JSON value as the config loader's value, or nullopt for one no option can take.
std::optional<OptionValue> option_value(const json::value& value) {
  if (value.is_bool()) return OptionValue(value.as_bool());
  if (value.is_int64()) return OptionValue(value.as_int64());
  if (value.is_uint64() && value.as_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
    return OptionValue(static_cast<std::int64_t>(value.as_uint64()));
  }
  if (value.is_double()) return OptionValue(value.as_double());
  if (value.is_string()) return OptionValue(std::string(value.as_string()));
  return std::nullopt;
}

json::value to_json(const OptionValue& value) {
  return std::visit([](const auto& v) { return json::value(v); }, value);
}

template <class T>
const Option<T>* find_option(const OptionTable<T>& table, std::string_view key) {
  for (const auto& option : table) {
    if (option.key == key) return &option;
  }
  return nullptr;
}

/// Sets `key` of `target` from `value` by `table`, for live keys only; the reason it cannot.
template <class T>
std::optional<std::string> set_live(T& target, const OptionTable<T>& table, std::string_view key,
                                    const json::value& value, bool live) {
  const Option<T>* option = find_option(table, key);
  if (!option) return "unknown key";
  if (!live) return kRestart;
  const auto converted = option_value(value);
  if (!converted) return "must be a number, a string or true/false";
  return set_option(target, *option, *converted);
}

bool is_live_rule_key(std::string_view key) {
  return std::find(std::begin(LiveSettings::kLiveRuleKeys), std::end(LiveSettings::kLiveRuleKeys),
                   key) != std::end(LiveSettings::kLiveRuleKeys);
}

bool is_live_adapter_key(std::string_view key) {
  return std::find(kLiveAdapterKeys.begin(), kLiveAdapterKeys.end(), key) != kLiveAdapterKeys.end();
}

/// The value of an adapter's `key` in force: the config's, else the type's default.
std::optional<json::value> adapter_value(const AdapterConfig& adapter, const OptionDoc& doc) {
  if (const auto it = adapter.values.find(doc.key); it != adapter.values.end()) {
    return to_json(it->second);
  }
  try {
    if (doc.type == "integer") return json::value(std::stoll(doc.default_value));
    if (doc.type == "number") return json::value(std::stod(doc.default_value));
  } catch (const std::exception&) {
    // "(none)": no default to show.
  }
  return std::nullopt;
}

/// Checks the values of one desired document into `config`; what passed goes to `changed`.
class DesiredChecker {
 public:
  DesiredChecker(GatewayConfig& config, SettingsOutcome& outcome, json::object& changed)
      : config_(config), outcome_(outcome), changed_(changed) {}

  void check(const json::object& desired) {
    for (const auto& [key, value] : desired) {
      if (value.is_null()) continue;  // no wish
      const std::string name(key);
      if (name == "armed") {
        if (value.is_bool()) {
          accept(name, changed_, name, value);
        } else {
          reject(name, "must be true or false");
        }
      } else if (name == "log_level") {
        single(config_.gateway, gateway_option_table(), changed_, "", name, value, true);
      } else if (name == "bundle") {
        section(value, name, [&](const std::string& key, const json::value& v, json::object& out) {
          single(config_.bundle, bundle_option_table(), out, "bundle.", key, v,
                 key == "max_latency_s");
        });
      } else if (name == "adapters") {
        named(value, name,
              [&](const std::string& adapter, const json::object& values, json::object& out) {
                check_adapter(adapter, values, out);
              });
      } else if (name == "rules") {
        named(value, name,
              [&](const std::string& rule, const json::object& values, json::object& out) {
                check_rule(rule, values, out);
              });
      } else {
        const auto paths = config_section_paths();
        const bool known = std::find(paths.begin(), paths.end(), name) != paths.end() ||
                           find_option(gateway_option_table(), name) != nullptr;
        reject(name, known ? kRestart : "unknown setting");
      }
    }
  }

 private:
  template <class T>
  void single(T& target, const OptionTable<T>& table, json::object& out, const std::string& prefix,
              const std::string& key, const json::value& value, bool live) {
    T copy = target;
    if (auto error = set_live(copy, table, key, value, live)) return reject(prefix + key, *error);
    target = std::move(copy);
    accept(prefix + key, out, key, value);
  }

  template <class Each>
  void section(const json::value& value, const std::string& name, Each each) {
    if (!value.is_object()) return reject(name, "must be an object");
    json::object out;
    for (const auto& [key, v] : value.as_object()) {
      if (!v.is_null()) each(std::string(key), v, out);
    }
    if (!out.empty()) merge_json(changed_, json::object{{name, std::move(out)}});
  }

  template <class Each>
  void named(const json::value& value, const std::string& name, Each each) {
    section(value, name, [&](const std::string& entry, const json::value& v, json::object& out) {
      if (!v.is_object()) return reject(name + "." + entry, "must be an object");
      json::object entry_out;
      each(entry, v.as_object(), entry_out);
      if (!entry_out.empty()) out[entry] = std::move(entry_out);
    });
  }

  void check_adapter(const std::string& name, const json::object& values, json::object& out) {
    const std::string prefix = "adapters." + name + ".";
    auto adapter = std::find_if(config_.adapters.begin(), config_.adapters.end(),
                                [&](const AdapterConfig& a) { return a.name == name; });
    if (adapter == config_.adapters.end()) return reject("adapters." + name, "no such adapter");
    const AdapterType* type = find_adapter_type(adapter->type);
    for (const auto& [key_view, value] : values) {
      if (value.is_null()) continue;
      const std::string key(key_view);
      const bool known = type && std::any_of(type->options.begin(), type->options.end(),
                                             [&](const OptionDoc& doc) { return doc.key == key; });
      if (!known) {
        reject(prefix + key, "unknown key for adapter type " + adapter->type);
        continue;
      }
      if (!is_live_adapter_key(key)) {
        reject(prefix + key, kRestart);
        continue;
      }
      const auto converted = option_value(value);
      if (!converted) {
        reject(prefix + key, "must be a number");
        continue;
      }
      // The type's own check of all its values, the new one among them.
      auto candidate = adapter->values;
      candidate[key] = *converted;
      const AdapterCheck check = check_adapter_options(*adapter, candidate);
      const auto error = std::find_if(check.errors.begin(), check.errors.end(),
                                      [&](const auto& e) { return e.first == key; });
      if (error != check.errors.end()) {
        reject(prefix + key, error->second);
        continue;
      }
      adapter->values = std::move(candidate);
      accept(prefix + key, out, key, value);
    }
  }

  static AdapterCheck check_adapter_options(const AdapterConfig& adapter,
                                            const AdapterOptionValues& values) {
    return edgegw::check_adapter(adapter.type, values, adapter.lists);
  }

  void check_rule(const std::string& name, const json::object& values, json::object& out) {
    const std::string prefix = "rules." + name + ".";
    auto rule = std::find_if(config_.rules.begin(), config_.rules.end(),
                             [&](const rules::RuleOptions& r) { return r.name == name; });
    if (rule == config_.rules.end()) return reject("rules." + name, "no such rule");
    for (const auto& [key_view, value] : values) {
      if (value.is_null()) continue;
      const std::string key(key_view);
      rules::RuleOptions copy = *rule;
      if (auto error =
              set_live(copy, rules::rule_option_table(), key, value, is_live_rule_key(key))) {
        reject(prefix + key, *error);
        continue;
      }
      // A threshold may move; the kind of rule may not (an "above" rule given "below").
      if (const auto shape = rules::rule_shape(copy);
          !shape.error.empty() || shape.kind != rules::rule_shape(*rule).kind) {
        reject(prefix + key, shape.error.empty() ? "would change the kind of rule" : shape.error);
        continue;
      }
      *rule = std::move(copy);
      accept(prefix + key, out, key, value);
    }
  }

  void accept(const std::string& path, json::object& out, const std::string& key,
              const json::value& value) {
    out[key] = value;
    outcome_.applied.push_back(path);
  }
  void reject(const std::string& path, std::string reason) {
    outcome_.rejected[path] = std::move(reason);
  }

  GatewayConfig& config_;
  SettingsOutcome& outcome_;
  json::object& changed_;
};

/// Every leaf of `document` by dotted path (an array is one leaf).
void flatten(const json::object& document, const std::string& prefix,
             std::vector<std::string>& out) {
  for (const auto& [key, value] : document) {
    const std::string path = prefix + std::string(key);
    if (value.is_object() && !value.as_object().empty()) {
      flatten(value.as_object(), path + ".", out);
    } else {
      out.push_back(path);
    }
  }
}

/// The live keys of `from` into `to`, for the adapters and rules both have: what is left to
/// differ needs a restart.
void copy_live_keys(const GatewayConfig& from, GatewayConfig& to) {
  to.gateway.log_level = from.gateway.log_level;
  to.bundle.max_latency_s = from.bundle.max_latency_s;
  for (auto& adapter : to.adapters) {
    const auto source =
        std::find_if(from.adapters.begin(), from.adapters.end(),
                     [&](const AdapterConfig& a) { return a.name == adapter.name; });
    if (source == from.adapters.end()) continue;
    for (const auto key : kLiveAdapterKeys) {
      const std::string name(key);
      if (const auto value = source->values.find(name); value != source->values.end()) {
        adapter.values[name] = value->second;
      } else {
        adapter.values.erase(name);
      }
    }
  }
  for (auto& rule : to.rules) {
    const auto source =
        std::find_if(from.rules.begin(), from.rules.end(),
                     [&](const rules::RuleOptions& r) { return r.name == rule.name; });
    if (source == from.rules.end()) continue;
    for (const auto key : LiveSettings::kLiveRuleKeys) {
      const auto* option = find_option(rules::rule_option_table(), key);
      if (const auto* member =
              option ? std::get_if<double rules::RuleOptions::*>(&option->member) : nullptr) {
        rule.*(*member) = (*source).*(*member);
      }
    }
  }
}

}  // namespace

json::object merge_patch(const json::object& before, const json::object& now) {
  json::object patch;
  for (const auto& [key, value] : now) {
    const auto* old = before.if_contains(key);
    if (old && old->is_object() && value.is_object()) {
      auto inner = merge_patch(old->as_object(), value.as_object());
      if (!inner.empty()) patch[key] = std::move(inner);
    } else if (!old || *old != value) {
      patch[key] = value;
    }
  }
  for (const auto& [key, value] : before) {
    if (!now.contains(key)) patch[key] = nullptr;
  }
  return patch;
}

void merge_json(json::object& target, const json::object& patch) {
  for (const auto& [key, value] : patch) {
    auto* existing = target.if_contains(key);
    if (existing && existing->is_object() && value.is_object()) {
      merge_json(existing->as_object(), value.as_object());
    } else {
      target[key] = value;
    }
  }
}

LiveSettings::LiveSettings(GatewayConfig config)
    : config_(std::move(config)), file_config_(config_) {}

void LiveSettings::restore(std::string_view saved) {
  boost::system::error_code error;
  const json::value document = json::parse(saved, error);
  const json::object* changes = nullptr;
  if (!error && document.is_object()) {
    if (const auto* found = document.as_object().if_contains("changes");
        found && found->is_object()) {
      changes = &found->as_object();
    }
  }
  if (!changes) {
    spdlog::warn("settings: the changes kept from an earlier run cannot be read; using the file's");
    return;
  }
  std::lock_guard lock(mutex_);
  SettingsOutcome outcome;
  json::object changed;
  DesiredChecker(config_, outcome, changed).check(*changes);
  for (const auto& [path, reason] : outcome.rejected) {
    spdlog::warn("settings: the cloud's {} from an earlier run no longer applies: {}", path,
                 reason);
  }
  changed.erase("armed");
  changes_ = std::move(changed);
  if (const auto* version = document.as_object().if_contains("config_version");
      version && version->is_int64()) {
    config_version_ = version->as_int64();
  }
  if (!outcome.applied.empty()) {
    spdlog::info("settings: {} change(s) from the cloud kept from an earlier run",
                 outcome.applied.size());
  }
}

void LiveSettings::set_targets(LiveTargets targets) {
  std::lock_guard lock(mutex_);
  targets_ = std::move(targets);
}

SettingsOutcome LiveSettings::apply(const json::object& desired, std::int64_t version) {
  return apply(desired, version, /*from_cloud=*/true);
}

std::vector<std::string> LiveSettings::reload(const GatewayConfig& file) {
  GatewayConfig before;
  {
    std::lock_guard lock(mutex_);
    before = file_config_;
    file_config_ = file;
  }
  const json::object live_before = live_document(before);
  json::object edited = merge_patch(live_before, live_document(file));
  // An adapter or rule the file adds starts only with a restart: the comparison below names it.
  for (const char* list : {"adapters", "rules"}) {
    auto* changed = edited.if_contains(list);
    if (!changed || !changed->is_object()) continue;
    const auto* known = live_before.if_contains(list);
    auto& members = changed->as_object();
    for (auto it = members.begin(); it != members.end();) {
      it = known && known->as_object().contains(it->key()) ? std::next(it) : members.erase(it);
    }
    if (members.empty()) edited.erase(list);
  }
  // A key the file no longer sets keeps the value in force.
  std::vector<std::string> restart;
  const SettingsOutcome outcome = apply(edited, 0, /*from_cloud=*/false);
  for (const auto& [path, reason] : outcome.rejected) restart.push_back(path + ": " + reason);
  // What else differs: the file before, with the new live keys, against the file now.
  copy_live_keys(file, before);
  const json::object patch = merge_patch(config_document(before), config_document(file));
  flatten(patch, "", restart);
  return restart;
}

SettingsOutcome LiveSettings::apply(const json::object& desired, std::int64_t version,
                                    bool from_cloud) {
  SettingsOutcome outcome;
  json::object changed;
  GatewayConfig config;
  std::string persisted;
  {
    std::lock_guard lock(mutex_);
    config = config_;
    DesiredChecker(config, outcome, changed).check(desired);
    config_ = config;
    if (from_cloud) {
      json::object kept = changed;
      kept.erase("armed");  // the buffer keeps armed (Ingest)
      merge_json(changes_, kept);
      if (version > 0) config_version_ = version;
    }
    persisted =
        json::serialize(json::object{{"changes", changes_}, {"config_version", config_version_}});
  }
  for (const auto& path : outcome.applied) spdlog::info("settings: {} changed live", path);
  for (const auto& [path, reason] : outcome.rejected) {
    spdlog::warn("settings: {} refused: {}", path, reason);
  }
  call_targets(config, changed);
  if (from_cloud && targets_.persist) targets_.persist(persisted);
  return outcome;
}

void LiveSettings::call_targets(const GatewayConfig& config, const json::object& changed) const {
  if (const auto* armed = changed.if_contains("armed"); armed && targets_.set_armed) {
    targets_.set_armed(armed->as_bool());
  }
  if (changed.contains("log_level") && targets_.set_log_level) {
    targets_.set_log_level(config.gateway.log_level);
  }
  if (const auto* bundle = changed.if_contains("bundle");
      bundle && bundle->as_object().contains("max_latency_s") && targets_.set_max_latency) {
    targets_.set_max_latency(std::chrono::seconds(config.bundle.max_latency_s));
  }
  if (const auto* adapters = changed.if_contains("adapters"); adapters && targets_.retune_adapter) {
    for (std::size_t i = 0; i < config.adapters.size(); ++i) {
      const auto* keys = adapters->as_object().if_contains(config.adapters[i].name);
      if (!keys) continue;
      std::map<std::string, OptionValue> values;
      for (const auto& [key, value] : keys->as_object()) {
        values[std::string(key)] = config.adapters[i].values.at(std::string(key));
      }
      targets_.retune_adapter(i, values);
    }
  }
  if (const auto* rules = changed.if_contains("rules"); rules && targets_.retune_rule) {
    for (const auto& rule : config.rules) {
      if (rules->as_object().contains(rule.name)) targets_.retune_rule(rule);
    }
  }
}

GatewayConfig LiveSettings::config() const {
  std::lock_guard lock(mutex_);
  return config_;
}

json::object LiveSettings::changes() const {
  std::lock_guard lock(mutex_);
  return changes_;
}

std::int64_t LiveSettings::config_version() const {
  std::lock_guard lock(mutex_);
  return config_version_;
}

json::object live_document(const GatewayConfig& config) {
  json::object adapters;
  for (const auto& adapter : config.adapters) {
    const AdapterType* type = find_adapter_type(adapter.type);
    if (!type) continue;
    json::object keys;
    for (const auto& doc : type->options) {
      if (!is_live_adapter_key(doc.key)) continue;
      if (auto value = adapter_value(adapter, doc)) keys[doc.key] = std::move(*value);
    }
    if (!keys.empty()) adapters[adapter.name] = std::move(keys);
  }
  json::object rules;
  for (const auto& rule : config.rules) {
    json::object keys;
    for (const auto key : LiveSettings::kLiveRuleKeys) {
      const auto* option = find_option(rules::rule_option_table(), key);
      const auto* member =
          option ? std::get_if<double rules::RuleOptions::*>(&option->member) : nullptr;
      if (!member) continue;
      const double value = rule.*(*member);
      // Unset thresholds are NaN; a zero hold or window is no hold or window.
      if (std::isnan(value) || ((key == "for_s" || key == "within_s") && value == 0)) continue;
      keys[key] = value;
    }
    if (!keys.empty()) rules[rule.name] = std::move(keys);
  }
  json::object document{{"log_level", config.gateway.log_level},
                        {"bundle", json::object{{"max_latency_s", config.bundle.max_latency_s}}}};
  if (!adapters.empty()) document["adapters"] = std::move(adapters);
  if (!rules.empty()) document["rules"] = std::move(rules);
  return document;
}

json::object LiveSettings::in_force() const {
  std::lock_guard lock(mutex_);
  return live_document(config_);
}

std::string LiveSettings::config_json() const {
  std::lock_guard lock(mutex_);
  json::object document = config_document(config_);
  document["live"] = json::object{{"changes", changes_}, {"config_version", config_version_}};
  return json::serialize(document);
}

}  // namespace edgegw
