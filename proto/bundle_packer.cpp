#include "proto/bundle_packer.h"

#include <zstd.h>

#include <algorithm>
#include <cassert>
#include <stdexcept>
#include <vector>

#include "proto/bundle_builder.h"
#include "proto/wire_format.h"

namespace edgegw {

namespace {

/// proto+zstd bundles hold at most this many times the budget in raw bytes: bounds the work
/// on extremely compressible streams (constant values at a fixed rate) and keeps every bundle
/// decodable within wire::kMaxRawBundleBytes.
constexpr std::size_t kMaxZstdExpansion = 32;

/// Real compressions allowed per bundle while searching for the longest prefix that fits.
constexpr int kMaxCompressions = 12;

/// Of the raw size the last full bundle's ratio predicts for a full bundle, the share at which
/// an open proto+zstd bundle first runs the search, and the growth before it searches again.
constexpr double kFirstSearchShare = 0.9;
constexpr double kSearchAgainGrowth = 1.08;

std::size_t message_limit(std::size_t budget) {
  return budget > 0 ? budget - 1 : 0;  // one byte of the budget is the format header
}

std::size_t zstd_raw_limit(std::size_t budget) {
  return std::max<std::size_t>(std::min(budget * kMaxZstdExpansion, wire::kMaxRawBundleBytes), 1) -
         1;
}

/// The proto payload of everything `builder` holds.
PackedBundle proto_bundle(std::uint64_t bundle_seq, const BundleBuilder& builder, bool full) {
  PackedBundle packed;
  packed.bundle_seq = bundle_seq;
  packed.reading_count = builder.reading_count();
  packed.full = full;
  packed.raw_size = 1 + builder.message_size();
  packed.payload.reserve(packed.raw_size);
  packed.payload.push_back(static_cast<char>(wire::header_byte(BundleEncoding::proto)));
  builder.append_message(packed.payload);
  assert(packed.payload.size() == packed.raw_size && "incremental size drifted from protobuf");
  return packed;
}

}  // namespace

std::optional<BundleEncoding> parse_bundle_encoding(std::string_view text) {
  if (text == "proto") return BundleEncoding::proto;
  if (text == "proto+zstd") return BundleEncoding::proto_zstd;
  return std::nullopt;
}

std::string_view to_string(BundleEncoding encoding) {
  return encoding == BundleEncoding::proto ? "proto" : "proto+zstd";
}

struct BundlePacker::ZstdContext {
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ZstdContext() {
    if (cctx == nullptr) throw std::bad_alloc();
  }
  ~ZstdContext() { ZSTD_freeCCtx(cctx); }
  ZstdContext(const ZstdContext&) = delete;
  ZstdContext& operator=(const ZstdContext&) = delete;
};

BundlePacker::BundlePacker(PackerOptions options, const SeriesCatalog& catalog)
    : options_(std::move(options)), catalog_(catalog) {
  if (options_.encoding == BundleEncoding::proto_zstd) zstd_ = std::make_unique<ZstdContext>();
}

BundlePacker::~BundlePacker() = default;

PackedBundle BundlePacker::pack(std::uint64_t bundle_seq, std::span<const Reading> readings) {
  return options_.encoding == BundleEncoding::proto ? pack_proto(bundle_seq, readings)
                                                    : pack_zstd(bundle_seq, readings);
}

PackedBundle BundlePacker::pack_proto(std::uint64_t bundle_seq, std::span<const Reading> readings) {
  SeriesSpecCache specs(catalog_);
  BundleBuilder builder(options_.gateway_id, bundle_seq, specs);
  const std::size_t limit = message_limit(options_.budget_bytes);
  std::size_t count = 0;
  while (count < readings.size() && builder.try_add(readings[count], limit)) ++count;
  return proto_bundle(bundle_seq, builder, count < readings.size());
}

std::string BundlePacker::compress_prefix(const BundleBuilder& builder, std::size_t count) {
  std::string message;
  builder.append_message(message, count);

  std::string payload(1 + ZSTD_compressBound(message.size()), '\0');
  payload[0] = static_cast<char>(wire::header_byte(BundleEncoding::proto_zstd));
  std::size_t written = ZSTD_compressCCtx(zstd_->cctx, payload.data() + 1, payload.size() - 1,
                                          message.data(), message.size(), options_.zstd_level);
  if (ZSTD_isError(written)) {
    throw std::runtime_error(std::string("zstd compression failed: ") + ZSTD_getErrorName(written));
  }
  payload.resize(1 + written);
  return payload;
}

// Compressed size is not additive, so the search works on real compressions: a probe builder
// records the exact raw size of each prefix (extended only as far as the search looks) and
// serializes any prefix of what it holds for a trial compression; a secant-style search
// predicts the prefix length from the last trials' compression rate, keeping the longest
// prefix known to fit and the shortest known not to, until they are adjacent.
PackedBundle BundlePacker::pack_zstd(std::uint64_t bundle_seq, std::span<const Reading> readings) {
  SeriesSpecCache specs(catalog_);
  const std::size_t budget = options_.budget_bytes;
  // One byte of the raw payload is the format header, which the message sizes leave out.
  const std::size_t raw_limit = zstd_raw_limit(budget);

  // raw_sizes[n] = exact Bundle message size holding the first n readings.
  BundleBuilder probe(options_.gateway_id, bundle_seq, specs);
  std::vector<std::size_t> raw_sizes{probe.message_size()};
  bool probe_done = readings.empty();
  auto extend_once = [&] {
    const std::size_t next = raw_sizes.size() - 1;
    if (next < readings.size() && probe.try_add(readings[next], raw_limit)) {
      raw_sizes.push_back(probe.message_size());
    } else {
      probe_done = true;
    }
  };
  // Largest known n whose raw size is at most `raw`, probing further when needed.
  auto prefix_for_raw = [&](double raw) -> std::size_t {
    while (!probe_done && static_cast<double>(raw_sizes.back()) <= raw) extend_once();
    auto it =
        std::upper_bound(raw_sizes.begin(), raw_sizes.end(), raw,
                         [](double r, std::size_t size) { return r < static_cast<double>(size); });
    return it == raw_sizes.begin() ? 0 : static_cast<std::size_t>(it - raw_sizes.begin()) - 1;
  };

  std::size_t fit = 0;          // longest prefix known to fit (0 fits by assumption)
  std::size_t fail = SIZE_MAX;  // shortest prefix known not to fit
  std::string fit_payload;
  int compressions = 0;
  // The last two trials, as (raw message size, compressed payload size): their secant is the
  // marginal compression rate near the boundary, which the average ratio overestimates.
  double last_raw = 0, last_compressed = 0, prev_raw = 0, prev_compressed = 0;
  std::size_t guess = prefix_for_raw(static_cast<double>(budget) * zstd_ratio_);
  for (int trial = 0; trial < kMaxCompressions && fit + 1 < fail; ++trial) {
    if (raw_sizes.size() - 1 == fit && !probe_done) extend_once();
    const std::size_t known = raw_sizes.size() - 1;
    if (known == fit) break;  // every reading offered (or allowed) already fits
    const std::size_t n = std::clamp(guess, fit + 1, std::min(fail - 1, known));
    std::string payload = compress_prefix(probe, n);
    ++compressions;
    const auto compressed = static_cast<double>(payload.size());
    if (payload.size() <= budget) {
      fit = n;
      fit_payload = std::move(payload);
    } else {
      fail = n;
    }
    prev_raw = last_raw;
    prev_compressed = last_compressed;
    last_raw = static_cast<double>(raw_sizes[n]);
    last_compressed = compressed;

    double raw_per_compressed = last_raw / last_compressed;
    if (trial > 0 && last_compressed != prev_compressed && last_raw != prev_raw) {
      raw_per_compressed =
          std::max((last_raw - prev_raw) / (last_compressed - prev_compressed), 0.1);
    }
    guess = prefix_for_raw(last_raw +
                           (static_cast<double>(budget) - last_compressed) * raw_per_compressed);
    if (fail != SIZE_MAX && trial >= kMaxCompressions / 2) {
      guess = fit + (fail - fit) / 2;  // an erratic size curve: fall back to bisection
    }
  }
  if (fit_payload.empty()) {
    fit_payload = compress_prefix(probe, 0);
    ++compressions;
  }

  PackedBundle packed;
  packed.bundle_seq = bundle_seq;
  packed.reading_count = fit;
  packed.full = fit < readings.size();
  packed.raw_size = 1 + raw_sizes[fit];
  packed.payload = std::move(fit_payload);
  packed.compressions = compressions;
  if (packed.full && fit > 0) {
    zstd_ratio_ = static_cast<double>(raw_sizes[fit]) / static_cast<double>(packed.payload.size());
  }
  return packed;
}

OpenBundle::OpenBundle(BundlePacker& packer, std::uint64_t bundle_seq)
    : packer_(packer),
      bundle_seq_(bundle_seq),
      specs_(std::make_unique<SeriesSpecCache>(packer.catalog())),
      builder_(std::make_unique<BundleBuilder>(packer.options().gateway_id, bundle_seq, *specs_)) {
  search_at_raw_ = static_cast<std::size_t>(static_cast<double>(packer.options().budget_bytes) *
                                            packer.zstd_ratio() * kFirstSearchShare);
}

OpenBundle::~OpenBundle() = default;

std::size_t OpenBundle::count() const {
  return packer_.options().encoding == BundleEncoding::proto ? builder_->reading_count()
                                                             : readings_.size();
}

bool OpenBundle::add(const Reading& reading) {
  const std::size_t budget = packer_.options().budget_bytes;
  const bool first = count() == 0;
  if (packer_.options().encoding == BundleEncoding::proto) {
    return builder_->try_add(reading, first ? SIZE_MAX : message_limit(budget));
  }
  if (full_) return false;
  // The raw size only decides when to search; past the raw cap the bundle is full outright.
  if (!builder_->try_add(reading, first ? SIZE_MAX : zstd_raw_limit(budget))) return false;
  readings_.push_back(reading);
  if (first || 1 + builder_->message_size() < search_at_raw_) return true;
  PackedBundle packed = packer_.pack(bundle_seq_, readings_);
  if (!packed.full) {
    search_at_raw_ = static_cast<std::size_t>(static_cast<double>(1 + builder_->message_size()) *
                                              kSearchAgainGrowth);
    return true;
  }
  // The newest reading, maybe some before it, did not fit: they go back to the caller.
  full_ = at_least_one(std::move(packed));
  return false;
}

PackedBundle OpenBundle::close(bool full) {
  if (packer_.options().encoding == BundleEncoding::proto) {
    return proto_bundle(bundle_seq_, *builder_, full);
  }
  if (full_) return std::move(*full_);
  PackedBundle packed = at_least_one(packer_.pack(bundle_seq_, readings_));
  packed.full = full || packed.full;
  return packed;
}

PackedBundle OpenBundle::at_least_one(PackedBundle packed) {
  if (packed.reading_count == 0 && !readings_.empty()) {
    // Not even the first reading fits compressed: it goes alone, over the budget, rather than
    // stall the stream.
    packed.payload = packer_.compress_prefix(*builder_, 1);
    packed.reading_count = 1;
    packed.full = true;
  }
  return packed;
}

}  // namespace edgegw
