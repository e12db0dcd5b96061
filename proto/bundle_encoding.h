#pragma once

#include <optional>
#include <string_view>

namespace edgegw {

/// How a bundle's protobuf bytes travel: as they are, or as one zstd frame.
enum class BundleEncoding { proto, proto_zstd };

/// "proto" or "proto+zstd" (the config spelling); nothing for anything else.
std::optional<BundleEncoding> parse_bundle_encoding(std::string_view text);

/// The config spelling of `encoding`.
std::string_view to_string(BundleEncoding encoding);

}  // namespace edgegw
