// The bundle fuzzer's inputs as a regression suite in every test run (ASan included): each seed
// in fuzz/corpus/bundle_decode (real bundles of both encodings) decodes, and each input a
// fuzzer once crashed on (fuzz/regressions/bundle_decode) is refused with BundleDecodeError.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "proto/bundle_decoder.h"

namespace edgegw {
namespace {

namespace fs = std::filesystem;

std::string bytes_of(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::vector<fs::path> files_in(const fs::path& dir) {
  std::vector<fs::path> files;
  if (fs::exists(dir)) {
    for (const auto& entry : fs::directory_iterator(dir)) files.push_back(entry.path());
  }
  return files;
}

TEST(BundleFuzzCorpus, EverySeedIsARealBundleThatDecodes) {
  const auto seeds = files_in(EDGEGW_SOURCE_DIR "/fuzz/corpus/bundle_decode");
  ASSERT_GE(seeds.size(), 4U);
  std::set<BundleEncoding> encodings;
  for (const auto& seed : seeds) {
    const DecodedBundle bundle = decode_bundle(bytes_of(seed));
    EXPECT_FALSE(bundle.readings.empty()) << seed;
    encodings.insert(bundle.encoding);
  }
  EXPECT_EQ(encodings.size(), 2U) << "seeds of both encodings";
}

TEST(BundleFuzzCorpus, EveryInputAFuzzerCrashedOnIsRefusedCleanly) {
  for (const auto& input : files_in(EDGEGW_SOURCE_DIR "/fuzz/regressions/bundle_decode")) {
    EXPECT_THROW(decode_bundle(bytes_of(input)), BundleDecodeError) << input;
  }
}

}  // namespace
}  // namespace edgegw
