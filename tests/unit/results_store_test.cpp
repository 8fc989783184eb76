// The results database in process: round trip on :memory:, transactions, schema checks, the
// scaling and pareto views, read-only queries, merge. Runs are tiny (1 epoch of 20 000 images).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>

#include "sim/core/errors.hpp"
#include "sim/store/query.hpp"
#include "sim/output/report.hpp"
#include "sim/store/results_store.hpp"
#include "sim/sweep/sweep.hpp"

using namespace ddpsim;
namespace fs = std::filesystem;

namespace {

const char* kTinySweep =
    "name: tiny\nworkload: resnet50\nhardware: a100\nmode: constant_lbs\nlbs: 64\ngpus: 1..8 x2\nepochs: 1\n"
    "set: {dataset.train_samples: 20000, dataset.val_samples: 1000}\n";

struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / ("ddpsim_store_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

SweepReport run_tiny(ResultsStore& store, const std::string& text = kTinySweep, Shard shard = {}) {
  SweepOptions opt;
  opt.jobs = 2;
  opt.shard = shard;
  return run_sweep(parse_sweep(text, "tiny.yaml", ""), store, opt);
}

long long count(ResultsStore& store, const std::string& table) {
  return store.db().scalar_int("SELECT COUNT(*) FROM " + table).value_or(-1);
}

std::string input_error(const std::string& path, ResultsStore::Access access) {
  try {
    ResultsStore s(path, access);
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST(ResultsStore, RoundTripOnMemory) {
  ResultsStore store(":memory:", ResultsStore::Access::ReadWrite);
  EXPECT_EQ(store.db().scalar_int("PRAGMA user_version"), kResultsSchemaVersion);
  EXPECT_EQ(store.db().scalar_int("PRAGMA application_id"), kResultsApplicationId);

  RunConfig cfg;
  cfg.gpus = 4;
  cfg.lbs = 64;
  cfg.epochs = 1;
  cfg.overrides = {{"dataset.train_samples", "20000"}};
  Scenario s = resolve_scenario(cfg);
  RunResult r = simulate(s, 7);
  auto sweep_id = store.begin_sweep(SweepRecord{"manual", "", "", "0/1", s.calibration_id, "test", 1});
  RunKey key{config_hash(s), "constant_lbs", "series-a", "dataset.train_samples=20000", sweep_id, 0, 0.5};
  auto [id, inserted] = store.insert_run(s, r, key);
  EXPECT_TRUE(inserted);
  EXPECT_EQ(store.find_run(key.config_hash, s.calibration_id), id);
  EXPECT_FALSE(store.find_run(key.config_hash, s.calibration_id, "0.0.0-other"));

  // Every output of `run --format json` comes back: all run_metrics() columns and the JSON itself.
  auto res = run_query(store.db(), "SELECT * FROM runs");
  ASSERT_EQ(res.rows.size(), 1u);
  std::map<std::string, QueryCell> row;
  for (std::size_t i = 0; i < res.columns.size(); ++i) row[res.columns[i]] = res.rows[0][i];
  for (const auto& m : run_metrics()) {
    std::string col = m.path;
    std::replace(col.begin(), col.end(), '.', '_');
    ASSERT_TRUE(row.count(col)) << col;
    EXPECT_DOUBLE_EQ(row[col].d, m.get(s, r)) << col;
  }
  EXPECT_EQ(row["result_json"].s, result_json(s, {r}));
  EXPECT_EQ(row["gpus"].i, 4);
  EXPECT_EQ(row["gbs"].i, 256);
  EXPECT_EQ(row["seed"].i, 7);
  EXPECT_EQ(row["workload"].s, "resnet50");
  EXPECT_EQ(row["phase"].s, "train");
  EXPECT_EQ(row["calibration_id"].s, s.calibration_id);
  EXPECT_EQ(row["version"].s, DDPSIM_VERSION);
  EXPECT_EQ(row["overrides"].s, "dataset.train_samples=20000");
  EXPECT_EQ(row["steps"].i, r.steps);
  EXPECT_FALSE(row["created_at"].s.empty());

  // The same key again is not a second row, but may join another series.
  RunKey again = key;
  again.series = "series-b";
  again.point_index = 1;
  auto [id2, inserted2] = store.insert_run(s, r, again);
  EXPECT_FALSE(inserted2);
  EXPECT_EQ(id2, id);
  EXPECT_EQ(count(store, "runs"), 1);
  EXPECT_EQ(count(store, "run_series"), 2);
  EXPECT_EQ(count(store, "sweep_points"), 2);
}

TEST(ResultsStore, TransactionRollsBackUnlessCommitted) {
  ResultsStore store(":memory:", ResultsStore::Access::ReadWrite);
  {
    Transaction tx(store.db());
    store.db().exec("INSERT INTO meta (key, value) VALUES ('a', '1')");
  }
  EXPECT_EQ(count(store, "meta WHERE key = 'a'"), 0);
  {
    Transaction tx(store.db());
    store.db().exec("INSERT INTO meta (key, value) VALUES ('b', '1')");
    tx.commit();
  }
  EXPECT_EQ(count(store, "meta WHERE key = 'b'"), 1);
}

TEST(ResultsStore, SweepStoresResumesAndRecordsSkippedPoints) {
  ResultsStore store(":memory:", ResultsStore::Access::ReadWrite);
  std::string text = std::string(kTinySweep) + "grids:\n  - {}\n  - {lbs: 512}\n";  // LBS 512 does not fit an A100
  SweepReport a = run_tiny(store, text);
  EXPECT_EQ(a.total, 8);
  EXPECT_EQ(a.ran, 4);
  EXPECT_EQ(a.invalid, 4);
  ASSERT_EQ(a.skipped.size(), 4u);
  EXPECT_NE(a.skipped[0].find("at most LBS 475"), std::string::npos) << a.skipped[0];
  EXPECT_EQ(count(store, "runs"), 4);
  EXPECT_EQ(count(store, "skipped WHERE kind = 'invalid'"), 4);
  SweepReport b = run_tiny(store, text);  // resume: nothing left to run
  EXPECT_EQ(b.ran, 0);
  EXPECT_EQ(b.stored_before, 4);
  EXPECT_EQ(count(store, "runs"), 4);
  EXPECT_EQ(count(store, "sweeps WHERE status = 'done'"), 2);
  EXPECT_EQ(count(store, "calibrations"), 1);
}

TEST(ResultsStore, ScalingViewIsSpeedupVsTheSmallestN) {
  ResultsStore store(":memory:", ResultsStore::Access::ReadWrite);
  run_tiny(store);
  auto t = run_query(store.db(), "SELECT gpus, runtime_h FROM runs ORDER BY gpus");
  auto v = run_query(store.db(), "SELECT gpus, base_gpus, speedup, ideal_speedup, parallel_efficiency, energy_ratio, seeds FROM scaling ORDER BY gpus");
  ASSERT_EQ(t.rows.size(), 4u);
  ASSERT_EQ(v.rows.size(), 4u);
  double t1 = t.rows[0][1].d;
  for (std::size_t i = 0; i < 4; ++i) {
    double n = static_cast<double>(t.rows[i][0].i);
    EXPECT_EQ(v.rows[i][1].i, 1);
    EXPECT_NEAR(v.rows[i][2].d, t1 / t.rows[i][1].d, 1e-12);
    EXPECT_NEAR(v.rows[i][3].d, n, 1e-12);  // constant dataset: ideal speed-up n / n0
    EXPECT_NEAR(v.rows[i][4].d, t1 / t.rows[i][1].d / n, 1e-12);
    EXPECT_EQ(v.rows[i][6].i, 1);
  }
  EXPECT_DOUBLE_EQ(v.rows[0][2].d, 1.0);
  EXPECT_DOUBLE_EQ(v.rows[0][5].d, 1.0);
}

TEST(ResultsStore, ScalingViewOfAScaledDatasetHasIdealSpeedupOne) {
  ResultsStore store(":memory:", ResultsStore::Access::ReadWrite);
  run_tiny(store, "name: w\nworkload: resnet50\nhardware: a100\nmode: scaled_dataset_constant_lbs\nlbs: 64\nsamples_per_gpu: 2000\n"
                  "gpus: [2, 8]\nepochs: 1\nseeds: [1, 2]\n");
  auto v = run_query(store.db(), "SELECT gpus, ideal_speedup, seeds, speedup, parallel_efficiency FROM scaling ORDER BY gpus");
  ASSERT_EQ(v.rows.size(), 2u);
  EXPECT_NEAR(v.rows[1][1].d, 1.0, 1e-12);  // weak scaling: the ideal is a constant time
  EXPECT_EQ(v.rows[1][2].i, 2);             // two seeds averaged
  EXPECT_NEAR(v.rows[1][3].d, v.rows[1][4].d, 1e-12);
}

TEST(ResultsStore, ParetoViewHoldsExactlyTheNonDominatedRuns) {
  ResultsStore store(":memory:", ResultsStore::Access::ReadWrite);
  run_tiny(store, std::string(kTinySweep) + "grids:\n  - {hardware: [a100, h100]}\n  - {lbs: [16, 32]}\n");
  auto all = run_query(store.db(), "SELECT id, runtime_h, energy_kwh_total FROM runs");
  auto front = run_query(store.db(), "SELECT id FROM pareto");
  std::set<std::int64_t> expect, got;
  for (const auto& a : all.rows) {
    bool dominated = false;
    for (const auto& b : all.rows) {
      dominated = dominated || (b[1].d <= a[1].d && b[2].d <= a[2].d && (b[1].d < a[1].d || b[2].d < a[2].d));
    }
    if (!dominated) expect.insert(a[0].i);
  }
  for (const auto& f : front.rows) got.insert(f[0].i);
  EXPECT_EQ(got, expect);
  EXPECT_GE(got.size(), 2u);
  EXPECT_LT(got.size(), all.rows.size());
}

TEST(ResultsStore, CannedQueries) {
  ResultsStore store(":memory:", ResultsStore::Access::ReadWrite);
  run_tiny(store);
  auto all = run_query(store.db(), "SELECT MIN(runtime_h), MAX(runtime_h) FROM runs");
  double deadline_h = (all.rows[0][0].d + all.rows[0][1].d) / 2;
  auto [sql, params] = best_query("energy", deadline_h, {"resnet50", "", "a100", "tiny"}, 10);
  auto best = run_query(store.db(), sql, params);
  ASSERT_FALSE(best.rows.empty());
  ASSERT_LT(best.rows.size(), 4u);
  std::size_t e = 0, t = 0;
  for (std::size_t i = 0; i < best.columns.size(); ++i) {
    if (best.columns[i] == "energy_kwh_total") e = i;
    if (best.columns[i] == "runtime_h") t = i;
  }
  for (std::size_t i = 0; i < best.rows.size(); ++i) {
    EXPECT_LE(best.rows[i][t].d, deadline_h);
    if (i > 0) {
      EXPECT_LE(best.rows[i - 1][e].d, best.rows[i][e].d);
    }
  }
  EXPECT_TRUE(run_query(store.db(), best_query("time", std::nullopt, {"fourcastnet", "", "", ""}, 5).first,
                        best_query("time", std::nullopt, {"fourcastnet", "", "", ""}, 5).second).rows.empty());
  EXPECT_THROW(best_query("energie", std::nullopt, {}, 5), InputError);
  EXPECT_EQ(run_query(store.db(), scaling_query({}).first).rows.size(), 4u);
  auto by_sweep = scaling_query({"", "", "", "tiny"});
  EXPECT_EQ(run_query(store.db(), by_sweep.first, by_sweep.second).rows.size(), 4u);
  auto other_sweep = scaling_query({"", "", "", "other"});
  EXPECT_TRUE(run_query(store.db(), other_sweep.first, other_sweep.second).rows.empty());
  EXPECT_FALSE(run_query(store.db(), pareto_query({}).first).rows.empty());
}

TEST(ResultsStore, ParetoQueryComparesOnlyTheFilteredRuns) {
  ResultsStore store(":memory:", ResultsStore::Access::ReadWrite);
  run_tiny(store, std::string(kTinySweep) + "grids:\n  - {hardware: [a100, h100]}\n");
  auto all = pareto_query({});
  auto a100 = pareto_query({"", "", "a100", ""});
  auto front_all = run_query(store.db(), all.first, all.second);
  auto front_a100 = run_query(store.db(), a100.first, a100.second);
  ASSERT_FALSE(front_a100.rows.empty());
  for (const auto& r : front_a100.rows) EXPECT_EQ(r[2].s, "a100");
  // The view agrees with the unfiltered question.
  EXPECT_EQ(run_query(store.db(), "SELECT COUNT(*) FROM pareto").rows[0][0].i, static_cast<std::int64_t>(front_all.rows.size()));
}

TEST(ResultsStore, QueriesAreReadOnlyAndReportSqlErrors) {
  TempDir dir;
  std::string path = dir.file("r.db");
  {
    ResultsStore store(path, ResultsStore::Access::ReadWrite);
    run_tiny(store);
  }
  ResultsStore ro(path, ResultsStore::Access::ReadOnly);
  EXPECT_EQ(count(ro, "runs"), 4);
  for (const char* sql : {"DELETE FROM runs", "DROP TABLE runs", "INSERT INTO meta VALUES ('x', 'y')", "SELECT 1; DELETE FROM runs",
                          "SELEC 1", "SELECT nope FROM runs", "VACUUM INTO 'copy.db'"}) {
    EXPECT_THROW(run_query(ro.db(), sql), InputError) << sql;
  }
  try {
    run_query(ro.db(), "SELEC 1");
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), "SQL error: near \"SELEC\": syntax error");
  }
  // Even below run_query, the connection itself cannot write.
  EXPECT_THROW(ro.db().exec("DELETE FROM runs"), SqliteError);
  EXPECT_EQ(count(ro, "runs"), 4);
}

TEST(ResultsStore, OpeningChecksTheFile) {
  TempDir dir;
  EXPECT_NE(input_error(dir.file("missing.db"), ResultsStore::Access::ReadOnly).find("no such results database"), std::string::npos);
  {
    Database foreign(dir.file("foreign.db"), Database::Mode::ReadWriteCreate);
    foreign.exec("CREATE TABLE people (name TEXT); INSERT INTO people VALUES ('x')");
  }
  auto foreign_bytes = fs::file_size(dir.file("foreign.db"));
  for (auto access : {ResultsStore::Access::ReadOnly, ResultsStore::Access::ReadWrite}) {
    EXPECT_NE(input_error(dir.file("foreign.db"), access).find("another application, not a ddpsim results database (tables: people)"),
              std::string::npos);
  }
  EXPECT_EQ(fs::file_size(dir.file("foreign.db")), foreign_bytes);
  {
    std::ofstream out(dir.file("corrupt.db"), std::ios::binary);
    for (int i = 0; i < 4096; ++i) out.put(static_cast<char>((i * 7919 + 13) % 251));
  }
  for (auto access : {ResultsStore::Access::ReadOnly, ResultsStore::Access::ReadWrite}) {
    EXPECT_NE(input_error(dir.file("corrupt.db"), access).find("not an SQLite database or is corrupt"), std::string::npos);
  }
  {
    ResultsStore s(dir.file("newer.db"), ResultsStore::Access::ReadWrite);
    s.db().exec("PRAGMA user_version = 99");
  }
  EXPECT_NE(input_error(dir.file("newer.db"), ResultsStore::Access::ReadOnly).find("written by a newer ddpsim (results schema version 99"),
            std::string::npos);
  std::ofstream(dir.file("empty.db")).close();
  EXPECT_NE(input_error(dir.file("empty.db"), ResultsStore::Access::ReadOnly).find("empty SQLite database"), std::string::npos);
  EXPECT_EQ(input_error(dir.file("empty.db"), ResultsStore::Access::ReadWrite), "no error");  // an empty file becomes a database
}

TEST(ResultsStore, ShardsAreDisjointAndMergeEqualsTheFullRun) {
  TempDir dir;
  std::string text = std::string(kTinySweep) + "hardware: [a100, h100]\n";
  text.replace(text.find("hardware: a100\n"), 15, "");
  ResultsStore full(dir.file("full.db"), ResultsStore::Access::ReadWrite);
  run_tiny(full, text);
  std::set<std::string> all_hashes, seen;
  for (const auto& r : run_query(full.db(), "SELECT config_hash FROM runs").rows) all_hashes.insert(r[0].s);
  ASSERT_EQ(all_hashes.size(), 8u);
  for (int i = 0; i < 3; ++i) {
    ResultsStore shard(dir.file("s" + std::to_string(i) + ".db"), ResultsStore::Access::ReadWrite);
    run_tiny(shard, text, Shard{i, 3});
    for (const auto& r : run_query(shard.db(), "SELECT config_hash FROM runs").rows) EXPECT_TRUE(seen.insert(r[0].s).second) << "in two shards";
  }
  EXPECT_EQ(seen, all_hashes);
  ResultsStore merged(dir.file("merged.db"), ResultsStore::Access::ReadWrite);
  long long added = 0;
  for (int i = 0; i < 3; ++i) added += merged.merge_from(dir.file("s" + std::to_string(i) + ".db")).first;
  EXPECT_EQ(added, 8);
  EXPECT_EQ(merged.merge_from(dir.file("s0.db")).first, 0);  // idempotent
  const std::string cmp = "SELECT config_hash, gpus, hardware, series, runtime_h, energy_kwh_total, result_json FROM runs ORDER BY config_hash";
  auto a = run_query(full.db(), cmp), b = run_query(merged.db(), cmp);
  ASSERT_EQ(a.rows.size(), b.rows.size());
  EXPECT_EQ(format_query_result(a, QueryFormat::Csv), format_query_result(b, QueryFormat::Csv));
  EXPECT_EQ(count(merged, "sweeps"), 3);
  EXPECT_EQ(count(merged, "run_series"), 8);
  EXPECT_EQ(count(merged, "sweep_points"), 8);
  EXPECT_EQ(format_query_result(run_query(full.db(), "SELECT * FROM scaling ORDER BY series, gpus"), QueryFormat::Csv),
            format_query_result(run_query(merged.db(), "SELECT * FROM scaling ORDER BY series, gpus"), QueryFormat::Csv));
  EXPECT_THROW(merged.merge_from(dir.file("merged.db")), InputError);
  EXPECT_THROW(merged.merge_from(dir.file("missing.db")), InputError);
}

TEST(QueryFormat, TableCsvJson) {
  ResultsStore store(":memory:", ResultsStore::Access::ReadWrite);
  auto r = run_query(store.db(), "SELECT 1 AS n, 2.5 AS x, 'a,b' AS s, NULL AS z UNION ALL SELECT 10, 0.125, 'c', 'd'");
  EXPECT_EQ(format_query_result(r, QueryFormat::Csv), "n,x,s,z\n1,2.5,\"a,b\",\n10,0.125,c,d\n");
  EXPECT_EQ(format_query_result(r, QueryFormat::Table), " n      x  s    z\n--  -----  ---  -\n 1    2.5  a,b\n10  0.125  c    d\n(2 rows)\n");
  std::string j = format_query_result(r, QueryFormat::Json);
  EXPECT_NE(j.find("\"n\": 1"), std::string::npos) << j;
  EXPECT_NE(j.find("\"z\": null"), std::string::npos) << j;
  EXPECT_NE(j.find("\"s\": \"a,b\""), std::string::npos) << j;
  EXPECT_THROW(parse_query_format("xml"), InputError);
}

TEST(ResultsStore, TimeLimitStopsARunawayQuery) {
  Database db(":memory:", Database::Mode::ReadWriteCreate);
  db.set_time_limit(0.2);
  // A recursive CTE without an end: interrupted (SQLITE_INTERRUPT = 9) instead of running forever.
  try {
    run_query(db, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT COUNT(*) FROM c", {});
    FAIL() << "the query was not stopped";
  } catch (const SqliteError& e) {
    EXPECT_EQ(e.code(), 9) << e.what();
  }
}
