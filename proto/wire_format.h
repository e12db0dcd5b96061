#pragma once

// The arithmetic both ends of the bundle format must agree on bit for bit: the packer sizes and
// checks values with exactly the formulas the decoder applies. See edgegw/v1/bundle.proto.

#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "proto/bundle_encoding.h"

namespace edgegw::wire {

inline constexpr std::uint8_t kFormatVersion = 1;

/// The first payload byte: format version in the high nibble, encoding in the low nibble.
constexpr std::uint8_t header_byte(BundleEncoding encoding) {
  return static_cast<std::uint8_t>((kFormatVersion << 4) |
                                   (encoding == BundleEncoding::proto ? 0 : 1));
}

/// Largest uncompressed bundle the decoder accepts (and the packer produces): bounds memory
/// when decompressing an untrusted payload.
inline constexpr std::size_t kMaxRawBundleBytes = 16u << 20;

/// 10^22 is the largest power of ten a double holds exactly.
inline constexpr int kMaxDecimalExponent = 22;
inline constexpr std::array<double, kMaxDecimalExponent + 1> kPow10 = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/// Scaled integers must convert to double exactly.
inline constexpr double kMaxScaledMagnitude = 9007199254740992.0;  // 2^53

constexpr std::size_t varint_size(std::uint64_t v) {
  return v < 0x80 ? 1 : (static_cast<std::size_t>(std::bit_width(v)) + 6) / 7;
}

constexpr std::uint64_t zigzag(std::int64_t v) {
  auto u = static_cast<std::uint64_t>(v);
  return (u << 1) ^ (0 - (u >> 63));
}

constexpr std::uint32_t zigzag32(std::int32_t v) {
  auto u = static_cast<std::uint32_t>(v);
  return (u << 1) ^ (0 - (u >> 31));
}

/// Size of a length-delimited field (string or packed column) with a one-byte tag; an empty
/// one is not written at all.
constexpr std::size_t delimited_field_size(std::size_t length) {
  return length == 0 ? 0 : 1 + varint_size(length) + length;
}

/// The decoder's formula for the decimal form: one correctly rounded operation.
inline double decode_decimal(std::int64_t q, int exponent) {
  return exponent >= 0 ? static_cast<double>(q) / kPow10[static_cast<std::size_t>(exponent)]
                       : static_cast<double>(q) * kPow10[static_cast<std::size_t>(-exponent)];
}

/// The decoder's formula for the step form.
inline double decode_step(std::int64_t q, double step) {
  return static_cast<double>(q) * step;
}

/// Nearest integer to `scaled` if it stays below 2^53 in magnitude (false for NaN and inf too).
inline std::optional<std::int64_t> round_scaled(double scaled) {
  double q = std::nearbyint(scaled);
  if (!(std::fabs(q) < kMaxScaledMagnitude)) return std::nullopt;
  return static_cast<std::int64_t>(q);
}

/// The integer whose decimal form is closest to `value` at `exponent`.
inline std::optional<std::int64_t> quantize_decimal(double value, int exponent) {
  return round_scaled(exponent >= 0 ? value * kPow10[static_cast<std::size_t>(exponent)]
                                    : value / kPow10[static_cast<std::size_t>(-exponent)]);
}

/// The integer whose decimal form reproduces `value` bit for bit, if there is one.
inline std::optional<std::int64_t> quantize_decimal_exact(double value, int exponent) {
  auto q = quantize_decimal(value, exponent);
  if (q && std::bit_cast<std::uint64_t>(decode_decimal(*q, exponent)) !=
               std::bit_cast<std::uint64_t>(value)) {
    return std::nullopt;
  }
  return q;
}

/// If `resolution` is a power of ten (within float noise), the decimal exponent for it:
/// 0.1 -> 1, 0.01 -> 2, 1 -> 0, 100 -> -2.
inline std::optional<int> decimal_exponent_for(double resolution) {
  if (!(resolution > 0) || !std::isfinite(resolution)) return std::nullopt;
  double k = std::round(-std::log10(resolution));
  if (!(std::fabs(k) <= kMaxDecimalExponent)) return std::nullopt;
  int e = static_cast<int>(k);
  double power =
      e >= 0 ? 1.0 / kPow10[static_cast<std::size_t>(e)] : kPow10[static_cast<std::size_t>(-e)];
  if (std::fabs(resolution - power) > power * 1e-9) return std::nullopt;
  return e;
}

}  // namespace edgegw::wire
