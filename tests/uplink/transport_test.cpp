#include "gateway/uplink/transport.h"

#include <gtest/gtest.h>

namespace edgegw {
namespace {

using Outcome = PublishResult::Outcome;

TEST(ClassifyPublish, AReasonCodeBelow0x80IsAnAcknowledgement) {
  EXPECT_EQ(classify_publish(true, 0, "").outcome, Outcome::acked);
  EXPECT_EQ(classify_publish(true, 0x10, "").outcome, Outcome::acked) << "no matching subscribers";
}

TEST(ClassifyPublish, FromOx80OnTheBrokerDidNotTakeIt) {
  for (int code : {0x80, 0x83, 0x87, 0x90, 0x95, 0x99}) {
    EXPECT_EQ(classify_publish(false, code, "").outcome, Outcome::refused) << code;
    EXPECT_EQ(classify_publish(true, code, "").outcome, Outcome::refused) << code;
  }
  EXPECT_EQ(classify_publish(false, 0x89, "").outcome, Outcome::retry) << "server busy";
  EXPECT_EQ(classify_publish(false, 0x97, "").outcome, Outcome::retry) << "quota exceeded";
  const auto refused = classify_publish(false, 0x87, "not authorised");
  EXPECT_EQ(refused.reason_code, 0x87);
  EXPECT_EQ(refused.reason, "not authorised");
}

TEST(ClassifyPublish, AFailureWithoutAReasonCodeIsSentAgain) {
  EXPECT_EQ(classify_publish(false, 0, "connection lost").outcome, Outcome::retry);
}

TEST(TopicMatches, WildcardsMatchLevelsAsMqttSays) {
  EXPECT_TRUE(topic_matches("edgegw/gw/commands/+", "edgegw/gw/commands/ping"));
  EXPECT_FALSE(topic_matches("edgegw/gw/commands/+", "edgegw/gw/commands"));
  EXPECT_FALSE(topic_matches("edgegw/gw/commands/+", "edgegw/gw/commands/a/b"));
  EXPECT_TRUE(topic_matches("edgegw/gw/commands/+", "edgegw/gw/commands/"));
  EXPECT_TRUE(topic_matches("a/#", "a"));
  EXPECT_TRUE(topic_matches("a/#", "a/b/c"));
  EXPECT_TRUE(topic_matches("#", "a/b"));
  EXPECT_TRUE(topic_matches("+/+", "a/b"));
  EXPECT_FALSE(topic_matches("a/b", "a/c"));
  EXPECT_TRUE(topic_matches("a/b", "a/b"));
  EXPECT_TRUE(topic_matches("$iothub/methods/POST/#", "$iothub/methods/POST/ping/?$rid=1"));
  EXPECT_FALSE(topic_matches("#", "$SYS/broker/uptime")) << "$ topics need their first level";
  EXPECT_FALSE(topic_matches("+/broker", "$SYS/broker"));
}

}  // namespace
}  // namespace edgegw
