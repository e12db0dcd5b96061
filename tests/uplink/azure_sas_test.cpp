#include "gateway/uplink/azure_sas.h"

#include <gtest/gtest.h>

#include <vector>

#include "tests/run_command.h"

namespace edgegw {
namespace {

// Runs a shell pipeline and returns its standard output without the final newline.
std::string run(const std::string& command) {
  std::string out = run_command(command).output;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

// Undoes percent-encoding by hand, so the check does not lean on the code under test.
std::string percent_decode(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      out.push_back(static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

std::string field(const std::string& token, const std::string& name) {
  auto start = token.find(name + "=");
  if (start == std::string::npos) return "<missing " + name + ">";
  start += name.size() + 1;
  auto end = token.find('&', start);
  return token.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

TEST(UrlEncode, KeepsUnreservedCharactersAndEncodesTheRestInUpperCaseHex) {
  EXPECT_EQ(url_encode("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(url_encode("hub.azure-devices.net/devices/dev 1"),
            "hub.azure-devices.net%2Fdevices%2Fdev%201");
  EXPECT_EQ(url_encode("a+b=c/d"), "a%2Bb%3Dc%2Fd");
  EXPECT_EQ(url_encode("application/x-protobuf"), "application%2Fx-protobuf");
  EXPECT_EQ(url_encode(std::string("\xff\x00", 2)), "%FF%00");
  EXPECT_EQ(url_encode(""), "");
}

TEST(Base64, RoundTripsEveryPaddingLength) {
  for (const std::string& text :
       std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0\xff\x10", 3)}) {
    EXPECT_EQ(base64_decode(base64_encode(text)), text);
  }
  EXPECT_EQ(base64_encode("ab"), "YWI=");
  EXPECT_EQ(base64_decode("YWI="), "ab");
}

TEST(Base64, RejectsTextThatIsNotBase64) {
  EXPECT_THROW(base64_decode("abc"), std::invalid_argument);
  EXPECT_THROW(base64_decode("ab!?"), std::invalid_argument);
}

TEST(AzureSas, TokenHasTheResourceExpiryAndTheSignatureTheOpensslCliComputes) {
  const std::string key = "j1tqQlyVzXhnDk0IQ8m1f8KPF1aKX3Q3hQ7o2Qd0sEw=";
  const std::string uri = "myhub.azure-devices.net/devices/crane-07";
  const std::int64_t expiry = 1700003600;

  std::string token = make_sas_token(uri, key, expiry);

  // The string to sign is the encoded resource URI, a newline and the expiry; the key is the
  // base64-decoded device key. Computed here by the openssl CLI alone.
  std::string expected_signature =
      run("key_hex=$(printf '%s' '" + key +
          "' | openssl base64 -d -A | od -An -tx1 -v | tr -d ' \\n');"
          " printf '%s\\n%s' 'myhub.azure-devices.net%2Fdevices%2Fcrane-07' '1700003600'"
          " | openssl dgst -sha256 -mac HMAC -macopt hexkey:$key_hex -binary | openssl base64 -A");
  ASSERT_EQ(expected_signature.size(), 44u) << "openssl CLI failed";

  EXPECT_EQ(token.rfind("SharedAccessSignature ", 0), 0u) << token;
  EXPECT_EQ(field(token, "SharedAccessSignature sr"),
            "myhub.azure-devices.net%2Fdevices%2Fcrane-07");
  EXPECT_EQ(field(token, "se"), "1700003600");
  EXPECT_EQ(percent_decode(field(token, "sig")), expected_signature);
  // The signature is URL-encoded: base64's + / = never appear raw.
  EXPECT_EQ(field(token, "sig").find_first_of("+/="), std::string::npos);
}

TEST(AzureSas, DifferentExpiryGivesADifferentSignature) {
  const std::string key = "AAECAwQFBgcICQoLDA0ODw==";
  EXPECT_NE(field(make_sas_token("h/devices/d", key, 1), "sig"),
            field(make_sas_token("h/devices/d", key, 2), "sig"));
}

TEST(AzureSas, KeyThatIsNotBase64IsRefused) {
  EXPECT_THROW(make_sas_token("h/devices/d", "not a key", 1), std::invalid_argument);
  EXPECT_THROW(make_sas_token("h/devices/d", "", 1), std::invalid_argument);
}

}  // namespace
}  // namespace edgegw
