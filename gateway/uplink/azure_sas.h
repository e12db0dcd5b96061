#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace edgegw {

/// Percent-encodes everything but RFC 3986 unreserved characters (A-Z a-z 0-9 - . _ ~), with
/// upper-case hex digits: what Azure IoT Hub expects in SAS tokens and topic property bags.
std::string url_encode(std::string_view text);

/// Standard base64 (with padding) of `bytes`.
std::string base64_encode(std::string_view bytes);

/// Decodes standard base64 (padding required, no white space). Throws std::invalid_argument.
std::string base64_decode(std::string_view text);

/// An Azure IoT Hub shared access signature for `resource_uri` ("<hub>.azure-devices.net/
/// devices/<device>"), signed with the base64 device key, valid until `expiry_unix_s`:
/// "SharedAccessSignature sr=<enc uri>&sig=<enc base64 HMAC-SHA256>&se=<expiry>", with
/// "&skn=<key_name>" when one is given (DPS: "registration").
/// Throws std::invalid_argument when the key is not base64.
std::string make_sas_token(std::string_view resource_uri, std::string_view base64_key,
                           std::int64_t expiry_unix_s, std::string_view key_name = {});

/// A device's own key in a DPS group enrollment: base64(HMAC-SHA256(base64-decoded group key,
/// registration id)). The device never holds the group key. Throws std::invalid_argument
/// when the group key is not base64.
std::string derive_device_key(std::string_view base64_group_key, std::string_view registration_id);

}  // namespace edgegw
