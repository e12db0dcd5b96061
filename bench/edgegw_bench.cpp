// The core benchmarks, measured side by side in one run and printed as a table plus one JSON
// line (for scripts). Medians of several runs; the machine is shared, so compare the ratios
// within one run rather than absolute numbers across runs.
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "adapters/simulator/simulator_generator.h"
#include "gateway/billing/cost_model.h"
#include "gateway/ingest/ingest.h"
#include "gateway/model/clock.h"
#include "proto/bundle_packer.h"
#include "storage/sqlite_buffer.h"

namespace edgegw {
namespace {

using Seconds = std::chrono::duration<double>;

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

std::filesystem::path scratch_dir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "edgegw-bench-XXXXXX").string();
  if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  return pattern;
}

void check(int rc, sqlite3* db, const char* what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
    throw std::runtime_error(std::string(what) + ": " + sqlite3_errmsg(db));
  }
}

/// The floor to compare against: one connection, one prepared INSERT, `batch` rows per
/// transaction, on the same disk and with the same journal settings as the buffer.
double raw_sqlite_rows_per_s(const std::filesystem::path& path, const std::vector<Reading>& rows,
                             const char* synchronous, std::size_t batch) {
  sqlite3* db = nullptr;
  check(sqlite3_open(path.c_str(), &db), db, "open");
  std::string pragmas = std::string("PRAGMA journal_mode=WAL; PRAGMA synchronous=") + synchronous +
                        "; CREATE TABLE readings(seq INTEGER PRIMARY KEY, series INTEGER NOT NULL,"
                        " ts_ms INTEGER NOT NULL, value REAL NOT NULL, quality INTEGER NOT NULL);";
  check(sqlite3_exec(db, pragmas.c_str(), nullptr, nullptr, nullptr), db, "schema");
  sqlite3_stmt* insert = nullptr;
  check(
      sqlite3_prepare_v2(db, "INSERT INTO readings(series, ts_ms, value, quality) VALUES(?,?,?,?)",
                         -1, &insert, nullptr),
      db, "prepare");
  auto start = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < rows.size(); i += batch) {
    check(sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr), db, "begin");
    for (std::size_t j = i; j < std::min(rows.size(), i + batch); ++j) {
      sqlite3_bind_int64(insert, 1, rows[j].series);
      sqlite3_bind_int64(insert, 2, rows[j].ts_ms);
      sqlite3_bind_double(insert, 3, rows[j].value);
      sqlite3_bind_int(insert, 4, static_cast<int>(rows[j].quality));
      check(sqlite3_step(insert), db, "insert");
      sqlite3_reset(insert);
    }
    check(sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr), db, "commit");
  }
  double seconds = Seconds(std::chrono::steady_clock::now() - start).count();
  sqlite3_finalize(insert);
  sqlite3_close(db);
  return static_cast<double>(rows.size()) / seconds;
}

/// Durable ingest through the buffer as adapters use it: batches of `offer` readings queued
/// from one producer, committed by the storage thread's group commit; the clock stops when the
/// last batch is reported accepted.
double buffer_rows_per_s(const std::filesystem::path& path, const std::vector<Reading>& rows,
                         const char* synchronous, std::size_t offer) {
  SystemClock clock;
  StorageOptions options;
  options.path = path.string();
  options.synchronous = synchronous;
  options.max_bytes = std::int64_t{8} << 30;
  auto buffer = SqliteBuffer::open(options, clock);
  for (int i = 0; i < 16; ++i)
    buffer->register_series({.name = "s" + std::to_string(i), .unit = "", .resolution = 0.1});
  std::atomic<std::size_t> accepted{0};
  auto start = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < rows.size(); i += offer) {
    std::vector<Reading> batch(
        rows.begin() + static_cast<std::ptrdiff_t>(i),
        rows.begin() + static_cast<std::ptrdiff_t>(std::min(rows.size(), i + offer)));
    auto n = batch.size();
    auto done = [&accepted, n](AppendStatus status, std::int64_t, std::int64_t,
                               std::span<const edgegw::Reading>) {
      if (status == AppendStatus::accepted) accepted += n;
    };
    while (!buffer->append(batch, done)) std::this_thread::yield();  // back-pressure
  }
  while (accepted.load() < rows.size()) std::this_thread::yield();
  double seconds = Seconds(std::chrono::steady_clock::now() - start).count();
  return static_cast<double>(rows.size()) / seconds;
}

std::vector<Reading> synthetic_rows(std::size_t n) {
  std::vector<Reading> rows(n);
  for (std::size_t i = 0; i < n; ++i) {
    rows[i] = {.series = static_cast<SeriesId>(1 + i % 16),
               .ts_ms = 1'700'000'000'000 + static_cast<std::int64_t>(i),
               .value = 500.0 + static_cast<double>(i % 1000) * 0.1};
  }
  return rows;
}

struct IngestResult {
  double raw = 0, buffer = 0;
};

IngestResult measure_ingest(const char* synchronous, std::size_t rows_count, int runs) {
  auto rows = synthetic_rows(rows_count);
  std::vector<double> raw, buffered;
  for (int run = 0; run < runs; ++run) {
    auto dir = scratch_dir();
    raw.push_back(raw_sqlite_rows_per_s(dir / "raw.db", rows, synchronous, 1000));
    buffered.push_back(buffer_rows_per_s(dir / "buffer.db", rows, synchronous, 100));
    std::filesystem::remove_all(dir);
  }
  return {median(raw), median(buffered)};
}

/// Readings per second through the whole ingest path (validate, buffer, then the rules on the
/// storage thread), synchronous=NORMAL so the rules' share is not hidden behind fsyncs.
double ingest_path_rows_per_s(const std::filesystem::path& path, const std::vector<Reading>& rows,
                              const std::vector<rules::RuleOptions>& rules) {
  StorageOptions options;
  options.path = path.string();
  options.synchronous = "normal";
  options.max_bytes = 0;
  options.max_age_s = 0;
  ManualClock clock(rows.back().ts_ms);
  auto buffer = SqliteBuffer::open(options, clock);
  for (int i = 1; i <= 16; ++i)
    buffer->register_series({.name = "s" + std::to_string(i), .unit = "", .resolution = 0.1});
  Ingest ingest(*buffer, clock, 86'400'000, 86'400'000, rules);
  const auto start = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < rows.size(); i += 100) {
    const auto batch = std::span(rows).subspan(i, std::min<std::size_t>(100, rows.size() - i));
    while (!ingest.offer(batch)) std::this_thread::yield();  // back-pressure
  }
  while (ingest.accepted() < rows.size()) std::this_thread::yield();
  return static_cast<double>(rows.size()) /
         Seconds(std::chrono::steady_clock::now() - start).count();
}

/// Twenty rules over the synthetic series that look at every reading and never raise, so what
/// is measured is their evaluation, not the storing of alarms: thresholds, drops within a
/// window, and stale checks (which cost nothing per reading).
std::vector<rules::RuleOptions> twenty_quiet_rules() {
  std::vector<rules::RuleOptions> out;
  for (int i = 0; i < 20; ++i) {
    rules::RuleOptions rule;
    rule.name = "rule" + std::to_string(i);
    rule.series = "s" + std::to_string(1 + i % 16);
    if (i % 4 == 3) {
      rule.stale_after_s = 3600;
    } else if (i % 2 == 0) {
      rule.above = 1e6;
      rule.for_s = 5;
    } else {
      rule.drop = 1e6;
      rule.within_s = 10;
    }
    out.push_back(rule);
  }
  return out;
}

struct RulesResult {
  double none = 0, twenty = 0;
};

RulesResult measure_rules(std::size_t rows_count, int runs) {
  const auto rows = synthetic_rows(rows_count);
  const auto rules = twenty_quiet_rules();
  std::vector<double> none, twenty;
  for (int run = 0; run < runs; ++run) {
    auto dir = scratch_dir();
    // Alternated, so that a noisy neighbour spoils both sides alike.
    none.push_back(ingest_path_rows_per_s(dir / "none.db", rows, {}));
    twenty.push_back(ingest_path_rows_per_s(dir / "twenty.db", rows, rules));
    std::filesystem::remove_all(dir);
  }
  return {median(none), median(twenty)};
}

struct PackResult {
  double readings_per_bundle = 0;
  double fill_ratio = 0;      // mean payload / budget over full bundles
  double min_fill_ratio = 0;  // the emptiest full bundle
  double readings_per_s = 0;  // packing speed, median
  std::size_t bundles = 0;
};

PackResult measure_packing(const std::vector<Reading>& stream, const SeriesCatalog& catalog,
                           std::size_t budget, BundleEncoding encoding, int runs) {
  BundlePacker packer({.gateway_id = "gw-01", .budget_bytes = budget, .encoding = encoding},
                      catalog);
  PackResult result;
  std::vector<double> speeds;
  for (int run = 0; run < runs; ++run) {
    std::size_t readings = 0, bytes = 0, bundles = 0;
    double min_fill = 1.0;
    std::span<const Reading> rest(stream);
    auto start = std::chrono::steady_clock::now();
    for (std::uint64_t seq = 1; !rest.empty(); ++seq) {
      // Offer what the bundler would: a window of unsent readings, not the whole backlog.
      PackedBundle packed = packer.pack(seq, rest.first(std::min<std::size_t>(rest.size(), 16384)));
      if (!packed.full) break;
      readings += packed.reading_count;
      bytes += packed.payload.size();
      min_fill = std::min(min_fill, static_cast<double>(packed.payload.size()) / budget);
      ++bundles;
      rest = rest.subspan(packed.reading_count);
    }
    double seconds = Seconds(std::chrono::steady_clock::now() - start).count();
    speeds.push_back(static_cast<double>(readings) / seconds);
    result.bundles = bundles;
    result.readings_per_bundle = static_cast<double>(readings) / bundles;
    result.fill_ratio = static_cast<double>(bytes) / (static_cast<double>(budget) * bundles);
    result.min_fill_ratio = min_fill;
  }
  result.readings_per_s = median(speeds);
  return result;
}

int run(int argc, char** argv) {
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  const int runs = quick ? 3 : 5;

  // (a) durable ingest
  const std::size_t ingest_rows = quick ? 50'000 : 200'000;
  IngestResult full = measure_ingest("full", ingest_rows, runs);
  IngestResult normal = measure_ingest("normal", ingest_rows, runs);
  RulesResult rules = measure_rules(ingest_rows, runs);

  // (b), (c): a mixed chocolate + crane stream, as one gateway would see it
  MixedSimulatorStream mix(1'700'000'000'000);
  mix.add_demo_sources();
  std::vector<Reading> stream;
  mix.generate_until(1'700'000'000'000 + (quick ? 1'200'000 : 7'200'000), stream);
  SeriesCatalog catalog;
  for (const auto& info : mix.series()) catalog.insert(info);
  const std::string topic = "edgegw/gw-01/telemetry";
  const auto budget =
      static_cast<std::size_t>(billing::MeteringModel::aws().payload_budget({.topic = topic}));
  PackResult proto = measure_packing(stream, catalog, budget, BundleEncoding::proto, runs);
  PackResult zstd = measure_packing(stream, catalog, budget, BundleEncoding::proto_zstd, runs);

  std::int64_t naive_bytes = 0;
  for (const auto& r : stream) {
    naive_bytes += billing::naive_json_size(catalog.find(r.series)->spec.name, r.ts_ms, r.value);
  }
  const std::int64_t naive_mean = naive_bytes / static_cast<std::int64_t>(stream.size());
  const auto json_array =
      billing::json_array_capacity(naive_mean, static_cast<std::int64_t>(budget));

  std::printf("edgegw core benchmarks (%s; medians of %d runs, measured side by side)\n\n",
              quick ? "quick" : "full", runs);
  std::printf("%-58s %14s %10s %8s\n", "measure", "value", "target", "ok");
  auto row = [](const char* what, double value, const char* unit, const char* target, bool ok) {
    std::printf("%-58s %10.0f %-3s %10s %8s\n", what, value, unit, target, ok ? "yes" : "NO");
  };
  auto ratio_row = [](const char* what, double value, const char* target, bool ok) {
    std::printf("%-58s %13.1f%% %10s %8s\n", what, 100 * value, target, ok ? "yes" : "NO");
  };
  std::printf("(a) durable ingest, %zu readings, batches of 100\n", ingest_rows);
  row("  raw SQLite loop, 1000 rows/txn, synchronous=FULL", full.raw, "/s", "", true);
  row("  SqliteBuffer group commit, synchronous=FULL", full.buffer, "/s", "", true);
  ratio_row("  buffer / raw, FULL", full.buffer / full.raw, ">= 50%",
            full.buffer >= 0.5 * full.raw);
  row("  raw SQLite loop, 1000 rows/txn, synchronous=NORMAL", normal.raw, "/s", "", true);
  row("  SqliteBuffer group commit, synchronous=NORMAL", normal.buffer, "/s", "", true);
  ratio_row("  buffer / raw, NORMAL", normal.buffer / normal.raw, ">= 50%",
            normal.buffer >= 0.5 * normal.raw);
  std::printf("(a2) the ingest path (validate, buffer, rules), synchronous=NORMAL\n");
  row("  no rules", rules.none, "/s", "", true);
  row("  20 rules evaluating every reading", rules.twenty, "/s", "", true);
  ratio_row("  20 rules / none", rules.twenty / rules.none, ">= 90%",
            rules.twenty / rules.none >= 0.9);
  std::printf("(b) readings per 5 KB unit, chocolate + crane stream (%zu readings, budget %zu B)\n",
              stream.size(), budget);
  row("  proto", proto.readings_per_bundle, "", ">= 1600", proto.readings_per_bundle >= 1600);
  row("  proto+zstd", zstd.readings_per_bundle, "", ">= 3500", zstd.readings_per_bundle >= 3500);
  row("  JSON array of naive messages", static_cast<double>(json_array), "", "~75", true);
  row("  one JSON object per message", 1, "", "1", true);
  std::printf("(c) fill ratio of full bundles (mean, emptiest)\n");
  ratio_row("  proto mean", proto.fill_ratio, ">= 98%", proto.fill_ratio >= 0.98);
  ratio_row("  proto emptiest", proto.min_fill_ratio, "", true);
  ratio_row("  proto+zstd mean", zstd.fill_ratio, ">= 98%", zstd.fill_ratio >= 0.98);
  ratio_row("  proto+zstd emptiest", zstd.min_fill_ratio, "", true);
  std::printf("packing speed\n");
  row("  proto", proto.readings_per_s, "/s", "", true);
  row("  proto+zstd", zstd.readings_per_s, "/s", "", true);

  std::printf(
      "\n{\"ingest_full_raw\":%.0f,\"ingest_full_buffer\":%.0f,\"ingest_normal_raw\":%.0f,"
      "\"ingest_normal_buffer\":%.0f,\"ingest_no_rules\":%.0f,\"ingest_20_rules\":%.0f,"
      "\"readings_per_unit_proto\":%.1f,"
      "\"readings_per_unit_zstd\":%.1f,\"readings_per_unit_json_array\":%lld,"
      "\"fill_ratio_proto\":%.4f,\"fill_ratio_zstd\":%.4f,\"pack_proto_per_s\":%.0f,"
      "\"pack_zstd_per_s\":%.0f}\n",
      full.raw, full.buffer, normal.raw, normal.buffer, rules.none, rules.twenty,
      proto.readings_per_bundle, zstd.readings_per_bundle, static_cast<long long>(json_array),
      proto.fill_ratio, zstd.fill_ratio, proto.readings_per_s, zstd.readings_per_s);
  return 0;
}

}  // namespace
}  // namespace edgegw

int main(int argc, char** argv) {
  return edgegw::run(argc, argv);
}
