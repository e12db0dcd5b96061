#include "proto/bundle_decoder.h"

#include <zstd.h>

#include <bit>
#include <charconv>
#include <cmath>

#include "edgegw/v1/bundle.pb.h"
#include "proto/wire_format.h"

namespace edgegw {

namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

std::string hex_byte(std::uint8_t byte) {
  return {'0', 'x', kHexDigits[byte >> 4], kHexDigits[byte & 0xf]};
}

std::string decompress(std::string_view frame) {
  const unsigned long long size = ZSTD_getFrameContentSize(frame.data(), frame.size());
  if (size == ZSTD_CONTENTSIZE_ERROR) {
    throw BundleDecodeError("bundle says proto+zstd but the body is not a zstd frame");
  }
  if (size == ZSTD_CONTENTSIZE_UNKNOWN) {
    throw BundleDecodeError("zstd frame does not record its content size");
  }
  if (size > wire::kMaxRawBundleBytes) {
    throw BundleDecodeError("zstd frame claims " + std::to_string(size) +
                            " bytes, more than a bundle may hold");
  }
  std::string out(static_cast<std::size_t>(size), '\0');
  const std::size_t got = ZSTD_decompress(out.data(), out.size(), frame.data(), frame.size());
  if (ZSTD_isError(got)) {
    throw BundleDecodeError(std::string("zstd frame is corrupt or truncated: ") +
                            ZSTD_getErrorName(got));
  }
  if (got != out.size()) throw BundleDecodeError("zstd frame is shorter than it claims");
  return out;
}

void decode_series(const v1::Series& series, std::size_t series_index,
                   std::vector<DecodedReading>& out) {
  const std::size_t count = static_cast<std::size_t>(series.timestamps_size());
  auto fail = [&](const std::string& what) {
    throw BundleDecodeError("series " + std::to_string(series_index) + " (\"" + series.name() +
                            "\"): " + what);
  };
  const bool xor_form = series.value_xor_size() > 0;
  if (xor_form) {
    if (series.value_deltas_size() > 0 || series.step() != 0 || series.decimal_exponent() != 0) {
      fail("mixes XOR values with scaled values");
    }
    if (static_cast<std::size_t>(series.value_xor_size()) != count) {
      fail(std::to_string(count) + " timestamps but " + std::to_string(series.value_xor_size()) +
           " values");
    }
  } else {
    if (static_cast<std::size_t>(series.value_deltas_size()) != count) {
      fail(std::to_string(count) + " timestamps but " + std::to_string(series.value_deltas_size()) +
           " values");
    }
    if (series.decimal_exponent() < -wire::kMaxDecimalExponent ||
        series.decimal_exponent() > wire::kMaxDecimalExponent) {
      fail("decimal exponent " + std::to_string(series.decimal_exponent()) + " out of range");
    }
    if (series.step() != 0 && series.decimal_exponent() != 0) {
      fail("has both a step and a decimal exponent");
    }
    if (!std::isfinite(series.step())) fail("step is not a finite number");
  }

  const std::size_t first = out.size();
  out.resize(first + count);
  std::uint64_t ts = 0;
  std::uint64_t delta = 0;
  std::uint64_t q = 0;  // unsigned: a hostile payload must wrap, not overflow
  std::uint64_t bits = 0;
  for (std::size_t i = 0; i < count; ++i) {
    DecodedReading& reading = out[first + i];
    reading.series = series.name();
    reading.unit = series.unit();

    const auto ts_wire = static_cast<std::uint64_t>(series.timestamps(static_cast<int>(i)));
    if (i == 0) {
      ts = ts_wire;
    } else {
      delta = i == 1 ? ts_wire : delta + ts_wire;
      ts += delta;
    }
    reading.ts_ms = static_cast<std::int64_t>(ts);

    if (xor_form) {
      bits ^= series.value_xor(static_cast<int>(i));
      reading.value = std::bit_cast<double>(bits);
    } else {
      q += static_cast<std::uint64_t>(series.value_deltas(static_cast<int>(i)));
      const auto scaled = static_cast<std::int64_t>(q);
      reading.value = series.step() != 0 ? wire::decode_step(scaled, series.step())
                                         : wire::decode_decimal(scaled, series.decimal_exponent());
    }
  }

  std::size_t next = 0;
  for (std::uint64_t mark : series.quality_marks()) {
    const std::uint64_t quality = mark & 3;
    const std::uint64_t gap = mark >> 2;
    if (quality > static_cast<std::uint64_t>(Quality::bad)) {
      fail("unknown quality " + std::to_string(quality));
    }
    if (gap >= count - next) fail("quality mark points past the last reading");
    next += static_cast<std::size_t>(gap);
    out[first + next].quality = static_cast<Quality>(quality);
    ++next;
  }
}

void append_json_string(std::string& out, std::string_view text) {
  out.push_back('"');
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += "\\u00";
          out.push_back(kHexDigits[(c >> 4) & 0xf]);
          out.push_back(kHexDigits[c & 0xf]);
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

template <class Number>
void append_number(std::string& out, Number value) {
  char text[32];
  auto result = std::to_chars(text, text + sizeof text, value);
  out.append(text, result.ptr);
}

std::string_view quality_name(Quality quality) {
  switch (quality) {
    case Quality::good:
      return "good";
    case Quality::uncertain:
      return "uncertain";
    case Quality::bad:
      return "bad";
  }
  return "unknown";
}

}  // namespace

DecodedBundle decode_bundle(std::string_view payload) {
  if (payload.empty()) throw BundleDecodeError("empty payload: no bundle format header");
  const auto header = static_cast<std::uint8_t>(payload[0]);
  if ((header >> 4) != wire::kFormatVersion) {
    throw BundleDecodeError("unknown bundle format header " + hex_byte(header) +
                            " (this decoder reads version " + std::to_string(wire::kFormatVersion) +
                            ")");
  }
  DecodedBundle decoded;
  std::string_view body = payload.substr(1);
  std::string inflated;
  if (header == wire::header_byte(BundleEncoding::proto)) {
    decoded.encoding = BundleEncoding::proto;
  } else if (header == wire::header_byte(BundleEncoding::proto_zstd)) {
    decoded.encoding = BundleEncoding::proto_zstd;
    inflated = decompress(body);
    body = inflated;
  } else {
    throw BundleDecodeError("unknown bundle encoding in header " + hex_byte(header));
  }
  if (body.size() > wire::kMaxRawBundleBytes) {
    throw BundleDecodeError("bundle of " + std::to_string(body.size()) + " bytes is too large");
  }

  v1::Bundle bundle;
  bool parsed = false;
  {
    // Hostile input is an expected case here, reported by the exception below; keep protobuf
    // from also logging it to stderr.
    google::protobuf::LogSilencer quiet;
    parsed = bundle.ParseFromArray(body.data(), static_cast<int>(body.size()));
  }
  if (!parsed) {
    throw BundleDecodeError(
        "payload is not a valid edgegw.v1.Bundle (garbage, truncated, or names not UTF-8)");
  }
  decoded.gateway_id = bundle.gateway_id();
  decoded.bundle_seq = bundle.bundle_seq();
  std::size_t total = 0;
  for (const auto& series : bundle.series())
    total += static_cast<std::size_t>(series.timestamps_size());
  decoded.readings.reserve(total);
  for (int i = 0; i < bundle.series_size(); ++i) {
    decode_series(bundle.series(i), static_cast<std::size_t>(i), decoded.readings);
  }
  return decoded;
}

std::string bundle_to_json(const DecodedBundle& bundle) {
  std::string out;
  out.reserve(64 + bundle.readings.size() * 64);
  out += "{\"gateway_id\":";
  append_json_string(out, bundle.gateway_id);
  out += ",\"bundle_seq\":";
  append_number(out, bundle.bundle_seq);
  out += ",\"encoding\":";
  append_json_string(out, to_string(bundle.encoding));
  out += ",\"readings\":[";
  bool first = true;
  for (const DecodedReading& reading : bundle.readings) {
    if (!first) out.push_back(',');
    first = false;
    out += "{\"series\":";
    append_json_string(out, reading.series);
    if (!reading.unit.empty()) {
      out += ",\"unit\":";
      append_json_string(out, reading.unit);
    }
    out += ",\"ts_ms\":";
    append_number(out, reading.ts_ms);
    out += ",\"value\":";
    if (std::isfinite(reading.value)) {
      append_number(out, reading.value);  // shortest form that parses back bit-exactly
    } else {
      out += "null";  // only a foreign payload can carry these; JSON has no spelling for them
    }
    if (reading.quality != Quality::good) {
      out += ",\"quality\":";
      append_json_string(out, quality_name(reading.quality));
    }
    out.push_back('}');
  }
  out += "]}";
  return out;
}

}  // namespace edgegw
