#pragma once
// GPIO lines in memory behind the gpio:: interfaces, shared by every test of a GPIO adapter.
// FakeInputLine queues edges a test injects and signals them on a real eventfd, so code that
// waits with poll() works unchanged; FakeLineOpener hands out lines the test owns and can
// refuse a request the way a busy or missing line is refused.

#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>

#include "adapters/gpio/gpio_line.h"

namespace edgegw::gpio {

class FakeInputLine final : public InputLine {
 public:
  FakeInputLine() : fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}
  ~FakeInputLine() override { ::close(fd_); }
  FakeInputLine(const FakeInputLine&) = delete;
  FakeInputLine& operator=(const FakeInputLine&) = delete;

  /// Sets the level without an event, as before the line is requested.
  void set_level(int level) {
    std::lock_guard lock(mutex_);
    level_ = level;
  }
  /// The pin changes to `level` at `when`: the level follows and an edge is queued.
  void edge(int level, std::chrono::steady_clock::time_point when) {
    std::lock_guard lock(mutex_);
    level_ = level;
    queued_.push_back({.level = level, .when = when});
    const std::uint64_t one = 1;
    [[maybe_unused]] auto written = ::write(fd_, &one, sizeof one);
  }
  /// The next level() calls fail.
  void fail_reads(bool fail) {
    std::lock_guard lock(mutex_);
    failing_ = fail;
  }

  std::optional<int> level() override {
    std::lock_guard lock(mutex_);
    if (failing_) return std::nullopt;
    return level_;
  }
  int event_fd() const override { return fd_; }
  std::vector<EdgeEvent> read_events() override {
    std::lock_guard lock(mutex_);
    std::uint64_t count = 0;
    [[maybe_unused]] auto read = ::read(fd_, &count, sizeof count);
    std::vector<EdgeEvent> events(queued_.begin(), queued_.end());
    queued_.clear();
    return events;
  }
  std::string error() const override {
    std::lock_guard lock(mutex_);
    return failing_ ? "Input/output error" : "";
  }

 private:
  mutable std::mutex mutex_;
  int fd_;
  int level_ = 0;
  bool failing_ = false;
  std::deque<EdgeEvent> queued_;
};

class FakeOutputLine final : public OutputLine {
 public:
  bool set(bool high) override {
    std::lock_guard lock(mutex_);
    sets_.push_back(high);
    return true;
  }
  std::string error() const override { return {}; }
  std::vector<bool> sets() const {
    std::lock_guard lock(mutex_);
    return sets_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<bool> sets_;
};

/// Hands out lines the test owns, by offset (the chip name is recorded, not matched).
class FakeLineOpener final : public LineOpener {
 public:
  struct InputRequest {
    LineAddress address;
    Bias bias;
    bool edges;
  };

  void provide(unsigned offset, InputLine& line) { inputs_[offset] = &line; }
  void provide(unsigned offset, OutputLine& line) { outputs_[offset] = &line; }
  /// Requests to refuse (with EBUSY's words) before one succeeds.
  int refuse_requests = 0;

  Opened<InputLine> open_input(const LineAddress& address, Bias bias, bool edges) override {
    std::lock_guard lock(mutex_);
    input_requests_.push_back({address, bias, edges});
    if (auto refused = refusal(address)) return {nullptr, *refused};
    auto found = inputs_.find(address.offset);
    if (found == inputs_.end()) return {nullptr, "no " + describe(address)};
    return {std::make_unique<ForwardingInput>(*found->second), {}};
  }
  Opened<OutputLine> open_output(const LineAddress& address, bool initial) override {
    std::lock_guard lock(mutex_);
    output_initial_.push_back(initial);
    if (auto refused = refusal(address)) return {nullptr, *refused};
    auto found = outputs_.find(address.offset);
    if (found == outputs_.end()) return {nullptr, "no " + describe(address)};
    found->second->set(initial);
    return {std::make_unique<ForwardingOutput>(*found->second), {}};
  }

  std::vector<InputRequest> input_requests() const {
    std::lock_guard lock(mutex_);
    return input_requests_;
  }

 private:
  struct ForwardingInput final : InputLine {
    explicit ForwardingInput(InputLine& to) : to(to) {}
    std::optional<int> level() override { return to.level(); }
    int event_fd() const override { return to.event_fd(); }
    std::vector<EdgeEvent> read_events() override { return to.read_events(); }
    std::string error() const override { return to.error(); }
    InputLine& to;
  };
  struct ForwardingOutput final : OutputLine {
    explicit ForwardingOutput(OutputLine& to) : to(to) {}
    bool set(bool high) override { return to.set(high); }
    std::string error() const override { return to.error(); }
    OutputLine& to;
  };

  std::optional<std::string> refusal(const LineAddress& address) {
    if (refuse_requests <= 0) return std::nullopt;
    --refuse_requests;
    return "cannot request " + describe(address) + ": Device or resource busy";
  }

  mutable std::mutex mutex_;
  std::map<unsigned, InputLine*> inputs_;
  std::map<unsigned, OutputLine*> outputs_;
  std::vector<InputRequest> input_requests_;
  std::vector<bool> output_initial_;
};

}  // namespace edgegw::gpio
