// Drain benchmark: a backlog of readings in SQLite drained through the uplink to a real local
// mosquitto over mutual TLS, side by side with a naive publisher that sends one JSON message
// per reading through the same Paho-based transport. Prints a table and a JSON line.
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>
#include <unistd.h>

#include "adapters/simulator/simulator_generator.h"
#include "gateway/billing/cost_model.h"
#include "gateway/uplink/cloud_profile.h"
#include "gateway/uplink/mqtt_transport.h"
#include "gateway/uplink/uplink.h"
#include "storage/sqlite_handle.h"
#include "tests/integration/broker/mosquitto_broker.h"
#include "tests/temp_dir.h"

namespace edgegw {
namespace {

using Seconds = std::chrono::duration<double>;

double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

/// CPU seconds each of this process's threads has used, by thread name (threads of one name
/// added up): where a drain's time goes.
std::map<std::string, double> thread_cpu_seconds() {
  std::map<std::string, double> out;
  const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm_file(task.path() / "comm");
    std::ifstream stat_file(task.path() / "stat");
    std::string name, stat;
    if (!std::getline(comm_file, name) || !std::getline(stat_file, stat)) continue;
    // After the ")" that ends the name: state is field 3, utime and stime are fields 14 and 15.
    std::istringstream fields(stat.substr(stat.rfind(')') + 2));
    std::string field;
    double ticks = 0;
    for (int i = 3; i <= 15 && fields >> field; ++i) {
      if (i >= 14) ticks += std::stod(field);
    }
    out[name] += ticks / tick;
  }
  return out;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

/// The io_context thread the transport needs, for the length of one measurement.
class IoThread {
 public:
  IoThread() : thread_([this] { io_.run(); }) {}
  ~IoThread() {
    work_.reset();
    io_.stop();
    thread_.join();
  }
  boost::asio::io_context& io() { return io_; }

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{
      io_.get_executor()};
  std::thread thread_;
};

struct Result {
  double connect_ms = 0;  // from start() to the connection being up (TLS, CONNACK, SUBACKs)
  double readings_per_s = 0;
  double messages_per_s = 0;
  double cpu_s_per_million = 0;
  double units_per_million = 0;  // AWS 5 KB units per million readings
  double transactions_per_bundle = 0;
  /// The share of the drain's wall time each thread was on a CPU, by thread name.
  std::map<std::string, double> thread_busy;
};

std::vector<Reading> backlog_stream(std::size_t count, std::vector<SeriesInfo>& series) {
  MixedSimulatorStream mix(1'700'000'000'000);
  mix.add_demo_sources();
  std::vector<Reading> readings;
  mix.generate(count, readings);
  series = mix.series();
  return readings;
}

/// A buffer at `options.path` holding `stream` as a backlog.
std::unique_ptr<SqliteBuffer> fill_backlog(const StorageOptions& options, Clock& clock,
                                           const std::vector<Reading>& stream,
                                           const std::vector<SeriesInfo>& series) {
  auto buffer = SqliteBuffer::open(options, clock);
  std::map<SeriesId, SeriesId> ids;  // stream id -> buffer id
  for (const auto& info : series) ids[info.id] = buffer->register_series(info.spec);
  for (std::size_t i = 0; i < stream.size(); i += 10'000) {
    std::vector<Reading> batch(
        stream.begin() + static_cast<std::ptrdiff_t>(i),
        stream.begin() + static_cast<std::ptrdiff_t>(std::min(stream.size(), i + 10'000)));
    for (auto& r : batch) r.series = ids[r.series];
    if (buffer->append_sync(std::move(batch)) != AppendStatus::accepted) {
      throw std::runtime_error("could not fill the backlog");
    }
  }
  return buffer;
}

Result drain_once(const MosquittoBroker& broker, const std::vector<Reading>& stream,
                  const std::vector<SeriesInfo>& series) {
  TempDir dir;
  SystemClock clock;
  GatewayConfig config = broker.gateway_config("bench-gw");
  config.storage.path = dir.file("buffer.db");
  config.storage.synchronous = "normal";
  config.uplink.max_publishes_per_s = 0;  // the rate shaper off: measure the pipeline
  config.uplink.max_bytes_per_s = 0;
  auto buffer = fill_backlog(config.storage, clock, stream, series);

  CloudProfile profile = resolve_profile(config);
  BundlePacker packer({.gateway_id = "bench-gw",
                       .budget_bytes = profile.payload_budget_bytes(),
                       .encoding = BundleEncoding::proto},
                      buffer->catalog());
  IoThread io;
  MqttTransport transport(profile, io.io(), clock);
  std::atomic<std::int64_t> units{0};
  std::atomic<std::uint64_t> bundles{0};
  // Priced as AWS would meter the same publishes.
  const auto aws = billing::MeteringModel::aws();
  Uplink uplink(*buffer, packer, transport, clock,
                {.telemetry_topic = profile.telemetry_topic,
                 .alarm_topic = profile.alarm_topic,
                 .inflight_window = 16,
                 .max_latency = std::chrono::seconds(1)},
                [&](const Uplink::Published& message) {
                  units += aws.units(static_cast<std::int64_t>(message.payload_bytes),
                                     {.topic = message.topic});
                  ++bundles;
                });
  const auto started = std::chrono::steady_clock::now();
  uplink.start();
  uplink.request_flush();
  // The drain is timed from the connection being up, as the naive publisher is: the TLS
  // handshake and the SUBACKs are a fixed cost of a connection, reported on their own.
  while (!uplink.stats().connected) std::this_thread::sleep_for(std::chrono::microseconds(200));
  const double cpu0 = cpu_seconds();
  const auto threads0 = thread_cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  while (buffer->stats().readings > 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const double seconds = Seconds(std::chrono::steady_clock::now() - t0).count();
  const double cpu = cpu_seconds() - cpu0;
  std::map<std::string, double> thread_busy;
  for (const auto& [name, used] : thread_cpu_seconds()) {
    const auto before = threads0.find(name);
    thread_busy[name] = (used - (before == threads0.end() ? 0 : before->second)) / seconds;
  }
  uplink.stop();
  const auto stats = uplink.stats();
  const double n = static_cast<double>(stream.size());
  return {
      .connect_ms = Seconds(t0 - started).count() * 1e3,
      .readings_per_s = n / seconds,
      .messages_per_s = static_cast<double>(bundles.load()) / seconds,
      .cpu_s_per_million = cpu / n * 1e6,
      .units_per_million = static_cast<double>(units.load()) / n * 1e6,
      .transactions_per_bundle =
          static_cast<double>(stats.storage_reads + stats.storage_records + stats.storage_deletes) /
          static_cast<double>(std::max<std::uint64_t>(stats.bundles_acked, 1)),
      .thread_busy = std::move(thread_busy)};
}

/// The limit under the drain: SQLite alone reading the same backlog in bundle-sized chunks and
/// deleting each chunk, one transaction per read and per delete, nothing packed or sent.
Result sqlite_read_delete_once(const std::vector<Reading>& stream,
                               const std::vector<SeriesInfo>& series, std::size_t rows_per_bundle) {
  TempDir dir;
  SystemClock clock;
  StorageOptions options;
  options.path = dir.file("buffer.db");
  options.synchronous = "normal";
  fill_backlog(options, clock, stream, series).reset();

  SqliteConnection db(options.path, SQLITE_OPEN_READWRITE);
  db.exec("PRAGMA synchronous = NORMAL");
  auto begin = db.prepare("BEGIN IMMEDIATE");
  auto commit = db.prepare("COMMIT");
  auto select = db.prepare(
      "SELECT seq, series, ts_ms, value, quality FROM readings WHERE seq > ?1 ORDER BY seq "
      "LIMIT ?2");
  auto erase = db.prepare("DELETE FROM readings WHERE seq BETWEEN ?1 AND ?2");
  std::vector<StoredReading> rows;
  std::int64_t after = 0;
  std::size_t total = 0;
  const double cpu0 = cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  for (;;) {
    rows.clear();
    begin.execute();
    {
      SqliteStatement::Reset reset(select);
      select.bind(1, after).bind(2, static_cast<std::int64_t>(rows_per_bundle));
      while (select.step()) {
        rows.push_back({.seq = select.column_int64(0),
                        .reading = {.series = static_cast<SeriesId>(select.column_int64(1)),
                                    .ts_ms = select.column_int64(2),
                                    .value = select.column_double(3),
                                    .quality = static_cast<Quality>(select.column_int64(4))}});
      }
    }
    commit.execute();
    if (rows.empty()) break;
    begin.execute();
    erase.bind(1, rows.front().seq).bind(2, rows.back().seq).execute();
    commit.execute();
    after = rows.back().seq;
    total += rows.size();
  }
  const double seconds = Seconds(std::chrono::steady_clock::now() - t0).count();
  const double cpu = cpu_seconds() - cpu0;
  const double n = static_cast<double>(total);
  return {.readings_per_s = n / seconds,
          .messages_per_s = n / static_cast<double>(rows_per_bundle) / seconds,
          .cpu_s_per_million = cpu / n * 1e6,
          .units_per_million = 0,
          .transactions_per_bundle = 2,
          .thread_busy = {}};
}

/// One QoS 1 JSON message per reading, at most `window` unacknowledged, same transport.
Result naive_once(const MosquittoBroker& broker, const std::vector<Reading>& stream,
                  const std::vector<SeriesInfo>& series) {
  SystemClock clock;
  GatewayConfig config = broker.gateway_config("bench-naive");
  CloudProfile profile = resolve_profile(config);
  IoThread io;
  MqttTransport transport(profile, io.io(), clock);
  std::mutex mutex;
  std::condition_variable changed;
  std::size_t acked = 0;
  bool up = false;
  transport.start({.on_result =
                       [&](std::uint64_t, const PublishResult&) {
                         std::lock_guard lock(mutex);
                         ++acked;
                         changed.notify_all();
                       },
                   .on_connection =
                       [&](bool connected, const std::string&) {
                         std::lock_guard lock(mutex);
                         up = connected;
                         changed.notify_all();
                       }});
  {
    std::unique_lock lock(mutex);
    if (!changed.wait_for(lock, std::chrono::seconds(10), [&] { return up; })) {
      throw std::runtime_error("naive publisher could not connect");
    }
  }
  std::map<SeriesId, std::string> names;
  for (const auto& info : series) names[info.id] = info.spec.name;
  const auto aws = billing::MeteringModel::aws();
  std::int64_t units = 0;
  const double cpu0 = cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < stream.size(); ++i) {
    const auto& r = stream[i];
    std::string message = billing::naive_json_message(names[r.series], r.ts_ms, r.value);
    units +=
        aws.units(static_cast<std::int64_t>(message.size()), {.topic = profile.telemetry_topic});
    std::unique_lock lock(mutex);
    changed.wait(lock, [&] { return i - acked < 16; });
    lock.unlock();
    while (!transport.publish(profile.telemetry_topic, message, i)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  {
    std::unique_lock lock(mutex);
    changed.wait(lock, [&] { return acked == stream.size(); });
  }
  const double seconds = Seconds(std::chrono::steady_clock::now() - t0).count();
  const double cpu = cpu_seconds() - cpu0;
  transport.stop();
  const double n = static_cast<double>(stream.size());
  return {.readings_per_s = n / seconds,
          .messages_per_s = n / seconds,
          .cpu_s_per_million = cpu / n * 1e6,
          .units_per_million = static_cast<double>(units) / n * 1e6,
          .transactions_per_bundle = 0,
          .thread_busy = {}};
}

int run(int argc, char** argv) {
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  const int runs = 5;
  const std::size_t backlog = quick ? 200'000 : 1'000'000;
  const std::size_t naive_count = quick ? 20'000 : 100'000;
  spdlog::set_level(spdlog::level::warn);

  MosquittoBroker broker;
  std::vector<SeriesInfo> series;
  const auto stream = backlog_stream(backlog, series);
  const std::vector<Reading> naive_stream(
      stream.begin(), stream.begin() + static_cast<std::ptrdiff_t>(naive_count));
  std::vector<Result> drained, naive, sqlite_only;
  for (int i = 0; i < runs; ++i) {
    drained.push_back(drain_once(broker, stream, series));
    naive.push_back(naive_once(broker, naive_stream, series));
    // Chunks of what one bundle held in this run's drain.
    const auto per_bundle =
        static_cast<std::size_t>(drained.back().readings_per_s / drained.back().messages_per_s);
    sqlite_only.push_back(sqlite_read_delete_once(stream, series, per_bundle));
  }
  auto pick = [](const std::vector<Result>& results, double Result::*field) {
    std::vector<double> values;
    for (const auto& r : results) values.push_back(r.*field);
    return median(values);
  };
  const double drain_rate = pick(drained, &Result::readings_per_s);
  const double naive_rate = pick(naive, &Result::readings_per_s);

  std::printf(
      "\nedgegw drain benchmark: backlog of %zu readings to mosquitto over mutual TLS on "
      "loopback, rate shaper off, timed from the connection being up (medians of %d runs; "
      "naive: %zu readings)\n\n",
      backlog, runs, naive_count);
  std::printf("%-34s %14s %14s %14s %16s %12s\n", "publisher", "readings/s", "messages/s",
              "CPU s/M rdgs", "AWS units/M rdgs", "txns/bundle");
  auto row = [&](const char* name, const std::vector<Result>& results) {
    std::printf(
        "%-34s %14.0f %14.0f %14.2f %16.0f %12.2f\n", name, pick(results, &Result::readings_per_s),
        pick(results, &Result::messages_per_s), pick(results, &Result::cpu_s_per_million),
        pick(results, &Result::units_per_million), pick(results, &Result::transactions_per_bundle));
  };
  row("edgegw uplink (proto bundles)", drained);
  row("naive: one JSON message/reading", naive);
  row("SQLite alone: read + delete", sqlite_only);
  const double sqlite_rate = pick(sqlite_only, &Result::readings_per_s);
  // Each run's drain beside the SQLite-alone run right after it: the host's speed drifts
  // between runs more than the two differ within one.
  std::vector<double> ratios;
  for (int i = 0; i < runs; ++i) {
    ratios.push_back(drained[i].readings_per_s / sqlite_only[i].readings_per_s);
  }
  const double sqlite_ratio = median(ratios);
  std::printf("%-34s %14.1f\n", "uplink connect (TLS + SUBACKs), ms",
              pick(drained, &Result::connect_ms));
  std::printf("%-34s %14.1fx\n", "drain / naive", drain_rate / naive_rate);
  // Where the median drain's time went: the storage thread (record in flight, delete on ack)
  // and the reader (backlog reads) are the two that SQLite's cost lands on.
  const auto median_run = std::find_if(drained.begin(), drained.end(), [&](const Result& r) {
    return r.readings_per_s == drain_rate;
  });
  std::printf("%-34s", "threads busy (median drain)");
  for (const auto& [name, busy] : median_run->thread_busy) {
    if (busy >= 0.01) std::printf(" %s %.0f%%", name.c_str(), busy * 100);
  }
  std::printf("\n");
  // SQLite's own read+delete rate is the ceiling: where it is below 2M on the machine, the
  // ratio says whether the pipeline adds anything on top of it.
  std::printf(
      "%-34s %14.2f    target: drain >= 2,000,000 readings/s: %s (SQLite alone here: %.0f/s)\n",
      "drain / SQLite alone, per run", sqlite_ratio, drain_rate >= 2e6 ? "yes" : "NO", sqlite_rate);
  std::printf(
      "{\"drain_readings_per_s\":%.0f,\"drain_bundles_per_s\":%.1f,\"drain_cpu_s_per_million\":%."
      "3f,"
      "\"drain_units_per_million\":%.0f,\"naive_readings_per_s\":%.0f,\"naive_cpu_s_per_million\":%"
      ".3f,"
      "\"naive_units_per_million\":%.0f,\"sqlite_read_delete_readings_per_s\":%.0f,"
      "\"drain_transactions_per_bundle\":%.2f,\"drain_connect_ms\":%.1f,"
      "\"drain_over_sqlite_alone\":%.2f}\n",
      drain_rate, pick(drained, &Result::messages_per_s), pick(drained, &Result::cpu_s_per_million),
      pick(drained, &Result::units_per_million), naive_rate,
      pick(naive, &Result::cpu_s_per_million), pick(naive, &Result::units_per_million), sqlite_rate,
      pick(drained, &Result::transactions_per_bundle), pick(drained, &Result::connect_ms),
      sqlite_ratio);
  return 0;
}

}  // namespace
}  // namespace edgegw

int main(int argc, char** argv) {
  return edgegw::run(argc, argv);
}
