#include "gateway/api/listen_address.h"

#include <gtest/gtest.h>

namespace edgegw::api {
namespace {

TEST(ListenAddressTest, ParsesIpv4AndPort) {
  const auto address = parse_listen_address("127.0.0.1:8080");
  ASSERT_TRUE(address);
  EXPECT_EQ(address->host, "127.0.0.1");
  EXPECT_EQ(address->port, 8080);
  EXPECT_EQ(parse_listen_address("0.0.0.0:0")->port, 0) << "port 0 picks a free port";
  EXPECT_EQ(parse_listen_address("10.1.2.3:65535")->port, 65535);
}

TEST(ListenAddressTest, ParsesBracketedIpv6) {
  const auto address = parse_listen_address("[::1]:9100");
  ASSERT_TRUE(address);
  EXPECT_EQ(address->host, "::1");
  EXPECT_EQ(address->port, 9100);
  EXPECT_EQ(parse_listen_address("[::]:80")->host, "::");
}

TEST(ListenAddressTest, RejectsMalformedAddresses) {
  for (const char* text :
       {"", "8080", ":8080", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1",
        "127.0.0.1:+80", "127.0.0.1:80x", "localhost:8080", "::1:8080", "[::1]8080", "[::1]",
        "[127.0.0.1]:80", "[::1:80", "999.0.0.1:80"}) {
    EXPECT_FALSE(parse_listen_address(text)) << text;
  }
}

}  // namespace
}  // namespace edgegw::api
