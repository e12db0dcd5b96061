#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "gateway/model/reading.h"
#include "gateway/model/series.h"
#include "proto/bundle_encoding.h"

namespace edgegw {

class BundleBuilder;
class SeriesSpecCache;

struct PackerOptions {
  std::string gateway_id;
  /// Largest payload allowed: the provider's unit minus the topic length where it is metered.
  std::size_t budget_bytes = 5120;
  BundleEncoding encoding = BundleEncoding::proto;
  /// zstd level for proto+zstd. Each bundle costs about six trial compressions of ~10 KB.
  /// Measured on the chocolate + crane simulator stream (x86): level 3 packs 4.5 M readings/s
  /// at ~4700 readings per 5 KB bundle, level 9 1.25 M/s at +3.5%, level 19 0.33 M/s at +6%.
  int zstd_level = 3;
};

struct PackedBundle {
  std::uint64_t bundle_seq = 0;
  /// Format header byte + Bundle protobuf (raw or zstd), see edgegw/v1/bundle.proto.
  std::string payload;
  /// How many readings from the front of the offered span the payload holds.
  std::size_t reading_count = 0;
  /// The next offered reading would not have fit: publish now instead of waiting.
  bool full = false;
  /// Uncompressed payload size (header byte + Bundle message) as tracked incrementally while
  /// packing; equals payload.size() for the proto encoding.
  std::size_t raw_size = 0;
  /// zstd compressions spent finding the prefix that fits (0 for proto): search effort.
  int compressions = 0;
};

/// Packs readings into bundles that come as close as possible to, and never over, the byte
/// budget. Not thread-safe: use one packer per uplink.
class BundlePacker {
 public:
  BundlePacker(PackerOptions options, const SeriesCatalog& catalog);
  ~BundlePacker();
  BundlePacker(const BundlePacker&) = delete;
  BundlePacker& operator=(const BundlePacker&) = delete;

  /// Packs the longest prefix of `readings` that fits the budget. `full` is true when the next
  /// reading would not have fit (so the caller publishes now rather than waiting for max
  /// latency). A budget too small for even one reading gives reading_count 0 (and a payload of
  /// an empty, decodable bundle that is not worth publishing); that cannot happen with the
  /// budgets providers use (hundreds of bytes and more).
  PackedBundle pack(std::uint64_t bundle_seq, std::span<const Reading> readings);

  const PackerOptions& options() const { return options_; }
  const SeriesCatalog& catalog() const { return catalog_; }
  /// Raw-to-compressed size ratio of the last full proto+zstd bundle (a guess before the first).
  double zstd_ratio() const { return zstd_ratio_; }

 private:
  friend class OpenBundle;
  PackedBundle pack_proto(std::uint64_t bundle_seq, std::span<const Reading> readings);
  PackedBundle pack_zstd(std::uint64_t bundle_seq, std::span<const Reading> readings);
  std::string compress_prefix(const BundleBuilder& builder, std::size_t count);

  struct ZstdContext;
  PackerOptions options_;
  const SeriesCatalog& catalog_;
  std::unique_ptr<ZstdContext> zstd_;
  /// Raw-to-compressed size ratio of the last full zstd bundle: the first guess for the next.
  double zstd_ratio_ = 2.5;
};

/// The bundle being filled from a stream that arrives over time: each reading added costs its
/// own encoding only. Under proto+zstd the raw size is tracked the same way and the
/// compression search runs only once the raw size nears what the budget holds compressed (the
/// last full bundle's ratio), so a slow stream is not compressed again for every reading.
class OpenBundle {
 public:
  OpenBundle(BundlePacker& packer, std::uint64_t bundle_seq);
  ~OpenBundle();
  OpenBundle(const OpenBundle&) = delete;
  OpenBundle& operator=(const OpenBundle&) = delete;

  /// Adds `reading`, or returns false when the bundle is full without it: then close(true) it,
  /// and the reading (with any the close gives back) starts the next bundle. An empty bundle
  /// always takes its first reading, however small the budget, so a stream never stalls.
  bool add(const Reading& reading);
  std::size_t count() const;
  std::uint64_t bundle_seq() const { return bundle_seq_; }

  /// The bundle's payload. reading_count is how many of the readings added, from the first,
  /// it holds: all of them under proto; under proto+zstd fewer when the compressed size would
  /// have passed the budget, and the rest belong to the next bundle.
  PackedBundle close(bool full);

 private:
  PackedBundle at_least_one(PackedBundle packed);

  BundlePacker& packer_;
  std::uint64_t bundle_seq_;
  std::unique_ptr<SeriesSpecCache> specs_;  // the builder keeps a reference: a stable address
  std::unique_ptr<BundleBuilder> builder_;
  // proto+zstd only: the readings (the search needs them), the raw size at which to search
  // again, and the result of the search that found the bundle full.
  std::vector<Reading> readings_;
  std::size_t search_at_raw_ = 0;
  std::optional<PackedBundle> full_;
};

}  // namespace edgegw
