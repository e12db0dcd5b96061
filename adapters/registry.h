#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/adapter.h"
#include "adapters/adapter_context.h"
#include "gateway/model/clock.h"
#include "gateway/model/option_table.h"

namespace edgegw {

/// Option values of one `[[adapters]]` table, without the `type` key the loader consumes.
using AdapterOptionValues = std::map<std::string, OptionValue>;

/// The nested arrays of tables of one `[[adapters]]` table, by key: `[[adapters.registers]]`
/// tables are lists["registers"], each one's scalar values, in file order. An adapter reports
/// an error in one of them on the key "<list>[<index>].<key>" (index from 0), and the loader
/// names that key and its line.
using AdapterOptionLists = std::map<std::string, std::vector<AdapterOptionValues>>;

/// The reference of one nested list an adapter type accepts (`[[adapters.registers]]`).
struct AdapterOptionListDoc {
  std::string_view key;
  std::string_view summary;
  std::vector<OptionDoc> options;  ///< the keys of each table in the list
};

/// What checking an adapter's options yields: its resolved name (the loader checks names are
/// unique) and errors as {key, message}.
struct AdapterCheck {
  std::string name;
  OptionErrors errors;
};

/// One kind of adapter the config can name in `type = "..."`.
struct AdapterType {
  std::string_view type;
  std::string_view summary;
  std::vector<OptionDoc> options;           ///< the config reference for this type
  std::vector<AdapterOptionListDoc> lists;  ///< nested lists of tables it accepts, if any
  /// Validates options without building anything: for check-config.
  std::function<AdapterCheck(const AdapterOptionValues&, const AdapterOptionLists&)> check;
  /// Builds the adapter (not started) on the context's clock and hardware; returns null and
  /// fills `errors` if options are bad.
  std::function<std::unique_ptr<Adapter>(const AdapterOptionValues&, const AdapterOptionLists&,
                                         const AdapterContext&, OptionErrors& errors)>
      create;
};

/// Every adapter type, in the order the config reference lists them. This is the one place
/// adapters are listed; nothing registers itself.
const std::vector<AdapterType>& adapter_types();

/// The type named `type`, or null.
const AdapterType* find_adapter_type(std::string_view type);

/// Builds an adapter of `type`; an unknown type is reported as an error on the key "type", a
/// nested list the type does not declare as an error on the list's key.
std::unique_ptr<Adapter> create_adapter(std::string_view type, const AdapterOptionValues& values,
                                        const AdapterOptionLists& lists,
                                        const AdapterContext& context, OptionErrors& errors);
/// The same for an adapter without nested lists.
std::unique_ptr<Adapter> create_adapter(std::string_view type, const AdapterOptionValues& values,
                                        const AdapterContext& context, OptionErrors& errors);

/// Checks an adapter's options without building it; an unknown type is an error on "type".
AdapterCheck check_adapter(std::string_view type, const AdapterOptionValues& values,
                           const AdapterOptionLists& lists = {});

}  // namespace edgegw
