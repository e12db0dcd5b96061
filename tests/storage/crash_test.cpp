// Kills a process that is writing to the buffer with SIGKILL, 20 times at random moments, and
// checks after each restart that every reading it had been told was accepted is stored exactly
// once and that the database is intact.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <random>

#include "storage/sqlite_buffer.h"
#include "storage/sqlite_handle.h"
#include "tests/temp_dir.h"

namespace edgegw {
namespace {

using Clock = std::chrono::steady_clock;
using IdRange = std::pair<std::int64_t, std::int64_t>;

/// A running storage_crash_child and the read end of its report pipe.
class Child {
 public:
  Child(const std::string& db_path, std::int64_t first_id, const char* synchronous) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      // dup2 clears close-on-exec on the copy, so exactly the write end reaches the child.
      if (::dup2(fds[1], 3) < 0) ::_exit(126);
      std::string id = std::to_string(first_id);
      const char* args[] = {
          EDGEGW_STORAGE_CRASH_CHILD, db_path.c_str(), id.c_str(), "3", synchronous, nullptr};
      ::execv(args[0], const_cast<char* const*>(args));
      ::_exit(127);
    }
    ::close(fds[1]);
    read_fd_ = fds[0];
  }
  ~Child() {
    if (pid_ > 0) kill_and_wait();
    if (read_fd_ >= 0) ::close(read_fd_);
  }

  /// Reads reports until `until`; returns false once the pipe is closed.
  bool read_until(Clock::time_point until, std::vector<IdRange>& reports) {
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now());
      if (left.count() < 0) return true;
      pollfd poll_fd{read_fd_, POLLIN, 0};
      int ready = ::poll(&poll_fd, 1, static_cast<int>(left.count()) + 1);
      if (ready < 0 && errno == EINTR) continue;
      if (ready <= 0) continue;  // timed out: the loop ends on the deadline check
      if (!read_some(reports)) return false;
    }
  }

  /// SIGKILL, reap, then take every report still in the pipe.
  int kill_and_wait(std::vector<IdRange>* reports = nullptr) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
    if (reports) {
      while (read_some(*reports)) {
      }
    }
    return status;
  }

 private:
  bool read_some(std::vector<IdRange>& reports) {
    char chunk[4096];
    ssize_t got = ::read(read_fd_, chunk, sizeof chunk);
    if (got < 0 && errno == EINTR) return true;
    if (got <= 0) return false;
    pending_.append(chunk, static_cast<std::size_t>(got));
    std::size_t whole = pending_.size() / 16 * 16;
    for (std::size_t at = 0; at < whole; at += 16) {
      std::int64_t record[2];
      std::memcpy(record, pending_.data() + at, sizeof record);
      reports.emplace_back(record[0], record[1]);
    }
    pending_.erase(0, whole);
    return true;
  }

  pid_t pid_ = -1;
  int read_fd_ = -1;
  std::string pending_;
};

TEST(StorageCrash, EveryAcceptedReadingSurvivesSigkillExactlyOnce) {
  TempDir dir;
  const std::string path = dir.file("buffer.db");
  const auto seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 random(seed);
  std::vector<IdRange> accepted;
  std::size_t runs_with_reports = 0;

  for (int run = 0; run < 20; ++run) {
    SCOPED_TRACE("run " + std::to_string(run));
    // NORMAL survives a process crash as well as FULL does; both are exercised.
    const char* synchronous = run % 2 == 0 ? "full" : "normal";
    Child child(path, static_cast<std::int64_t>(run + 1) * 1'000'000'000, synchronous);
    const std::size_t before = accepted.size();
    if (run % 5 == 4) {
      // Sometimes kill it while it is still opening, migrating or registering.
      child.read_until(Clock::now() + std::chrono::milliseconds(random() % 30), accepted);
    } else {
      // Otherwise wait for it to be writing (with a deadline, not a fixed sleep), then pick a
      // moment.
      const auto deadline = Clock::now() + std::chrono::seconds(20);
      while (accepted.size() == before && Clock::now() < deadline) {
        ASSERT_TRUE(child.read_until(Clock::now() + std::chrono::milliseconds(50), accepted))
            << "child exited on its own";
      }
      ASSERT_GT(accepted.size(), before) << "child reported nothing within 20 s";
      child.read_until(Clock::now() + std::chrono::milliseconds(random() % 150), accepted);
    }
    int status = child.kill_and_wait(&accepted);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "child status " << status;
    if (accepted.size() > before) ++runs_with_reports;

    {
      ManualClock clock;
      StorageOptions options;
      options.path = path;
      auto buffer = SqliteBuffer::open(options, clock);
      for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
        ASSERT_EQ(entry.path().string().find(".corrupt-"), std::string::npos)
            << "a killed writer must never leave a corrupt file: " << entry.path();
      }
      SqliteConnection db(path, SQLITE_OPEN_READONLY);
      ASSERT_EQ(db.query_text("PRAGMA integrity_check"), "ok");
      std::vector<std::int64_t> ids;
      {
        SqliteStatement select = db.prepare("SELECT value FROM readings");
        SqliteStatement::Reset reset(select);
        while (select.step()) ids.push_back(static_cast<std::int64_t>(select.column_double(0)));
      }
      EXPECT_EQ(buffer->stats().readings, static_cast<std::int64_t>(ids.size()));
      std::sort(ids.begin(), ids.end());
      ASSERT_EQ(std::adjacent_find(ids.begin(), ids.end()), ids.end())
          << "a reading is stored twice";
      for (const auto& [first, last] : accepted) {
        auto at = std::lower_bound(ids.begin(), ids.end(), first);
        ASSERT_TRUE(at != ids.end() && *at == first) << "accepted id " << first << " is missing";
        ASSERT_GE(ids.end() - at, last - first + 1);
        ASSERT_EQ(*(at + (last - first)), last)
            << "accepted batch " << first << ".." << last << " is incomplete";
      }
    }
  }
  EXPECT_GE(runs_with_reports, 16u);
  std::printf("crash test: %zu accepted batches checked over 20 kills\n", accepted.size());
}

}  // namespace
}  // namespace edgegw
