#include "gateway/scale/calibration_setting.h"

#include <gtest/gtest.h>

namespace edgegw {
namespace {

TEST(CalibrationSetting, RoundTripsThroughItsStoredForm) {
  const ScaleCalibration calibration{.offset = -8123.25, .scale = 21.5};
  EXPECT_EQ(calibration_setting_name("scale"), "adapter.scale.calibration");
  EXPECT_EQ(parse_calibration_setting(calibration_setting_value(calibration)), calibration);
}

TEST(CalibrationSetting, AnythingButAUsableCalibrationIsNone) {
  for (const char* stored :
       {"", "{", "[]", R"({"offset":1})", R"({"scale":2})", R"({"offset":"1","scale":2})",
        R"({"offset":1,"scale":0})", R"({"offset":1,"scale":1e999})"}) {
    EXPECT_EQ(parse_calibration_setting(stored), std::nullopt) << stored;
  }
  EXPECT_EQ(parse_calibration_setting(R"({"offset":3,"scale":-2})"),
            (ScaleCalibration{.offset = 3, .scale = -2}))
      << "a negative scale is a load cell wired the other way round";
}

}  // namespace
}  // namespace edgegw
