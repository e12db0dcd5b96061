#include "gateway/uplink/azure_sas.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace edgegw {

std::string url_encode(std::string_view text) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() * 3);
  for (unsigned char c : text) {
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 0x0f]);
    }
  }
  return out;
}

std::string base64_encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(written));
  return out;
}

std::string base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) {
    throw std::invalid_argument("base64 text length is not a multiple of 4");
  }
  std::string out(3 * (text.size() / 4), '\0');
  int written = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (written < 0) throw std::invalid_argument("not valid base64");
  // EVP_DecodeBlock counts the padding as zero bytes of output; drop them.
  std::size_t padding = 0;
  if (!text.empty() && text.back() == '=') ++padding;
  if (text.size() > 1 && text[text.size() - 2] == '=') ++padding;
  out.resize(static_cast<std::size_t>(written) - padding);
  return out;
}

namespace {

std::string hmac_sha256(std::string_view key, std::string_view message) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_size = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac,
           &mac_size) == nullptr) {
    throw std::runtime_error("HMAC-SHA256 failed");
  }
  return std::string(reinterpret_cast<const char*>(mac), mac_size);
}

}  // namespace

std::string make_sas_token(std::string_view resource_uri, std::string_view base64_key,
                           std::int64_t expiry_unix_s, std::string_view key_name) {
  std::string key = base64_decode(base64_key);
  if (key.empty()) throw std::invalid_argument("the device key is empty");
  std::string encoded_uri = url_encode(resource_uri);
  std::string expiry = std::to_string(expiry_unix_s);
  std::string signature = base64_encode(hmac_sha256(key, encoded_uri + "\n" + expiry));
  std::string token =
      "SharedAccessSignature sr=" + encoded_uri + "&sig=" + url_encode(signature) + "&se=" + expiry;
  if (!key_name.empty()) token += "&skn=" + std::string(key_name);
  return token;
}

std::string derive_device_key(std::string_view base64_group_key, std::string_view registration_id) {
  const std::string key = base64_decode(base64_group_key);
  if (key.empty()) throw std::invalid_argument("the group key is empty");
  return base64_encode(hmac_sha256(key, registration_id));
}

}  // namespace edgegw
