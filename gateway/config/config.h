#pragma once

#include <boost/json/object.hpp>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "gateway/api/api_options.h"
#include "gateway/cloud/identity_options.h"
#include "gateway/cloud/provisioning_options.h"
#include "gateway/cloud/shadow_options.h"
#include "gateway/ingest/ingest_options.h"
#include "gateway/jobs/job_options.h"
#include "gateway/model/option_table.h"
#include "gateway/rules/rule_options.h"
#include "gateway/uplink/bundle_options.h"
#include "gateway/uplink/uplink_options.h"
#include "storage/storage_options.h"

namespace edgegw {

/// Keys at the top of the file, outside any section.
struct GatewayOptions {
  std::string gateway_id;
  std::string log_level = "info";
};

/// [[adapters]]: one source of readings; its keys are checked by the adapter type's own table.
struct AdapterConfig {
  std::string type;
  std::string name;
  std::map<std::string, OptionValue> values;  ///< every key but `type`
  /// Its nested lists of tables by key (`[[adapters.registers]]`), each table's values in file
  /// order: the registry's AdapterOptionLists.
  std::map<std::string, std::vector<std::map<std::string, OptionValue>>> lists{};
};

/// The whole config file, parsed once at start-up.
struct GatewayConfig {
  GatewayOptions gateway;
  StorageOptions storage;
  BundleOptions bundle;
  UplinkOptions uplink;
  ApiOptions api;
  IngestOptions ingest;
  IdentityOptions identity;
  ShadowOptions shadow;
  JobOptions jobs;
  /// [provisioning]: present means a device without an identity provisions itself.
  std::optional<ProvisioningOptions> provisioning;
  std::vector<SeriesOptions> series;
  std::vector<AdapterConfig> adapters;
  std::vector<rules::RuleOptions> rules;  ///< [[rules]]: what raises alarms

  /// A topic template with {gateway_id} filled in.
  std::string expand_topic(const std::string& topic_template) const;
};

/// A config file that cannot be used; what() lists every problem, one per line, each naming
/// the file, line and key.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// What a config is loaded for. Running the gateway needs its id (from the config, a stored
/// identity, or provisioning at start); setting up the identity (edgegw keygen,
/// install-certificate) is how a device without one gets it, so there it may be missing.
enum class ConfigPurpose { run, identity_setup };

/// Parses and validates a config file, with what the config leaves empty filled in from the
/// identity stored in [identity] dir (cloud::apply_stored_identity). Throws ConfigError.
GatewayConfig load_config_file(const std::string& path, ConfigPurpose purpose = ConfigPurpose::run);
/// Same, from text (`origin` names it in messages), without looking at any stored identity.
GatewayConfig load_config_text(std::string_view text, const std::string& origin);

/// The effective configuration as JSON, section by section, from the same option tables.
/// Secrets never appear: the config holds only the paths of the files that contain them.
std::string config_to_json(const GatewayConfig& config);
/// The same document, not yet serialized.
boost::json::object config_document(const GatewayConfig& config);

/// Every key of every section and adapter type as Markdown (docs/config.md is this output).
std::string render_config_reference();

/// Where each section sits in the file, in reference order: "" for the top level, "storage",
/// "uplink.tls" for a table nested in [uplink]; lists of tables ([[series]]) by their name.
std::vector<std::string> config_section_paths();

const OptionTable<GatewayOptions>& gateway_option_table();

}  // namespace edgegw
