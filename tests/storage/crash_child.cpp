// Ingests readings into a SqliteBuffer as fast as it can, for crash_test.cpp, which kills it.
// Each reading's value is a unique id; after its batch's callback reports "accepted", the
// batch's id range is written to the report pipe as two native int64s (first, last).
//
// usage: storage_crash_child DB_PATH FIRST_ID REPORT_FD full|normal

#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <semaphore>
#include <string>

#include "storage/sqlite_buffer.h"

namespace {

void write_all(int fd, const void* data, std::size_t size) {
  const char* bytes = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t written = ::write(fd, bytes, size);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) std::_Exit(3);  // the parent is gone: nothing left to report to
    bytes += written;
    size -= static_cast<std::size_t>(written);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s DB_PATH FIRST_ID REPORT_FD full|normal\n", argv[0]);
    return 2;
  }
  edgegw::StorageOptions options;
  options.path = argv[1];
  std::int64_t next_id = std::stoll(argv[2]);
  const int report_fd = std::stoi(argv[3]);
  options.synchronous = argv[4];
  options.max_bytes = 0;
  options.max_age_s = 0;
  options.flush_interval_ms = 1;
  options.batch_max_readings = 500;

  edgegw::SystemClock clock;
  auto buffer = edgegw::SqliteBuffer::open(options, clock);
  const edgegw::SeriesId series = buffer->register_series({"crash.test", "n", 0});

  constexpr int kBatch = 50;
  // Bounds the batches in the queue so append never has to refuse one.
  std::counting_semaphore<64> slots(64);
  for (;;) {
    slots.acquire();
    std::vector<edgegw::Reading> batch;
    batch.reserve(kBatch);
    const std::int64_t first_id = next_id;
    for (int i = 0; i < kBatch; ++i, ++next_id) {
      batch.push_back({.series = series,
                       .ts_ms = next_id,
                       .value = static_cast<double>(next_id),
                       .quality = edgegw::Quality::good});
    }
    const std::int64_t last_id = next_id - 1;
    bool queued = buffer->append(
        std::move(batch), [&, first_id, last_id](edgegw::AppendStatus status, std::int64_t,
                                                 std::int64_t, std::span<const edgegw::Reading>) {
          if (status != edgegw::AppendStatus::accepted) std::_Exit(4);
          const std::int64_t record[2] = {first_id, last_id};
          write_all(report_fd, record, sizeof record);
          slots.release();
        });
    if (!queued) return 5;
  }
}
