#include "gateway/ingest/series_registration.h"

#include <gtest/gtest.h>

#include "adapters/registry.h"
#include "tests/temp_dir.h"

namespace edgegw {
namespace {

TEST(SeriesRegistration, ConfiguredSeriesWinTheirUnitAndRangeAndAdaptersGetIdsInTheirOrder) {
  TempDir dir;
  ManualClock clock;
  StorageOptions storage;
  storage.path = dir.file("buffer.db");
  auto buffer = SqliteBuffer::open(storage, clock);
  Ingest ingest(*buffer, clock, 300'000, 86'400'000);

  const AdapterHardware hardware = system_hardware();
  OptionErrors errors;
  std::vector<std::unique_ptr<Adapter>> adapters;
  adapters.push_back(create_adapter("simulator", {{"profile", std::string("crane")}},
                                    AdapterContext{clock, hardware}, errors));
  ASSERT_TRUE(adapters.back()) << (errors.empty() ? "" : errors.front().second);
  const std::vector<SeriesOptions> configured = {
      {.name = "crane.load_kg", .unit = "t", .resolution = 0.5, .min = 0, .max = 100},
      {.name = "site.temperature_c", .unit = "C", .resolution = 0.1}};

  const auto ids = register_series(*buffer, ingest, configured, adapters);

  ASSERT_EQ(ids.size(), 1u);
  const auto specs = adapters[0]->series();
  ASSERT_EQ(ids[0].size(), specs.size());
  for (std::size_t i = 0; i < specs.size(); ++i) {
    const auto info = buffer->catalog().find(ids[0][i]);
    ASSERT_TRUE(info.has_value());
    EXPECT_EQ(info->spec.name, specs[i].name) << "ids follow the adapter's series()";
  }
  const auto load = buffer->catalog().find("crane.load_kg");
  ASSERT_TRUE(load.has_value());
  EXPECT_EQ(load->spec.unit, "t") << "the configured unit wins over the adapter's";
  EXPECT_EQ(load->spec.resolution, 0.5);
  EXPECT_TRUE(buffer->catalog().find("site.temperature_c").has_value())
      << "a configured series no adapter produces is known too (readings may be posted)";
  EXPECT_EQ(ingest.check({.series = load->id, .ts_ms = clock.wall_ms(), .value = 101}),
            RejectReason::out_of_range)
      << "its range is enforced";
}

}  // namespace
}  // namespace edgegw
