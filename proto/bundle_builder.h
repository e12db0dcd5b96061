#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "gateway/model/reading.h"
#include "gateway/model/series.h"

namespace edgegw {

/// `text` with every byte that is not part of well-formed UTF-8 replaced by U+FFFD: protobuf
/// string fields must be UTF-8, and a decoder rejects a bundle whose names are not, which would
/// leave it unpublishable forever.
std::string as_valid_utf8(std::string_view text);

/// The specs of the series seen during one pack() call, each looked up in the catalog once.
/// A series missing from the catalog is packed as "series-<id>" without unit or resolution
/// (losslessly), so its data still reaches the cloud.
class SeriesSpecCache {
 public:
  explicit SeriesSpecCache(const SeriesCatalog& catalog) : catalog_(catalog) {}
  /// The spec of `id`; the reference stays valid for the cache's lifetime.
  const SeriesSpec& get(SeriesId id);

 private:
  const SeriesCatalog& catalog_;
  std::unordered_map<SeriesId, SeriesSpec> specs_;  // node-based: references survive rehash
};

/// Assembles one bundle reading by reading while keeping its exact protobuf size up to date,
/// so the packer can stop at the last reading that fits without re-encoding anything. Only a
/// series whose value form changes (its decimal exponent grows, or it falls back to XOR) is
/// re-sized, from its own values.
class BundleBuilder {
 public:
  BundleBuilder(std::string_view gateway_id, std::uint64_t bundle_seq, SeriesSpecCache& specs);

  /// Adds `reading` if the Bundle message stays within `limit_bytes`; otherwise returns false
  /// and leaves the builder unchanged.
  bool try_add(const Reading& reading, std::size_t limit_bytes);

  /// Exact size of the serialized Bundle message (without the payload's format header byte).
  std::size_t message_size() const { return size_; }
  std::size_t reading_count() const { return reading_count_; }

  /// Appends the serialized Bundle message holding the first `reading_limit` readings added
  /// (all by default) to `out`: byte for byte what a builder given only those would write.
  void append_message(std::string& out, std::size_t reading_limit = SIZE_MAX) const;

  /// Exact message size a builder holding only the first `reading_limit` readings would have.
  std::size_t prefix_message_size(std::size_t reading_limit) const;

  enum class ValueForm : std::uint8_t { decimal, step, xor_bits };

 private:
  struct Column {
    std::string_view name;
    std::string_view unit;
    bool lossless = true;  // no resolution, or a value the resolution cannot scale
    ValueForm form = ValueForm::decimal;
    int exponent = 0;
    double step = 0.0;
    std::vector<std::int64_t> timestamps;
    std::vector<double> values;
    std::vector<std::uint64_t> quality_marks;
    /// The value form after each change, so a prefix of the column is written exactly as a
    /// builder that never saw the later values would write it.
    struct FormChange {
      std::size_t from_count;  // applies to prefixes of at least this many values
      ValueForm form;
      int exponent;
    };
    std::vector<FormChange> form_history;
    std::uint64_t prev_delta = 0;  // wrapping ms delta between the last two timestamps
    std::int64_t prev_q = 0;
    std::uint64_t prev_bits = 0;
    std::size_t next_mark_index = 0;  // index after the last quality mark
    std::size_t fixed_bytes = 0;      // name and unit fields
    std::size_t timestamp_bytes = 0;  // packed column payloads
    std::size_t value_bytes = 0;
    std::size_t quality_bytes = 0;
    std::size_t framed_size = 0;  // tag + length prefix + body, as counted in the Bundle
  };

  /// The value column of a series after adding one value: its form and packed byte count.
  struct ValuePlan {
    bool lossless;
    ValueForm form;
    int exponent;
    std::size_t bytes;
    std::int64_t last_q;
    std::uint64_t last_bits;
  };

  Column make_column(SeriesId id) const;
  Column* find_column(SeriesId id);
  void remember_column(SeriesId id, std::size_t index);
  /// How many values of each column fall within the first `reading_limit` readings.
  std::vector<std::size_t> column_counts(std::size_t reading_limit) const;
  static ValuePlan plan_value(const Column& column, double value);
  static ValuePlan plan_lossless(const Column& column, double extra, int start_exponent);
  static std::size_t body_size(const Column& column, std::size_t timestamp_bytes,
                               const ValuePlan& plan, std::size_t quality_bytes);

  SeriesSpecCache& specs_;
  std::string gateway_id_;
  std::uint64_t bundle_seq_;
  std::vector<Column> columns_;
  // Series ids are small dense integers from the buffer: index them directly, and hash only
  // the odd large one.
  static constexpr SeriesId kDenseIds = 4096;
  std::vector<std::uint32_t> dense_index_;  // column index + 1, 0 for none
  std::unordered_map<SeriesId, std::size_t> sparse_index_;
  std::vector<std::uint32_t> reading_columns_;  // column of each reading, in order added
  std::size_t size_ = 0;
  std::size_t reading_count_ = 0;
};

}  // namespace edgegw
