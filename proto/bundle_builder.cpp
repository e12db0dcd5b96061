#include "proto/bundle_builder.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <iterator>
#include <optional>

#include "edgegw/v1/bundle.pb.h"
#include "proto/wire_format.h"

namespace edgegw {

namespace {

std::uint64_t as_bits(double value) {
  return std::bit_cast<std::uint64_t>(value);
}

/// The sint64 written for timestamp `index` of a series: absolute, delta, then delta-of-delta,
/// all modulo 2^64 so that no input can overflow.
std::int64_t timestamp_wire_value(std::size_t index, std::uint64_t delta, std::uint64_t prev_delta,
                                  std::int64_t ts) {
  if (index == 0) return ts;
  if (index == 1) return static_cast<std::int64_t>(delta);
  return static_cast<std::int64_t>(delta - prev_delta);
}

/// Smallest exponent >= `from` whose decimal form reproduces `value`, or one past the maximum.
int next_exact_exponent(double value, int from) {
  for (int e = from; e <= wire::kMaxDecimalExponent; ++e) {
    if (wire::quantize_decimal_exact(value, e)) return e;
  }
  return wire::kMaxDecimalExponent + 1;
}

/// Length of the well-formed UTF-8 sequence at the start of `text` (no overlongs, surrogates
/// or code points past U+10FFFF), or 0 if there is none.
std::size_t utf8_sequence_length(std::string_view text) {
  auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(0);
  if (lead < 0x80) return 1;
  std::size_t length = 0;
  unsigned char low = 0x80, high = 0xbf;  // allowed range of the second byte
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    if (lead == 0xe0) low = 0xa0;
    if (lead == 0xed) high = 0x9f;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    if (lead == 0xf0) low = 0x90;
    if (lead == 0xf4) high = 0x8f;
  } else {
    return 0;
  }
  if (text.size() < length || byte(1) < low || byte(1) > high) return 0;
  for (std::size_t i = 2; i < length; ++i) {
    if (byte(i) < 0x80 || byte(i) > 0xbf) return 0;
  }
  return length;
}

}  // namespace

std::string as_valid_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    std::size_t length = utf8_sequence_length(text);
    if (length == 0) {
      out += "\xef\xbf\xbd";  // U+FFFD REPLACEMENT CHARACTER
      length = 1;
    } else {
      out.append(text.substr(0, length));
    }
    text.remove_prefix(length);
  }
  return out;
}

const SeriesSpec& SeriesSpecCache::get(SeriesId id) {
  auto it = specs_.find(id);
  if (it != specs_.end()) return it->second;
  SeriesSpec spec;
  if (auto info = catalog_.find(id)) {
    spec = std::move(info->spec);
    spec.name = as_valid_utf8(spec.name);
    spec.unit = as_valid_utf8(spec.unit);
  } else {
    spec.name = "series-" + std::to_string(id);
  }
  return specs_.emplace(id, std::move(spec)).first->second;
}

BundleBuilder::BundleBuilder(std::string_view gateway_id, std::uint64_t bundle_seq,
                             SeriesSpecCache& specs)
    : specs_(specs), gateway_id_(as_valid_utf8(gateway_id)), bundle_seq_(bundle_seq) {
  size_ = wire::delimited_field_size(gateway_id_.size()) +
          (bundle_seq_ != 0 ? 1 + wire::varint_size(bundle_seq_) : 0);
}

BundleBuilder::Column BundleBuilder::make_column(SeriesId id) const {
  const SeriesSpec& spec = specs_.get(id);
  Column column;
  column.name = spec.name;
  column.unit = spec.unit;
  column.fixed_bytes =
      wire::delimited_field_size(spec.name.size()) + wire::delimited_field_size(spec.unit.size());
  double resolution = spec.resolution;
  if (resolution > 0 && std::isfinite(resolution)) {
    column.lossless = false;
    if (auto exponent = wire::decimal_exponent_for(resolution)) {
      column.form = ValueForm::decimal;
      column.exponent = *exponent;
    } else {
      column.form = ValueForm::step;
      column.step = resolution;
    }
  } else {
    // Start from the smallest exponent; the first value raises it to what it needs.
    column.lossless = true;
    column.form = ValueForm::decimal;
    column.exponent = -wire::kMaxDecimalExponent;
  }
  return column;
}

BundleBuilder::ValuePlan BundleBuilder::plan_value(const Column& column, double value) {
  ValuePlan plan{column.lossless, column.form, column.exponent, 0, 0, 0};
  bool first = column.values.empty();
  if (column.form == ValueForm::xor_bits) {
    plan.last_bits = as_bits(value);
    plan.bytes = column.value_bytes +
                 wire::varint_size(first ? plan.last_bits : plan.last_bits ^ column.prev_bits);
    return plan;
  }
  std::optional<std::int64_t> q;
  if (column.form == ValueForm::step) {
    q = wire::round_scaled(value / column.step);
  } else if (column.lossless) {
    q = wire::quantize_decimal_exact(value, column.exponent);
  } else {
    q = wire::quantize_decimal(value, column.exponent);
  }
  if (q) {
    plan.last_q = *q;
    plan.bytes =
        column.value_bytes + wire::varint_size(wire::zigzag(first ? *q : *q - column.prev_q));
    return plan;
  }
  // A lossless series keeps its exponent for the values it holds, so only larger ones can work;
  // a series whose resolution overflowed (|value / resolution| >= 2^53) starts the search over.
  int start = column.lossless ? column.exponent + 1 : -wire::kMaxDecimalExponent;
  return plan_lossless(column, value, start);
}

BundleBuilder::ValuePlan BundleBuilder::plan_lossless(const Column& column, double extra,
                                                      int start_exponent) {
  const std::size_t count = column.values.size() + 1;
  auto value_at = [&](std::size_t i) {
    return i < column.values.size() ? column.values[i] : extra;
  };

  int exponent = start_exponent;
  while (exponent <= wire::kMaxDecimalExponent) {
    std::size_t bytes = 0;
    std::int64_t prev = 0;
    bool all_exact = true;
    for (std::size_t i = 0; i < count; ++i) {
      double value = value_at(i);
      auto q = wire::quantize_decimal_exact(value, exponent);
      if (!q) {
        exponent = next_exact_exponent(value, exponent + 1);
        all_exact = false;
        break;
      }
      bytes += wire::varint_size(wire::zigzag(i == 0 ? *q : *q - prev));
      prev = *q;
    }
    if (all_exact) return {true, ValueForm::decimal, exponent, bytes, prev, 0};
  }

  std::size_t bytes = 0;
  std::uint64_t prev_bits = 0;
  for (std::size_t i = 0; i < count; ++i) {
    std::uint64_t bits = as_bits(value_at(i));
    bytes += wire::varint_size(i == 0 ? bits : bits ^ prev_bits);
    prev_bits = bits;
  }
  return {true, ValueForm::xor_bits, 0, bytes, 0, prev_bits};
}

std::size_t BundleBuilder::body_size(const Column& column, std::size_t timestamp_bytes,
                                     const ValuePlan& plan, std::size_t quality_bytes) {
  std::size_t size = column.fixed_bytes + wire::delimited_field_size(timestamp_bytes) +
                     wire::delimited_field_size(plan.bytes) +
                     wire::delimited_field_size(quality_bytes);
  if (plan.form == ValueForm::decimal && plan.exponent != 0) {
    size += 1 + wire::varint_size(wire::zigzag32(plan.exponent));
  } else if (plan.form == ValueForm::step) {
    size += 1 + sizeof(double);
  }
  return size;
}

BundleBuilder::Column* BundleBuilder::find_column(SeriesId id) {
  if (id < kDenseIds) {
    if (id < dense_index_.size() && dense_index_[id] != 0) return &columns_[dense_index_[id] - 1];
    return nullptr;
  }
  auto it = sparse_index_.find(id);
  return it == sparse_index_.end() ? nullptr : &columns_[it->second];
}

void BundleBuilder::remember_column(SeriesId id, std::size_t index) {
  if (id < kDenseIds) {
    if (dense_index_.size() <= id) dense_index_.resize(id + 1, 0);
    dense_index_[id] = static_cast<std::uint32_t>(index + 1);
  } else {
    sparse_index_.emplace(id, index);
  }
}

bool BundleBuilder::try_add(const Reading& reading, std::size_t limit_bytes) {
  std::optional<Column> fresh;
  Column* column = find_column(reading.series);
  if (column == nullptr) column = &fresh.emplace(make_column(reading.series));

  const std::size_t index = column->timestamps.size();
  std::uint64_t delta = 0;
  if (index > 0) {
    delta = static_cast<std::uint64_t>(reading.ts_ms) -
            static_cast<std::uint64_t>(column->timestamps.back());
  }
  const std::int64_t ts_wire =
      timestamp_wire_value(index, delta, column->prev_delta, reading.ts_ms);
  const std::size_t timestamp_bytes =
      column->timestamp_bytes + wire::varint_size(wire::zigzag(ts_wire));

  std::uint64_t mark = 0;
  std::size_t quality_bytes = column->quality_bytes;
  if (reading.quality != Quality::good) {
    mark = (static_cast<std::uint64_t>(index - column->next_mark_index) << 2) |
           static_cast<std::uint64_t>(reading.quality);
    quality_bytes += wire::varint_size(mark);
  }

  const ValuePlan plan = plan_value(*column, reading.value);
  const std::size_t body = body_size(*column, timestamp_bytes, plan, quality_bytes);
  const std::size_t framed = 1 + wire::varint_size(body) + body;
  const std::size_t new_size = size_ - column->framed_size + framed;
  if (new_size > limit_bytes) return false;

  column->timestamps.push_back(reading.ts_ms);
  if (index > 0) column->prev_delta = delta;
  column->timestamp_bytes = timestamp_bytes;
  column->values.push_back(reading.value);
  if (index == 0 || plan.form != column->form || plan.exponent != column->exponent) {
    column->form_history.push_back({index + 1, plan.form, plan.exponent});
  }
  column->lossless = plan.lossless;
  column->form = plan.form;
  column->exponent = plan.exponent;
  column->value_bytes = plan.bytes;
  column->prev_q = plan.last_q;
  column->prev_bits = plan.last_bits;
  if (reading.quality != Quality::good) {
    column->quality_marks.push_back(mark);
    column->next_mark_index = index + 1;
    column->quality_bytes = quality_bytes;
  }
  column->framed_size = framed;
  size_ = new_size;
  ++reading_count_;

  std::size_t column_index = static_cast<std::size_t>(column - columns_.data());
  if (fresh) {
    columns_.push_back(std::move(*fresh));
    column_index = columns_.size() - 1;
    remember_column(reading.series, column_index);
  }
  reading_columns_.push_back(static_cast<std::uint32_t>(column_index));
  return true;
}

std::vector<std::size_t> BundleBuilder::column_counts(std::size_t reading_limit) const {
  std::vector<std::size_t> counts(columns_.size(), 0);
  if (reading_limit >= reading_columns_.size()) {
    for (std::size_t c = 0; c < columns_.size(); ++c) counts[c] = columns_[c].values.size();
  } else {
    for (std::size_t i = 0; i < reading_limit; ++i) ++counts[reading_columns_[i]];
  }
  return counts;
}

std::size_t BundleBuilder::prefix_message_size(std::size_t reading_limit) const {
  std::string message;
  append_message(message, reading_limit);
  return message.size();
}

void BundleBuilder::append_message(std::string& out, std::size_t reading_limit) const {
  const std::vector<std::size_t> counts = column_counts(reading_limit);
  v1::Bundle bundle;
  bundle.set_gateway_id(gateway_id_);
  bundle.set_bundle_seq(bundle_seq_);
  bundle.mutable_series()->Reserve(static_cast<int>(columns_.size()));
  for (std::size_t c = 0; c < columns_.size(); ++c) {
    const Column& column = columns_[c];
    const std::size_t count = counts[c];
    if (count == 0) continue;
    v1::Series* series = bundle.add_series();
    series->set_name(std::string(column.name));
    series->set_unit(std::string(column.unit));

    auto* timestamps = series->mutable_timestamps();
    timestamps->Reserve(static_cast<int>(count));
    std::uint64_t prev_delta = 0;
    for (std::size_t i = 0; i < count; ++i) {
      std::uint64_t delta = 0;
      if (i > 0) {
        delta = static_cast<std::uint64_t>(column.timestamps[i]) -
                static_cast<std::uint64_t>(column.timestamps[i - 1]);
      }
      timestamps->AddAlreadyReserved(
          timestamp_wire_value(i, delta, prev_delta, column.timestamps[i]));
      if (i > 0) prev_delta = delta;
    }

    // The form in force for this many values: the last change at or before `count`.
    auto form = std::prev(std::upper_bound(
        column.form_history.begin(), column.form_history.end(), count,
        [](std::size_t n, const Column::FormChange& change) { return n < change.from_count; }));
    if (form->form == ValueForm::xor_bits) {
      auto* bits_column = series->mutable_value_xor();
      bits_column->Reserve(static_cast<int>(count));
      std::uint64_t prev_bits = 0;
      for (std::size_t i = 0; i < count; ++i) {
        std::uint64_t bits = as_bits(column.values[i]);
        bits_column->AddAlreadyReserved(bits ^ prev_bits);  // the first XORs with 0: raw bits
        prev_bits = bits;
      }
    } else {
      if (form->form == ValueForm::step) {
        series->set_step(column.step);
      } else {
        series->set_decimal_exponent(form->exponent);
      }
      auto* deltas = series->mutable_value_deltas();
      deltas->Reserve(static_cast<int>(count));
      std::int64_t prev = 0;
      for (std::size_t i = 0; i < count; ++i) {
        auto q = form->form == ValueForm::step
                     ? wire::round_scaled(column.values[i] / column.step)
                     : wire::quantize_decimal(column.values[i], form->exponent);
        assert(q && "a value was accepted in a form that cannot hold it");
        deltas->AddAlreadyReserved(*q - prev);
        prev = *q;
      }
    }

    std::size_t next = 0;  // marks hold gaps: walk them to find which fall within the prefix
    for (std::uint64_t mark : column.quality_marks) {
      next += static_cast<std::size_t>(mark >> 2);
      if (next >= count) break;
      series->add_quality_marks(mark);
      ++next;
    }
  }
  bundle.AppendToString(&out);
}

}  // namespace edgegw
