#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "storage/sqlite_buffer.h"
#include "tests/storage/storage_test_support.h"
#include "tests/temp_dir.h"

namespace edgegw {
namespace {

using edgegw::testing::make_readings;
using edgegw::testing::query_int;

std::string random_bytes(std::size_t size, unsigned seed) {
  std::mt19937 random(seed);
  std::string out(size, '\0');
  for (auto& byte : out) byte = static_cast<char>(random() & 0xff);
  return out;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class CorruptFileTest : public testing::BufferTest {
 protected:
  std::string moved_aside() const {
    return options_.path + ".corrupt-" + std::to_string(clock_.wall_ms() / 1000);
  }

  void expect_fresh_and_working() {
    auto buffer = open();
    EXPECT_EQ(buffer->stats().readings, 0);
    EXPECT_TRUE(buffer->catalog().all().empty());
    SeriesId id = buffer->register_series({"load", "kg", 0.1});
    EXPECT_EQ(buffer->append_sync(make_readings(id, 0, 10)), AppendStatus::accepted);
    buffer.reset();
    EXPECT_EQ(open()->stats().readings, 10);
  }
};

TEST_F(CorruptFileTest, GarbageFileIsMovedAsideWithItsWalAndAFreshBufferStarts) {
  const std::string garbage = random_bytes(64 * 1024, 1);
  std::ofstream(options_.path, std::ios::binary) << garbage;
  std::ofstream(options_.path + "-wal", std::ios::binary) << random_bytes(8 * 1024, 2);

  expect_fresh_and_working();
  EXPECT_EQ(read_file(moved_aside()), garbage);
  EXPECT_TRUE(std::filesystem::exists(moved_aside() + "-wal"));
}

TEST_F(CorruptFileTest, DatabaseWithADamagedPageIsMovedAside) {
  {
    auto buffer = open();
    ASSERT_EQ(buffer->append_sync(make_readings(1, 0, 20'000)), AppendStatus::accepted);
  }
  // Closing the last connection checkpointed the WAL: every row is in the main file now.
  ASSERT_FALSE(std::filesystem::exists(options_.path + "-wal"));
  const auto size = std::filesystem::file_size(options_.path);
  const std::uintmax_t page = 4096;
  ASSERT_GT(size, 40 * page);
  {
    // A page in the middle of the file belongs to the readings table (the only big one); its
    // header and cell pointers become garbage.
    std::fstream file(options_.path, std::ios::binary | std::ios::in | std::ios::out);
    file.seekp(static_cast<std::streamoff>((size / page / 2) * page));
    file << random_bytes(512, 3);
  }
  const std::string damaged = read_file(options_.path);

  expect_fresh_and_working();
  EXPECT_EQ(read_file(moved_aside()), damaged);
}

TEST_F(CorruptFileTest, AHealthyDatabaseIsNotMovedAside) {
  {
    auto buffer = open();
    ASSERT_EQ(buffer->append_sync(make_readings(1, 0, 100)), AppendStatus::accepted);
  }
  EXPECT_EQ(open()->stats().readings, 100);
  EXPECT_FALSE(std::filesystem::exists(moved_aside()));
}

}  // namespace
}  // namespace edgegw
