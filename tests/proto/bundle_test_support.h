#pragma once

// Shared by the proto tests: a catalog builder and a decoder for the raw bytes under zstd.

#include <zstd.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "gateway/model/series.h"

namespace edgegw::test {

inline void add_series(SeriesCatalog& catalog, SeriesId id, std::string name, std::string unit,
                       double resolution) {
  catalog.insert(SeriesInfo{id, SeriesSpec{std::move(name), std::move(unit), resolution}});
}

/// The uncompressed payload (header byte + Bundle message) of a proto or proto+zstd payload.
inline std::string raw_payload(std::string_view payload) {
  if (payload.empty() || static_cast<std::uint8_t>(payload[0]) == 0x10) return std::string(payload);
  std::string_view frame = payload.substr(1);
  auto size = ZSTD_getFrameContentSize(frame.data(), frame.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN) {
    throw std::runtime_error("not a zstd frame with a content size");
  }
  std::string raw(1 + size, '\0');
  raw[0] = payload[0];
  auto got = ZSTD_decompress(raw.data() + 1, size, frame.data(), frame.size());
  if (ZSTD_isError(got) || got != size) throw std::runtime_error("zstd frame does not decompress");
  return raw;
}

/// The Bundle message of a payload, without its format header.
inline std::string message_bytes(std::string_view payload) {
  return raw_payload(payload).substr(1);
}

}  // namespace edgegw::test
