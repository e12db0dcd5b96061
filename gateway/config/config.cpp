#include "gateway/config/config.h"

#include <toml++/toml.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <cmath>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include "adapters/registry.h"
#include "gateway/cloud/stored_identity.h"
#include "gateway/uplink/cloud_profile.h"

namespace edgegw {

const OptionTable<GatewayOptions>& gateway_option_table() {
  static const OptionTable<GatewayOptions> table = {
      {.key = "gateway_id",
       .member = &GatewayOptions::gateway_id,
       .description = "Name of this gateway, unique in the fleet. Sent in every bundle; consumers "
                      "de-duplicate on (gateway_id, bundle_seq). Required, unless an identity "
                      "is stored in [identity] dir: then its thing name."},
      {.key = "log_level",
       .member = &GatewayOptions::log_level,
       .description = "How much to log.",
       .choices = "trace debug info warn error"},
  };
  return table;
}

std::string GatewayConfig::expand_topic(const std::string& topic_template) const {
  std::string topic = topic_template;
  const std::string placeholder = "{gateway_id}";
  for (auto at = topic.find(placeholder); at != std::string::npos; at = topic.find(placeholder)) {
    topic.replace(at, placeholder.size(), gateway.gateway_id);
  }
  return topic;
}

namespace {

/// Collects problems so one run of check-config reports all of them, not just the first.
class Problems {
 public:
  explicit Problems(std::string origin) : origin_(std::move(origin)) {}

  void add(std::int64_t line, const std::string& what) {
    std::ostringstream out;
    out << origin_;
    if (line > 0) out << ":" << line;
    out << ": " << what;
    lines_.push_back(out.str());
  }
  bool empty() const { return lines_.empty(); }
  std::string text() const {
    std::string all;
    for (const auto& line : lines_) all += line + "\n";
    return all;
  }

 private:
  std::string origin_;
  std::vector<std::string> lines_;
};

std::int64_t line_of(const toml::node& node) {
  return node.source().begin.line;
}

std::string qualified(std::string_view section, std::string_view key) {
  return section.empty() ? std::string(key) : std::string(section) + "." + std::string(key);
}

/// Scalar TOML values become OptionValues; arrays, tables and dates are not option values.
std::optional<OptionValue> to_option_value(const toml::node& node) {
  if (auto v = node.as_boolean()) return OptionValue{v->get()};
  if (auto v = node.as_integer()) return OptionValue{v->get()};
  if (auto v = node.as_floating_point()) return OptionValue{v->get()};
  if (auto v = node.as_string()) return OptionValue{v->get()};
  return std::nullopt;
}

/// Reads one table's scalar keys, reporting non-scalars; returns the values and their lines.
/// Sub-tables and arrays of tables are skipped when `nested_sections`: they are sections of
/// their own.
std::map<std::string, OptionValue> scalar_values(const toml::table& table, std::string_view section,
                                                 std::map<std::string, std::int64_t>& lines,
                                                 Problems& problems, bool nested_sections = false) {
  std::map<std::string, OptionValue> values;
  for (const auto& [key, node] : table) {
    const auto* array = node.as_array();
    if (nested_sections && (node.is_table() || (array && array->is_array_of_tables()))) continue;
    std::string name(key.str());
    lines[name] = line_of(node);
    if (auto value = to_option_value(node)) {
      values.emplace(name, *value);
    } else {
      problems.add(line_of(node), qualified(section, name) + " must be a single value");
    }
  }
  return values;
}

void report(const std::vector<std::pair<std::string, std::string>>& errors,
            std::string_view section, const std::map<std::string, std::int64_t>& lines,
            std::int64_t section_line, Problems& problems) {
  for (const auto& [key, message] : errors) {
    auto at = lines.find(key);
    problems.add(at == lines.end() ? section_line : at->second,
                 qualified(section, key) + " " + message);
  }
}

template <class T>
void bind_table(const toml::table& table, std::string_view section, const OptionTable<T>& options,
                T& out, Problems& problems, bool nested_sections = false) {
  std::map<std::string, std::int64_t> lines;
  auto values = scalar_values(table, section, lines, problems, nested_sections);
  report(fill_options(out, options, values), section, lines, line_of(table), problems);
}

/// Calls `each` with every table of a list of tables ([[name]]), or reports that the node is
/// something else.
template <class Each>
void for_each_array_table(const toml::node& node, std::string_view name, Problems& problems,
                          Each each) {
  const auto* array = node.as_array();
  if (!array || !array->is_array_of_tables()) {
    problems.add(line_of(node),
                 std::string(name) + " must be a list of tables: [[" + std::string(name) + "]]");
    return;
  }
  for (const auto& element : *array) each(*element.as_table());
}

/// The nested arrays of tables of one [[adapters]] table ([[adapters.registers]]), each table's
/// scalars read like any section's. Their keys' lines go into `lines` as "registers[2].type",
/// and each table's own line as "registers[2]", so an adapter's error on either finds its line.
AdapterOptionLists adapter_lists(const toml::table& table,
                                 std::map<std::string, std::int64_t>& lines, Problems& problems) {
  AdapterOptionLists lists;
  for (const auto& [key, node] : table) {
    const std::string name(key.str());
    if (node.is_table()) {
      problems.add(line_of(node), "adapters." + name +
                                      " must be a single value or a list of tables: [[adapters." +
                                      name + "]]");
      continue;
    }
    const auto* array = node.as_array();
    if (!array || !array->is_array_of_tables()) continue;
    auto& list = lists[name];
    for (const auto& element : *array) {
      const std::string entry = name + "[" + std::to_string(list.size()) + "]";
      std::map<std::string, std::int64_t> entry_lines;
      list.push_back(
          scalar_values(*element.as_table(), "adapters." + entry, entry_lines, problems));
      lines[entry] = line_of(element);
      for (const auto& [entry_key, line] : entry_lines) lines[entry + "." + entry_key] = line;
    }
  }
  return lists;
}

/// Like report(), but an error on a key of a nested table that is not in the file (a required
/// key left out) gets that table's line rather than the adapter's.
void report_adapter(const OptionErrors& errors, const std::map<std::string, std::int64_t>& lines,
                    std::int64_t adapter_line, Problems& problems) {
  for (const auto& [key, message] : errors) {
    auto at = lines.find(key);
    if (at == lines.end()) at = lines.find(key.substr(0, key.find("].") + 1));
    problems.add(at == lines.end() ? adapter_line : at->second, "adapters." + key + " " + message);
  }
}

template <class T>
boost::json::object options_to_json(const T& values, const OptionTable<T>& table) {
  boost::json::object out;
  for (const auto& option : table) {
    std::visit(
        [&](auto member) {
          const auto& value = values.*member;
          if constexpr (std::is_same_v<std::remove_cvref_t<decltype(value)>, double>) {
            // NaN means "not set" (an optional threshold): JSON says that with null.
            if (std::isnan(value)) {
              out[option.key] = nullptr;
              return;
            }
          }
          out[option.key] = value;
        },
        option.member);
  }
  return out;
}

void render_section(std::ostringstream& out, const std::string& heading, std::string_view intro,
                    const std::vector<OptionDoc>& docs) {
  out << "## " << heading << "\n\n";
  if (!intro.empty()) out << intro << "\n\n";
  out << "| key | type | default | allowed | description |\n";
  out << "| --- | --- | --- | --- | --- |\n";
  for (const auto& doc : docs) {
    out << "| `" << doc.key << "` | " << doc.type << " | `" << doc.default_value << "` | "
        << doc.constraint << " | " << doc.description << " |\n";
  }
  out << "\n";
}

enum class Shape {
  table,           ///< [name], defaults when absent
  optional_table,  ///< [name], present or not (TLS is on when it is)
  list,            ///< [[name]], any number of tables
};

/// One section of the file as the parser, check-config, config-reference and
/// GET /api/v1/config all see it. The modules own the option tables; this says where each
/// table sits in the file and in GatewayConfig.
struct Section {
  std::string_view path;  ///< "" for the top level, "uplink.tls" for a table nested in [uplink]
  Shape shape = Shape::table;
  /// Binds one TOML table (the section, or one entry of a list) into the config.
  std::function<void(GatewayConfig&, const toml::table&, Problems&)> bind;
  /// Checks across a list's entries once all are bound; gets the entries' tables.
  std::function<void(GatewayConfig&, const std::vector<const toml::table*>&, Problems&)> finish;
  /// The section in force; null leaves it out (an absent optional table, another provider's).
  std::function<boost::json::value(const GatewayConfig&)> to_json;
  /// Its part of docs/config.md.
  std::function<void(std::ostringstream&)> render;
};

std::string heading(std::string_view path, Shape shape) {
  if (path.empty()) return "Top level";
  const std::string name(path);
  return shape == Shape::list ? "[[" + name + "]]" : "[" + name + "]";
}

/// One table's part of docs/config.md: its heading, its intro and its keys.
template <class T>
std::function<void(std::ostringstream&)> table_reference(std::string_view path, Shape shape,
                                                         const OptionTable<T>& table,
                                                         std::string_view intro) {
  return [path, shape, &table, intro](std::ostringstream& out) {
    render_section(out, heading(path, shape), intro, describe_options(table));
  };
}

using ShownFor = bool (*)(const GatewayConfig&);

/// [path]; `access` finds the options in a GatewayConfig (const or not).
template <class T, class Access>
Section table_section(std::string_view path, const OptionTable<T>& table, Access access,
                      std::string_view intro = "", ShownFor shown = nullptr) {
  return {.path = path,
          .shape = Shape::table,
          .bind =
              [path, &table, access](GatewayConfig& config, const toml::table& t, Problems& p) {
                bind_table(t, path, table, access(config), p, /*nested_sections=*/true);
              },
          .finish = {},
          .to_json = [&table, access, shown](const GatewayConfig& config) -> boost::json::value {
            if (shown && !shown(config)) return nullptr;
            return options_to_json(access(config), table);
          },
          .render = table_reference(path, Shape::table, table, intro)};
}

/// [path] that is on when present; `access` finds the std::optional<T>.
template <class T, class Access>
Section optional_section(std::string_view path, const OptionTable<T>& table, Access access,
                         std::string_view intro) {
  return {.path = path,
          .shape = Shape::optional_table,
          .bind =
              [path, &table, access](GatewayConfig& config, const toml::table& t, Problems& p) {
                bind_table(t, path, table, access(config).emplace(), p, /*nested_sections=*/true);
              },
          .finish = {},
          .to_json = [&table, access](const GatewayConfig& config) -> boost::json::value {
            const auto& options = access(config);
            if (!options) return nullptr;
            return options_to_json(*options, table);
          },
          .render = table_reference(path, Shape::optional_table, table, intro)};
}

/// [[path]]; `access` finds the std::vector<T>.
template <class T, class Access>
Section list_section(std::string_view path, const OptionTable<T>& table, Access access,
                     std::string_view intro) {
  return {.path = path,
          .shape = Shape::list,
          .bind =
              [path, &table, access](GatewayConfig& config, const toml::table& t, Problems& p) {
                bind_table(t, path, table, access(config).emplace_back(), p);
              },
          .finish = {},
          .to_json = [&table, access](const GatewayConfig& config) -> boost::json::value {
            boost::json::array entries;
            for (const auto& entry : access(config))
              entries.push_back(options_to_json(entry, table));
            return entries;
          },
          .render = table_reference(path, Shape::list, table, intro)};
}

boost::json::object adapter_to_json(const AdapterConfig& adapter) {
  boost::json::object entry;
  entry["type"] = adapter.type;
  entry["name"] = adapter.name;
  auto put_values = [](boost::json::object& out, const auto& values) {
    for (const auto& [key, value] : values) {
      std::visit([&](const auto& v) { out[key] = v; }, value);
    }
  };
  put_values(entry, adapter.values);
  // Nested lists ([[adapters.registers]]) as arrays of objects, in file order.
  for (const auto& [key, tables] : adapter.lists) {
    boost::json::array list;
    for (const auto& table : tables) {
      boost::json::object item;
      put_values(item, table);
      list.push_back(std::move(item));
    }
    entry[key] = std::move(list);
  }
  return entry;
}

/// [[adapters]]: each table is checked by its type's own option tables (adapters/registry.h).
Section adapters_section() {
  return {
      .path = "adapters",
      .shape = Shape::list,
      .bind =
          [](GatewayConfig& config, const toml::table& table, Problems& problems) {
            std::map<std::string, std::int64_t> lines;
            auto values = scalar_values(table, "adapters", lines, problems, true);
            auto lists = adapter_lists(table, lines, problems);
            AdapterConfig adapter;
            auto type_at = values.find("type");
            if (type_at == values.end() || !std::holds_alternative<std::string>(type_at->second)) {
              problems.add(line_of(table), "adapters.type is required");
              return;
            }
            adapter.type = std::get<std::string>(type_at->second);
            values.erase(type_at);
            AdapterCheck check = check_adapter(adapter.type, values, lists);
            report_adapter(check.errors, lines, line_of(table), problems);
            if (!check.errors.empty()) return;
            for (const auto& other : config.adapters) {
              if (other.name == check.name) {
                problems.add(line_of(table), "adapters.name \"" + check.name + "\" is used twice");
              }
            }
            adapter.name = check.name;
            adapter.values = std::move(values);
            adapter.lists = std::move(lists);
            config.adapters.push_back(std::move(adapter));
          },
      .finish = {},
      .to_json = [](const GatewayConfig& config) -> boost::json::value {
        boost::json::array adapters;
        for (const auto& adapter : config.adapters) adapters.push_back(adapter_to_json(adapter));
        return adapters;
      },
      .render =
          [](std::ostringstream& out) {
            for (const auto& type : adapter_types()) {
              render_section(out, "[[adapters]] type = \"" + std::string(type.type) + "\"",
                             type.summary, type.options);
              for (const auto& list : type.lists) {
                render_section(out,
                               "[[adapters." + std::string(list.key) + "]] (type = \"" +
                                   std::string(type.type) + "\")",
                               list.summary, list.options);
              }
            }
          }};
}

/// [[rules]]: `all_of` is a list of names in the file, one string in the option table; the
/// rules are checked against each other once all are read.
Section rules_section() {
  Section section = list_section(
      "rules", rules::rule_option_table(), [](auto& c) -> auto& { return c.rules; },
      "Optional, one table per rule; the gateway decides alarms from what the "
      "sensors read. The keys a rule has decide its kind: above/below (threshold, "
      "with clear_below/clear_above and for_s), drop/rise with within_s (change), "
      "stale_after_s (no reading), adapter + offline_after_s (adapter down), all_of "
      "with within_s (other rules together, e.g. weight_drop + motion = theft). Each "
      "excursion publishes one alarm when raised and one when cleared.");
  section.bind = [](GatewayConfig& config, const toml::table& table, Problems& problems) {
    toml::table flat = table;
    if (const auto* names = table.get_as<toml::array>("all_of")) {
      std::string joined;
      for (const auto& name : *names) {
        if (!name.is_string()) {
          problems.add(line_of(*names), "rules.all_of must be a list of rule names");
          continue;
        }
        joined += (joined.empty() ? "" : ",") + name.as_string()->get();
      }
      flat.insert_or_assign("all_of", joined);
    }
    rules::RuleOptions rule;
    bind_table(flat, "rules", rules::rule_option_table(), rule, problems);
    if (const auto shape = rules::rule_shape(rule); !shape.error.empty() && !rule.name.empty()) {
      problems.add(line_of(table), "rules \"" + rule.name + "\" " + shape.error);
    }
    config.rules.push_back(std::move(rule));
  };
  section.finish = [](GatewayConfig& config, const std::vector<const toml::table*>& entries,
                      Problems& problems) {
    for (const auto& [index, message] : rules::check_rules(config.rules)) {
      problems.add(line_of(*entries[index]), message);
    }
  };
  return section;
}

bool provider_is_aws(const GatewayConfig& config) {
  return config.uplink.provider == "aws";
}
bool provider_is_azure(const GatewayConfig& config) {
  return config.uplink.provider == "azure";
}

/// Every section, in the order of docs/config.md and of GET /api/v1/config. A table nested in
/// another ("uplink.tls") follows its parent. A new section is its module's option table and
/// one line here.
const std::vector<Section>& sections() {
  static const std::vector<Section> all = {
      table_section(
          "", gateway_option_table(), [](auto& c) -> auto& { return c.gateway; }),
      table_section(
          "storage", storage_option_table(), [](auto& c) -> auto& { return c.storage; },
          "The durable SQLite buffer. `synchronous = \"full\"`: an accepted reading "
          "survives a power cut. `\"normal\"`: it survives a crash of the process, but "
          "the last transactions before a power cut may be lost."),
      table_section(
          "bundle", bundle_option_table(), [](auto& c) -> auto& { return c.bundle; }),
      table_section(
          "uplink", uplink_option_table(), [](auto& c) -> auto& { return c.uplink; }),
      optional_section(
          "uplink.tls", tls_option_table(), [](auto& c) -> auto& { return c.uplink.tls; },
          "Mutual TLS (1.2 or newer). Present means TLS is on; the server name is "
          "always sent (SNI) and the broker's certificate is checked against the CA."),
      table_section(
          "uplink.aws", aws_option_table(), [](auto& c) -> auto& { return c.uplink.aws; },
          "For provider = \"aws\".", provider_is_aws),
      table_section(
          "uplink.azure", azure_option_table(), [](auto& c) -> auto& { return c.uplink.azure; },
          "For provider = \"azure\".", provider_is_azure),
      table_section(
          "api", api_option_table(), [](auto& c) -> auto& { return c.api; }),
      optional_section(
          "api.tls", api_tls_option_table(), [](auto& c) -> auto& { return c.api.tls; },
          "HTTPS for the local API (TLS 1.2 or newer). Present means the API "
          "answers HTTPS only, on api.listen."),
      table_section(
          "ingest", ingest_option_table(), [](auto& c) -> auto& { return c.ingest; }),
      table_section(
          "identity", identity_option_table(), [](auto& c) -> auto& { return c.identity; },
          "The device's own key and the identity the cloud issued it (see `edgegw keygen`)."),
      table_section(
          "shadow", shadow_option_table(), [](auto& c) -> auto& { return c.shadow; },
          "The AWS classic shadow or Azure device twin: settings from the cloud, applied "
          "live, and the state reported back. Not for provider generic.",
          [](const GatewayConfig& c) { return c.uplink.provider != "generic"; }),
      table_section(
          "jobs", job_option_table(), [](auto& c) -> auto& { return c.jobs; },
          "Remote jobs: AWS IoT Jobs, or on Azure direct methods of the same names. "
          "update-config (a config file signed with Ed25519), restart, update-software. "
          "Not for provider generic. See docs/jobs.md.",
          [](const GatewayConfig& c) { return c.uplink.provider != "generic"; }),
      optional_section(
          "provisioning", provisioning_option_table(),
          [](auto& c) -> auto& { return c.provisioning; },
          "Present means a device without a stored identity gets one from the cloud at start "
          "(or by `edgegw provision`): on AWS, fleet provisioning by claim; on Azure, the "
          "Device Provisioning Service. See docs/provisioning.md."),
      list_section(
          "series", series_option_table(), [](auto& c) -> auto& { return c.series; },
          "Optional, one table per series: unit, resolution and valid range. Series an "
          "adapter produces get their unit and resolution from the adapter unless "
          "listed here."),
      adapters_section(),
      rules_section(),
  };
  return all;
}

const Section* find_section(std::string_view path) {
  for (const auto& section : sections()) {
    if (section.path == path) return &section;
  }
  return nullptr;
}

/// The node at a dotted path ("uplink.tls"), if the file has one.
const toml::node* node_at(const toml::table& root, std::string_view path) {
  const toml::node* node = &root;
  while (node && !path.empty()) {
    const auto dot = path.find('.');
    const auto* table = node->as_table();
    node = table ? table->get(path.substr(0, dot)) : nullptr;
    path = dot == std::string_view::npos ? std::string_view{} : path.substr(dot + 1);
  }
  return node;
}

std::string child_path(std::string_view parent, std::string_view key) {
  return parent.empty() ? std::string(key) : std::string(parent) + "." + std::string(key);
}

/// Reports every table or list of tables in a table section that no section describes.
void report_unknown_sections(const toml::table& table, std::string_view path, Problems& problems) {
  std::string known;
  for (const auto& section : sections()) {
    const auto at = section.path.rfind('.');
    const auto parent =
        at == std::string_view::npos ? std::string_view{} : section.path.substr(0, at);
    if (!section.path.empty() && parent == path && !path.empty()) {
      known += (known.empty() ? "" : ", ") + std::string(section.path.substr(at + 1));
    }
  }
  for (const auto& [key, node] : table) {
    const auto* array = node.as_array();
    if (!node.is_table() && !(array && array->is_array_of_tables())) continue;
    const std::string sub = child_path(path, key.str());
    if (find_section(sub)) continue;
    problems.add(line_of(node),
                 "[" + sub + "] unknown section" + (known.empty() ? "" : "; known: " + known));
  }
}

void check_provisioning(const GatewayConfig& config, Problems& problems) {
  if (!config.provisioning) return;
  const auto& provisioning = *config.provisioning;
  const bool aws = config.uplink.provider == "aws";
  const bool azure = config.uplink.provider == "azure";
  // AWS by claim and DPS with X.509 connect with a certificate; DPS with SAS with a key.
  const bool x509 = aws || config.uplink.azure.auth == "x509";
  if (!aws && !azure) {
    problems.add(0,
                 "[provisioning] needs uplink.provider = \"aws\" (fleet provisioning by claim) "
                 "or \"azure\" (DPS)");
    return;
  }
  if (x509 && (provisioning.claim_cert_file.empty() || provisioning.claim_key_file.empty())) {
    problems.add(0, std::string("provisioning.claim_cert_file and claim_key_file are required ") +
                        (aws ? "(the batch's claim certificate)"
                             : "with uplink.azure.auth = \"x509\" (the device's certificate)"));
  }
  if (x509 && !config.uplink.tls) {
    problems.add(0,
                 "[provisioning] with a certificate connects over mutual TLS: add [uplink.tls] "
                 "with ca_file");
  }
  if (aws) {
    // AWS template names: letters, digits, '-' and '_', at most 36; the name is a topic level.
    const auto& name = provisioning.template_name;
    if (name.empty() || name.size() > 36 || !std::all_of(name.begin(), name.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
        })) {
      problems.add(
          0, "provisioning.template \"" + name + "\" must be 1 to 36 letters, digits, '-' or '_'");
    }
  } else {
    if (provisioning.id_scope.empty()) {
      problems.add(0, "provisioning.id_scope is required with provider azure (DPS)");
    }
    if (!x509 && provisioning.group_key_file.empty() == provisioning.device_key_file.empty()) {
      problems.add(0,
                   "with uplink.azure.auth = \"sas\", set one of provisioning.group_key_file "
                   "(group enrollment) or provisioning.device_key_file (individual)");
    }
  }
  // The serial names the CSR and the thing on AWS; on Azure only a SAS registration needs it.
  const bool needs_serial = aws || (!x509 && provisioning.registration_id.empty());
  if (needs_serial && provisioning.serial.empty() && provisioning.serial_file.empty()) {
    problems.add(0, "provisioning.serial or provisioning.serial_file is required");
  }
  if (provisioning.retry_min_s > provisioning.retry_max_s) {
    problems.add(0, "provisioning.retry_min_s is greater than provisioning.retry_max_s");
  }
}

void check_consistency(const GatewayConfig& config, Problems& problems) {
  try {
    if (resolve_profile(config).payload_budget_bytes() < 256) {
      problems.add(0,
                   "bundle.unit_bytes leaves less than 256 bytes for the payload after the "
                   "telemetry topic; use a shorter uplink.telemetry_topic or a larger unit");
    }
  } catch (const ConfigError& error) {
    std::string message = error.what();
    while (!message.empty() && message.back() == '\n') message.pop_back();
    problems.add(0, message);
  }
  check_provisioning(config, problems);
  std::set<std::string> names;
  for (const auto& series : config.series) {
    if (!names.insert(series.name).second) {
      problems.add(0, "series \"" + series.name + "\" is configured twice");
    }
    if (series.min > series.max) {
      problems.add(0, "series \"" + series.name + "\": min is greater than max");
    }
  }
}

GatewayConfig build_config(const toml::table& root, Problems& problems, bool use_stored_identity,
                           ConfigPurpose purpose) {
  GatewayConfig config;
  for (const auto& section : sections()) {
    const toml::node* node = node_at(root, section.path);
    if (!node) continue;
    const std::string name(section.path);
    if (section.shape == Shape::list) {
      std::vector<const toml::table*> entries;
      for_each_array_table(*node, name, problems, [&](const toml::table& table) {
        entries.push_back(&table);
        section.bind(config, table, problems);
      });
      if (section.finish) section.finish(config, entries, problems);
      continue;
    }
    const auto* table = node->as_table();
    if (!table) {
      problems.add(line_of(*node), name + " must be a section: [" + name + "]");
      continue;
    }
    section.bind(config, *table, problems);
    report_unknown_sections(*table, section.path, problems);
  }
  if (use_stored_identity) {
    try {
      cloud::apply_stored_identity(config);
    } catch (const std::exception& error) {
      problems.add(0, std::string("identity: ") + error.what());
    }
  }
  if (config.gateway.gateway_id.empty() &&
      (config.provisioning || purpose == ConfigPurpose::identity_setup)) {
    // Not provisioned yet: the rest is checked as it will be once the thing has its name.
    check_consistency(cloud::as_provisioned(config), problems);
    return config;
  }
  if (config.gateway.gateway_id.empty()) {
    problems.add(0, "gateway_id is required, or an identity stored in " + config.identity.dir +
                        " ([provisioning], or edgegw keygen and a certificate)");
  }
  check_consistency(config, problems);
  return config;
}

GatewayConfig parse_config(std::string_view text, const std::string& origin,
                           bool use_stored_identity, ConfigPurpose purpose) {
  Problems problems(origin);
  toml::table root;
  try {
    root = toml::parse(text, origin);
  } catch (const toml::parse_error& error) {
    problems.add(error.source().begin.line,
                 std::string("not valid TOML: ") + std::string(error.description()));
    throw ConfigError(problems.text());
  }
  GatewayConfig config = build_config(root, problems, use_stored_identity, purpose);
  if (!problems.empty()) throw ConfigError(problems.text());
  return config;
}

}  // namespace

GatewayConfig load_config_text(std::string_view text, const std::string& origin) {
  return parse_config(text, origin, false, ConfigPurpose::run);
}

GatewayConfig load_config_file(const std::string& path, ConfigPurpose purpose) {
  std::ifstream file(path);
  if (!file) throw ConfigError(path + ": cannot open the config file\n");
  std::stringstream text;
  text << file.rdbuf();
  return parse_config(text.str(), path, true, purpose);
}

std::string config_to_json(const GatewayConfig& config) {
  return boost::json::serialize(config_document(config));
}

boost::json::object config_document(const GatewayConfig& config) {
  boost::json::object doc;
  for (const auto& section : sections()) {
    boost::json::value value = section.to_json(config);
    if (value.is_null()) continue;
    if (section.path.empty()) {
      doc = std::move(value.as_object());
      continue;
    }
    // A nested table goes inside its parent, which comes before it in the list.
    boost::json::object* parent = &doc;
    std::string_view path = section.path;
    for (auto dot = path.find('.'); dot != std::string_view::npos; dot = path.find('.')) {
      parent = &(*parent)[path.substr(0, dot)].as_object();
      path = path.substr(dot + 1);
    }
    (*parent)[path] = std::move(value);
  }
  return doc;
}

std::vector<std::string> config_section_paths() {
  std::vector<std::string> paths;
  for (const auto& section : sections()) paths.emplace_back(section.path);
  return paths;
}

std::string render_config_reference() {
  std::ostringstream out;
  out << "# Configuration reference\n\n"
         "<!-- Generated by `edgegw config-reference` from the tables the parser uses; "
         "a test fails when this file and the parser disagree. -->\n\n"
         "edgegw reads one TOML file (`edgegw run --config FILE`; check it with "
         "`edgegw check-config FILE`). Every key has a default except those marked required. "
         "Unknown keys and bad values are errors naming the key and the line.\n\n";
  for (const auto& section : sections()) section.render(out);
  return out.str();
}

}  // namespace edgegw
