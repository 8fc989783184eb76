// `ddpsim sweep`, `merge` and `query` run as a user runs them (fork/exec of the binary, no shell):
// exit codes and messages, resumability, two concurrent writers, a writer killed with SIGKILL,
// shards and merge, read-only queries, foreign and corrupt files. Every sweep is tiny.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "sim/provenance/calibration_file.hpp"
#include "sim/run/large_batch.hpp"
#include "sim/store/query.hpp"
#include "sim/store/results_store.hpp"

namespace fs = std::filesystem;
using namespace ddpsim;

namespace {

struct Outcome {
  int code = -1;       // exit status, -1 if killed by a signal
  int signal = 0;      // terminating signal, 0 if it exited
  std::string out, err;
};

class DbCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("ddpsim_dbcli_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::string file(const std::string& name) const { return (dir_ / name).string(); }

  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(file(name), std::ios::binary) << text;
    return file(name);
  }

  static std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  // Starts the binary with `args`, stdout and stderr to files named after `tag`.
  pid_t spawn(const std::vector<std::string>& args, const std::string& tag) const {
    std::string out = file(tag + ".out"), err = file(tag + ".err");
    pid_t pid = ::fork();
    if (pid == 0) {
      int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(o, 1);
      ::dup2(e, 2);
      std::vector<char*> argv;
      std::string bin = DDPSIM_BINARY;
      argv.push_back(bin.data());
      std::vector<std::string> copy = args;
      for (auto& a : copy) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(bin.c_str(), argv.data());
      ::_exit(127);
    }
    return pid;
  }

  Outcome wait(pid_t pid, const std::string& tag) const {
    int status = 0;
    ::waitpid(pid, &status, 0);
    Outcome o;
    if (WIFEXITED(status)) o.code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) o.signal = WTERMSIG(status);
    o.out = slurp(file(tag + ".out"));
    o.err = slurp(file(tag + ".err"));
    return o;
  }

  Outcome ddpsim(const std::vector<std::string>& args) const { return wait(spawn(args, "last"), "last"); }

  // All of `runs` that must not depend on how and when the rows were written, in hash order.
  static std::string runs_table(const std::string& db) {
    ResultsStore store(db, ResultsStore::Access::ReadOnly);
    auto all = run_query(store.db(), "SELECT * FROM runs ORDER BY config_hash, calibration_id, version");
    QueryResult kept;
    std::vector<std::size_t> cols;
    for (std::size_t i = 0; i < all.columns.size(); ++i) {
      const auto& c = all.columns[i];
      if (c == "id" || c == "sweep_id" || c == "created_at" || c == "sim_wall_s") continue;
      cols.push_back(i);
      kept.columns.push_back(c);
    }
    for (const auto& row : all.rows) {
      std::vector<QueryCell> r;
      for (auto i : cols) r.push_back(row[i]);
      kept.rows.push_back(r);
    }
    return format_query_result(kept, QueryFormat::Csv);
  }

  static long long count(const std::string& db, const std::string& sql) {
    ResultsStore store(db, ResultsStore::Access::ReadOnly);
    return store.db().scalar_int(sql).value_or(-1);
  }

  static std::string sweep_file(const std::string& extra = "") {
    return "name: cli\nworkload: resnet50\nhardware: [a100, h100]\nmode: constant_lbs\nlbs: 64\ngpus: 1..8 x2\nepochs: 1\n"
           "set: {dataset.train_samples: 20000, dataset.val_samples: 1000}\n" + extra;
  }

  static void expect_one_error_line(const Outcome& o, const std::string& expect) {
    EXPECT_EQ(o.code, 2) << o.err;
    EXPECT_EQ(o.signal, 0);
    EXPECT_EQ(o.err.rfind("ddpsim: error: ", 0), 0u) << o.err;
    EXPECT_EQ(std::count(o.err.begin(), o.err.end(), '\n'), 1) << o.err;
    EXPECT_NE(o.err.find(expect), std::string::npos) << o.err;
  }

  fs::path dir_;
};

}  // namespace

TEST_F(DbCli, HelpListsTheCommands) {
  auto h = ddpsim({"help"});
  EXPECT_EQ(h.code, 0);
  for (const char* c : {"sweep", "merge", "query"}) EXPECT_NE(h.out.find(std::string("  ") + c + " "), std::string::npos) << c;
  auto s = ddpsim({"sweep", "--help"});
  EXPECT_EQ(s.code, 0);
  for (const char* f : {"--db", "--jobs", "--shard", "--calibration", "--progress"}) EXPECT_NE(s.out.find(f), std::string::npos) << f;
  auto q = ddpsim({"query", "--help"});
  EXPECT_EQ(q.code, 0);
  for (const char* f : {"--best", "--deadline", "--pareto", "--scaling", "--format", "--workload"}) EXPECT_NE(q.out.find(f), std::string::npos) << f;
  EXPECT_EQ(ddpsim({"merge", "--help"}).code, 0);
}

TEST_F(DbCli, SweepThenQueryPrintsATable) {
  std::string sweep = write("s.yaml", sweep_file()), db = file("r.db");
  auto r = ddpsim({"sweep", sweep, "--db", db, "--jobs", "2"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_NE(r.out.find("sweep cli: 8 points; 0 invalid (skipped), 0 duplicate, 0 already stored, 8 to run with 2 threads"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("[8/8] "), std::string::npos) << r.out;  // not a terminal: one line per point
  EXPECT_EQ(r.out.find('\r'), std::string::npos);
  EXPECT_NE(r.out.find("done: 8 run, 0 reused, 0 invalid skipped, 0 failed"), std::string::npos) << r.out;

  auto q = ddpsim({"query", "--db", db, "SELECT hardware, gpus, lbs, gbs FROM runs ORDER BY hardware, gpus"});
  ASSERT_EQ(q.code, 0) << q.err;
  EXPECT_EQ(q.out,
            "hardware  gpus  lbs  gbs\n--------  ----  ---  ---\na100         1   64   64\na100         2   64  128\na100         4   64  256\n"
            "a100         8   64  512\nh100         1   64   64\nh100         2   64  128\nh100         4   64  256\nh100         8   64  512\n"
            "(8 rows)\n");
  auto csv = ddpsim({"query", "--db", db, "--format", "csv", "SELECT gpus, energy_kwh_total FROM runs WHERE hardware = 'a100' ORDER BY gpus"});
  ASSERT_EQ(csv.code, 0) << csv.err;
  EXPECT_EQ(csv.out.rfind("gpus,energy_kwh_total\n1,", 0), 0u) << csv.out;
  EXPECT_EQ(std::count(csv.out.begin(), csv.out.end(), '\n'), 5);
  auto json = ddpsim({"query", "--db", db, "--format", "json", "SELECT gpus FROM runs WHERE hardware = 'h100' AND gpus = 8"});
  EXPECT_EQ(json.out, "[\n  {\n    \"gpus\": 8\n  }\n]\n");

  auto best = ddpsim({"query", "--db", db, "--best", "energy", "--deadline", "24h", "--workload", "resnet50", "--limit", "3"});
  ASSERT_EQ(best.code, 0) << best.err;
  EXPECT_NE(best.out.find("(3 rows)"), std::string::npos) << best.out;
  auto pareto = ddpsim({"query", "--db", db, "--pareto", "--format", "csv"});
  ASSERT_EQ(pareto.code, 0) << pareto.err;
  EXPECT_EQ(pareto.out.rfind("workload,phase,hardware,mode,gpus,", 0), 0u);
  auto scaling = ddpsim({"query", "--db", db, "--scaling", "--hardware", "a100"});
  ASSERT_EQ(scaling.code, 0) << scaling.err;
  EXPECT_NE(scaling.out.find("(4 rows)"), std::string::npos) << scaling.out;
}

TEST_F(DbCli, BestRanksOnlyRunsThatDoTheSameWork) {
  // The case of the issue: a 1-GPU run on a scaled data set (5004 samples) costs less than any
  // run over the whole training set; --best must not rank it among them.
  std::string sweep = write("s.yaml",
                            "name: best-groups\nworkload: resnet50\nhardware: a100\nepochs: 1\n"
                            "set: {dataset.train_samples: 20000, dataset.val_samples: 1000}\ngrids:\n"
                            "  - {mode: constant_lbs, lbs: 256, gpus: [2, 4]}\n"
                            "  - {mode: scaled_dataset_constant_lbs, lbs: 256, samples_per_gpu: 5004, gpus: 1}\n");
  std::string db = file("r.db");
  auto r = ddpsim({"sweep", sweep, "--db", db, "--jobs", "1"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto best = ddpsim({"query", "--db", db, "--best", "energy", "--deadline", "24h", "--format", "csv"});
  ASSERT_EQ(best.code, 0) << best.err;
  std::vector<std::string> lines;
  std::stringstream ss(best.out);
  for (std::string l; std::getline(ss, l);) lines.push_back(l.substr(0, l.find(",resnet50,train,a100,") + 1) + l.substr(l.find(",a100,") + 6, 1));
  ASSERT_EQ(lines.size(), 4u) << best.out;
  EXPECT_EQ(best.out.rfind("work,rank,workload,phase,hardware,gpus,", 0), 0u) << best.out;
  EXPECT_EQ(lines[1], "resnet50/train samples=20000 epochs=1,1,4") << best.out;
  EXPECT_EQ(lines[2], "resnet50/train samples=20000 epochs=1,2,2") << best.out;
  EXPECT_EQ(lines[3], "resnet50/train samples=5004 epochs=1,1,1") << best.out;
  // Target runs are grouped by their target, not their (different) epochs.
  std::string ts = write("t.yaml", "name: targets\nworkload: resnet50\nhardware: a100\ntarget: [top1=0.72, top1=0.7]\nfast_forward: 1\n"
                                   "grids:\n  - {mode: constant_lbs, lbs: 256, gpus: [32, 64, 128]}\n");
  auto t = ddpsim({"sweep", ts, "--db", db, "--jobs", "1"});
  ASSERT_EQ(t.code, 0) << t.err;
  EXPECT_NE(t.out.find("n=128 lbs=256 target=top1=0.72 seed=1: --target: top1=0.72 is out of reach at GBS 32768"), std::string::npos) << t.out;
  EXPECT_EQ(count(db, "SELECT COUNT(*) FROM runs WHERE target_metric = 'top1' AND target_value = 0.72"), 2);
  auto tb = ddpsim({"query", "--db", db, "--best", "energy", "--workload", "resnet50", "--format", "csv"});
  ASSERT_EQ(tb.code, 0) << tb.err;
  EXPECT_NE(tb.out.find("resnet50/train samples=1281167 target top1=0.72,1,resnet50,train,a100,32,256,8192,100,"), std::string::npos) << tb.out;
  {
    // GBS 16 384 trains the epochs the shipped large-batch fit gives (more than the schedule's 100).
    ddpsim::Calibration cal = ddpsim::load_calibration(ddpsim::default_calibration_path());
    const ddpsim::ParamSet* lb = cal.large_batch("resnet50", "train");
    ASSERT_NE(lb, nullptr);
    const int epochs = ddpsim::plan_target(*lb, ddpsim::TargetMetric{"top1", true, 1}, 0.72, 16384, 100).epochs;
    EXPECT_GT(epochs, 100);
    EXPECT_NE(tb.out.find("resnet50/train samples=1281167 target top1=0.72,2,resnet50,train,a100,64,256,16384," + std::to_string(epochs) + ","),
              std::string::npos) << tb.out;
  }
  EXPECT_NE(tb.out.find("resnet50/train samples=1281167 target top1=0.7,3,resnet50,train,a100,128,"), std::string::npos) << tb.out;
}

TEST_F(DbCli, InvalidPointsAreReportedSkippedAndRecorded) {
  std::string sweep = write("s.yaml",
                            "name: bad-points\nworkload: resnet50\nhardware: a100\nepochs: 1\n"
                            "set: {dataset.train_samples: 20000, dataset.val_samples: 1000}\ngrids:\n"
                            "  - {mode: constant_lbs, lbs: [64, 512], gpus: [1, 2]}\n  - {mode: constant_gbs, gbs: 96, gpus: [3, 64]}\n");
  std::string db = file("r.db");
  auto r = ddpsim({"sweep", sweep, "--db", db, "--jobs", "1"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("3 invalid (skipped)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("skipped 3 invalid points:\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("resnet50 a100 n=1 lbs=512 epochs=1 seed=1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("allows at most LBS 475"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--gbs 96 is not divisible by --gpus 64"), std::string::npos) << r.out;
  EXPECT_EQ(count(db, "SELECT COUNT(*) FROM runs"), 3);
  EXPECT_EQ(count(db, "SELECT COUNT(*) FROM skipped WHERE kind = 'invalid'"), 3);
  EXPECT_EQ(count(db, "SELECT points_invalid FROM sweeps"), 3);
}

TEST_F(DbCli, BadSweepInputGivesOneMessageAndExit2WithoutTouchingTheDatabase) {
  std::string db = file("r.db");
  std::vector<std::pair<std::string, std::string>> cases = {
      {"name: x\nworkload: resnet50\nhardware: a100\ngpu: 4\nlbs: 1\n", "s.yaml:4: unknown key 'gpu' (did you mean 'gpus'?)"},
      {"name: x\nworkload: resnet50\nhardware: a100\ngpus: 1..4 x1\nlbs: 1\n", "s.yaml:4: 'gpus': geometric range"},
      {"name: x\nworkload: resnet50\nhardware: a100\ngpus: 4\nmode: strong\nlbs: 1\n", "s.yaml:5: unknown mode 'strong'"},
      {"name: x\nworkload: resnet50\nhardware: a100\ngpus: 4\nlbs: 1\nset: {loader.worker: [2, 4]}\n", "did you mean 'loader.workers'"},
  };
  for (const auto& [text, expect] : cases) {
    auto r = ddpsim({"sweep", write("s.yaml", text), "--db", db});
    expect_one_error_line(r, expect);
    EXPECT_FALSE(fs::exists(db)) << text;
  }
  std::string good = write("good.yaml", sweep_file());
  expect_one_error_line(ddpsim({"sweep", file("missing.yaml"), "--db", db}), "missing.yaml: no such sweep file");
  expect_one_error_line(ddpsim({"sweep", good}), "missing --db");
  expect_one_error_line(ddpsim({"sweep", good, "--db", db, "--jobs", "0"}), "--jobs must be a positive integer");
  expect_one_error_line(ddpsim({"sweep", good, "--db", db, "--shard", "2/2"}), "--shard expects i/N");
  expect_one_error_line(ddpsim({"sweep", good, "--db", db, "--job", "2"}), "did you mean '--jobs'");
  EXPECT_FALSE(fs::exists(db));
  expect_one_error_line(ddpsim({"merge", db}), "needs an output database and at least one input");
  expect_one_error_line(ddpsim({"query", "--db", db, "SELECT 1"}), "no such results database");
  expect_one_error_line(ddpsim({"query", "--db", db}), "give exactly one of");
  expect_one_error_line(ddpsim({"query", "--db", db, "--best", "energy", "--deadline", "tomorrow"}), "--deadline");
  expect_one_error_line(ddpsim({"query", "--db", db, "--pareto", "--format", "xls"}), "--format must be table, csv, json or codecarbon");
}

TEST_F(DbCli, RerunSkipsEverythingStored) {
  std::string sweep = write("s.yaml", sweep_file()), db = file("r.db");
  ASSERT_EQ(ddpsim({"sweep", sweep, "--db", db, "--jobs", "2"}).code, 0);
  std::string before = runs_table(db);
  auto again = ddpsim({"sweep", sweep, "--db", db, "--jobs", "2"});
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_NE(again.out.find("8 already stored, 0 to run"), std::string::npos) << again.out;
  EXPECT_NE(again.out.find("done: 0 run, 8 reused"), std::string::npos) << again.out;
  EXPECT_EQ(runs_table(db), before);
  EXPECT_EQ(count(db, "SELECT COUNT(*) FROM sweeps"), 2);
  // A grown sweep runs only the new points.
  auto grown = ddpsim({"sweep", write("s.yaml", sweep_file("seeds: [1, 2]\n")), "--db", db, "--jobs", "2"});
  ASSERT_EQ(grown.code, 0) << grown.err;
  EXPECT_NE(grown.out.find("8 already stored, 8 to run"), std::string::npos) << grown.out;
  EXPECT_EQ(count(db, "SELECT COUNT(*) FROM runs"), 16);
}

TEST_F(DbCli, QueryNeverModifiesTheDatabase) {
  std::string sweep = write("s.yaml", sweep_file()), db = file("r.db");
  ASSERT_EQ(ddpsim({"sweep", sweep, "--db", db, "--jobs", "2"}).code, 0);
  std::string bytes = slurp(db);
  struct stat st_before {};
  ASSERT_EQ(::stat(db.c_str(), &st_before), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // an mtime change would show

  auto bad = ddpsim({"query", "--db", db, "SELEC gpus FROM runs"});
  expect_one_error_line(bad, "SQL error: near \"SELEC\": syntax error");
  EXPECT_EQ(bad.out, "");
  expect_one_error_line(ddpsim({"query", "--db", db, "SELECT nope FROM runs"}), "no such column: nope");
  for (const char* sql : {"DELETE FROM runs", "DROP VIEW pareto", "UPDATE runs SET gpus = 0", "SELECT 1; DELETE FROM runs",
                          "INSERT INTO meta VALUES ('k', 'v')", "CREATE TABLE x (a)", "VACUUM"}) {
    auto r = ddpsim({"query", "--db", db, sql});
    EXPECT_EQ(r.code, 2) << sql << "\n" << r.err;
    EXPECT_NE(r.err.find("SQL error: "), std::string::npos) << sql << "\n" << r.err;
  }
  struct stat st_after {};
  ASSERT_EQ(::stat(db.c_str(), &st_after), 0);
  EXPECT_EQ(slurp(db), bytes);
  EXPECT_EQ(st_after.st_mtim.tv_sec, st_before.st_mtim.tv_sec);
  EXPECT_EQ(st_after.st_mtim.tv_nsec, st_before.st_mtim.tv_nsec);
  EXPECT_EQ(count(db, "SELECT COUNT(*) FROM runs"), 8);
}

TEST_F(DbCli, ForeignCorruptAndNewerFilesGiveClearErrors) {
  {
    Database foreign(file("foreign.db"), Database::Mode::ReadWriteCreate);
    foreign.exec("CREATE TABLE invoices (id INTEGER, total REAL)");
  }
  {
    std::ofstream out(file("corrupt.db"), std::ios::binary);
    std::uint32_t x = 2463534242u;
    for (int i = 0; i < 8192; ++i) {  // xorshift32 bytes
      x ^= x << 13;
      x ^= x >> 17;
      x ^= x << 5;
      out.put(static_cast<char>(x & 0xff));
    }
  }
  {
    ResultsStore newer(file("newer.db"), ResultsStore::Access::ReadWrite);
    newer.db().exec("PRAGMA user_version = 7");
  }
  // A corrupt results database: a valid header, then garbage over the schema pages.
  std::string sweep = write("s.yaml", sweep_file());
  ASSERT_EQ(ddpsim({"sweep", sweep, "--db", file("damaged.db"), "--jobs", "2"}).code, 0);
  {
    std::fstream f(file("damaged.db"), std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(100);
    for (int i = 0; i < 3000; ++i) f.put(static_cast<char>(0xA5));
  }
  std::vector<std::pair<std::string, std::string>> cases = {
      {"foreign.db", "an SQLite database of another application, not a ddpsim results database (tables: invoices)"},
      {"corrupt.db", "not an SQLite database or is corrupt"},
      {"newer.db", "written by a newer ddpsim (results schema version 7"},
      {"damaged.db", "corrupt"},
  };
  for (const auto& [name, expect] : cases) {
    std::string before = slurp(file(name));
    expect_one_error_line(ddpsim({"query", "--db", file(name), "SELECT COUNT(*) FROM runs"}), expect);
    expect_one_error_line(ddpsim({"sweep", sweep, "--db", file(name), "--jobs", "1"}), expect);
    expect_one_error_line(ddpsim({"merge", file("out.db"), file(name)}), expect);
    EXPECT_EQ(slurp(file(name)), before) << name << " was modified";
  }
  EXPECT_FALSE(fs::exists(file("out.db")));  // inputs are checked before the output is created
}

TEST_F(DbCli, TwoConcurrentSweepsLoseAndDuplicateNothing) {
  // Both start on a database that does not exist yet; points take a few ms so the writers overlap.
  std::string text = sweep_file("seeds: 1..4\n");
  text.replace(text.find("20000,"), 6, "300000,");
  std::string sweep = write("s.yaml", text), db = file("r.db");
  pid_t a = spawn({"sweep", sweep, "--db", db, "--jobs", "1"}, "a");
  pid_t b = spawn({"sweep", sweep, "--db", db, "--jobs", "1"}, "b");
  Outcome ra = wait(a, "a"), rb = wait(b, "b");
  ASSERT_EQ(ra.code, 0) << ra.err;
  ASSERT_EQ(rb.code, 0) << rb.err;
  // Each point was inserted by exactly one of them; the other reused it.
  auto inserted = [](const std::string& out) {
    auto p = out.find("done: ");
    return p == std::string::npos ? -1 : std::stoll(out.substr(p + 6));
  };
  EXPECT_EQ(inserted(ra.out) + inserted(rb.out), 32) << ra.out << rb.out;
  EXPECT_EQ(count(db, "SELECT COUNT(*) FROM runs"), 32);
  EXPECT_EQ(count(db, "SELECT COUNT(DISTINCT config_hash) FROM runs"), 32);
  EXPECT_EQ(count(db, "SELECT COUNT(*) FROM run_series"), 32);
  EXPECT_EQ(count(db, "SELECT COUNT(*) FROM sweep_points"), 64);  // each sweep answered all 32 points
  EXPECT_EQ(count(db, "SELECT COUNT(*) FROM sweeps WHERE status = 'done'"), 2);
  ASSERT_EQ(ddpsim({"sweep", sweep, "--db", file("ref.db"), "--jobs", "2"}).code, 0);
  EXPECT_EQ(runs_table(db), runs_table(file("ref.db")));
}

TEST_F(DbCli, SigkillMidwayLosesNoCommittedRowAndResumesToTheSameTable) {
  // 36 points of ~30 ms each, one thread: the kill lands mid-way (after 5 committed rows).
  std::string sweep = write("s.yaml",
                            "name: kill\nworkload: resnet50\nhardware: a100\nmode: constant_lbs\nlbs: 64\ngpus: [1, 2, 4]\nepochs: 1\n"
                            "seeds: 1..12\nset: {dataset.train_samples: 3000000, dataset.val_samples: 1000}\n");
  std::string db = file("killed.db");
  pid_t pid = spawn({"sweep", sweep, "--db", db, "--jobs", "1"}, "killed");
  long long seen = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    try {
      seen = count(db, "SELECT COUNT(*) FROM runs");
    } catch (const Error&) {
      continue;  // not created yet
    }
    if (seen >= 5) break;
  }
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  Outcome killed = wait(pid, "killed");
  ASSERT_EQ(killed.signal, SIGKILL) << "the sweep finished before the kill; make its points slower";
  long long after = count(db, "SELECT COUNT(*) FROM runs");
  EXPECT_GE(after, seen);  // nothing committed is lost
  EXPECT_LT(after, 36);
  EXPECT_EQ(count(db, "SELECT COUNT(*) FROM sweeps WHERE status = 'running'"), 1);  // visible as interrupted
  {
    ResultsStore store(db, ResultsStore::Access::ReadOnly);
    auto check = run_query(store.db(), "PRAGMA integrity_check");
    ASSERT_EQ(check.rows.size(), 1u);
    EXPECT_EQ(check.rows[0][0].s, "ok");
  }
  auto resumed = ddpsim({"sweep", sweep, "--db", db, "--jobs", "2"});
  ASSERT_EQ(resumed.code, 0) << resumed.err;
  EXPECT_NE(resumed.out.find(std::to_string(after) + " already stored, " + std::to_string(36 - after) + " to run"), std::string::npos)
      << resumed.out;
  ASSERT_EQ(ddpsim({"sweep", sweep, "--db", file("ref.db"), "--jobs", "2"}).code, 0);
  EXPECT_EQ(count(db, "SELECT COUNT(*) FROM runs"), 36);
  EXPECT_EQ(runs_table(db), runs_table(file("ref.db")));
}

TEST_F(DbCli, ShardsAreDisjointAndTheirMergeEqualsOneFullRun) {
  std::string sweep = write("s.yaml", sweep_file("seeds: [1, 2]\ngrids:\n  - {}\n  - {lbs: 512, hardware: a100}\n"));
  ASSERT_EQ(ddpsim({"sweep", sweep, "--db", file("full.db"), "--jobs", "2"}).code, 0);
  std::set<std::string> seen;
  long long skipped = 0;
  std::vector<std::string> merge_args = {"merge", file("merged.db")};
  for (int i = 0; i < 3; ++i) {
    std::string db = file("shard" + std::to_string(i) + ".db");
    auto r = ddpsim({"sweep", sweep, "--db", db, "--jobs", "1", "--shard", std::to_string(i) + "/3"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find(", shard " + std::to_string(i) + "/3: "), std::string::npos) << r.out;
    ResultsStore store(db, ResultsStore::Access::ReadOnly);
    for (const auto& row : run_query(store.db(), "SELECT config_hash FROM runs").rows) {
      EXPECT_TRUE(seen.insert(row[0].s).second) << row[0].s << " is in two shards";
    }
    skipped += store.db().scalar_int("SELECT COUNT(*) FROM skipped").value_or(0);
    merge_args.push_back(db);
  }
  EXPECT_EQ(static_cast<long long>(seen.size()), count(file("full.db"), "SELECT COUNT(*) FROM runs"));
  EXPECT_EQ(seen.size(), 16u);
  EXPECT_EQ(skipped, 8);  // LBS 512 on A100: every invalid point reported by exactly one shard
  auto m = ddpsim(merge_args);
  ASSERT_EQ(m.code, 0) << m.err;
  EXPECT_NE(m.out.find("merged.db: 16 runs"), std::string::npos) << m.out;
  EXPECT_EQ(runs_table(file("merged.db")), runs_table(file("full.db")));
  EXPECT_EQ(count(file("merged.db"), "SELECT COUNT(*) FROM skipped"), 8);
  auto again = ddpsim(merge_args);
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_NE(again.out.find("0 new runs, 6 already present"), std::string::npos) << again.out;  // shard 0: points 0, 3, ...
  EXPECT_EQ(runs_table(file("merged.db")), runs_table(file("full.db")));
}

TEST_F(DbCli, CarbonColumnsAndCodeCarbonRows) {
  std::string sweep = write("s.yaml",
                            "name: carbon\nworkload: resnet50\nhardware: a100\nmode: constant_lbs\nlbs: 64\ngpus: [1, 2]\nepochs: 1\n"
                            "set: {dataset.train_samples: 20000, dataset.val_samples: 1000, site.pue: [1.0, 1.5], "
                            "site.carbon_intensity: 400 g/kWh, site.energy_price: 0.3, site.currency: USD}\n");
  std::string db = file("r.db");
  auto r = ddpsim({"sweep", sweep, "--db", db, "--jobs", "1"});
  ASSERT_EQ(r.code, 0) << r.err;
  // The columns exist and hold energy x PUE, x intensity, x price.
  EXPECT_EQ(count(db, "SELECT COUNT(*) FROM runs"), 4);
  EXPECT_EQ(count(db, "SELECT COUNT(*) FROM runs WHERE abs(facility_energy_kwh - energy_kwh_total * "
                      "json_extract(result_json, '$.site.pue')) <= 1e-12 * energy_kwh_total "
                      "AND abs(emissions_kg_co2e - facility_energy_kwh * 0.4) <= 1e-12 * facility_energy_kwh "
                      "AND abs(cost - facility_energy_kwh * 0.3) <= 1e-12 * facility_energy_kwh AND cost > 0"), 4);
  EXPECT_EQ(count(db, "SELECT COUNT(DISTINCT json_extract(result_json, '$.site.pue')) FROM runs"), 2);

  auto cc = ddpsim({"query", "--db", db, "--format", "codecarbon"});
  ASSERT_EQ(cc.code, 0) << cc.err;
  std::istringstream in(cc.out);
  std::string header, line;
  std::getline(in, header);
  EXPECT_EQ(header,
            "timestamp,project_name,run_id,experiment_id,duration,emissions,emissions_rate,cpu_power,gpu_power,ram_power,"
            "cpu_energy,gpu_energy,ram_energy,energy_consumed,country_name,country_iso_code,region,cloud_provider,cloud_region,"
            "os,python_version,codecarbon_version,cpu_count,cpu_model,gpu_count,gpu_model,longitude,latitude,ram_total_size,"
            "tracking_mode,on_cloud,pue");
  std::vector<std::vector<std::string>> rows;
  while (std::getline(in, line)) {
    std::vector<std::string> cells;
    std::stringstream ss(line);
    std::string c;
    while (std::getline(ss, c, ',')) cells.push_back(c);
    if (!line.empty() && line.back() == ',') cells.push_back("");
    rows.push_back(cells);
  }
  ASSERT_EQ(rows.size(), 4u);  // one row per run
  std::set<std::string> pues, run_ids;
  for (const auto& c : rows) {
    ASSERT_EQ(c.size(), 32u) << line;
    EXPECT_EQ(c[0].size(), 19u) << c[0];  // 2024-01-01T00:00:00
    EXPECT_EQ(c[1], "ddpsim resnet50 train");
    run_ids.insert(c[2]);
    double duration = std::stod(c[4]), emissions = std::stod(c[5]);
    EXPECT_GT(duration, 0);
    EXPECT_GT(emissions, 0);
    EXPECT_NEAR(std::stod(c[6]), emissions / duration, 1e-6 * emissions / duration);
    double e = std::stod(c[10]) + std::stod(c[11]) + std::stod(c[12]);
    EXPECT_NEAR(std::stod(c[13]), e, 1e-6 * e);
    EXPECT_NEAR(std::stod(c[8]), std::stod(c[11]) * 3.6e6 / duration, 1e-6 * std::stod(c[8]));  // gpu_power = gpu_energy / duration
    double pue = std::stod(c[31]);
    EXPECT_NEAR(emissions, std::stod(c[13]) * pue * 0.4, 1e-6 * emissions);
    EXPECT_EQ(c[14], "");  // country_name: not known
    EXPECT_EQ(c[25], "a100");
    pues.insert(c[31]);
  }
  EXPECT_EQ(pues.size(), 2u);
  EXPECT_EQ(run_ids.size(), 4u);
  auto filtered = ddpsim({"query", "--db", db, "--format", "codecarbon", "--hardware", "a100"});
  ASSERT_EQ(filtered.code, 0) << filtered.err;
  EXPECT_EQ(std::count(filtered.out.begin(), filtered.out.end(), '\n'), 5);  // the header and the four runs
  // A filter no stored run matches is a typo until shown otherwise: one message with the stored names.
  expect_one_error_line(ddpsim({"query", "--db", db, "--format", "codecarbon", "--hardware", "h100"}),
                        "no stored run has hardware 'h100' (did you mean 'a100'?)");
  expect_one_error_line(ddpsim({"query", "--db", db, "--format", "codecarbon", "--pareto"}), "--format codecarbon writes the runs");
  expect_one_error_line(ddpsim({"query", "--db", db, "--format", "codecarbn", "--pareto"}), "did you mean 'codecarbon'");
  // A bad site value in a sweep is one message, exit 2.
  std::string bad = write("bad.yaml", "name: b\nworkload: resnet50\nhardware: a100\nlbs: 64\ngpus: 1\nepochs: 1\nset: {site.pue: 0.5}\n");
  expect_one_error_line(ddpsim({"sweep", bad, "--db", file("b.db")}), "site.pue = 0.5 is outside its valid range");
}

// --- Damaged databases: every way of reading one finds the damage, exit 2 naming the file ----

namespace {

// Files in `dir` (names only), to show that nothing was left behind.
std::set<std::string> names_in(const fs::path& dir) {
  std::set<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.insert(e.path().filename().string());
  return out;
}

// Offset of the only occurrence of `needle` in `bytes`, or npos if it is absent or not unique.
std::size_t unique_offset(const std::string& bytes, const std::string& needle) {
  std::size_t at = bytes.find(needle);
  if (at == std::string::npos || bytes.find(needle, at + 1) != std::string::npos) return std::string::npos;
  return at;
}

struct FlipTarget {
  std::int64_t run_id = 0;
  std::size_t offset = 0;  // of the digit changed
};

// The run whose "runtime_h" text lies furthest into the file, and the offset of its last digit:
// changing that digit alters only the bytes of one result_json, the page stays valid.
FlipTarget last_result_digit(const std::string& db, const std::string& bytes) {
  FlipTarget best;
  ResultsStore store(db, ResultsStore::Access::ReadOnly);
  for (const auto& row : run_query(store.db(), "SELECT id, result_json FROM runs").rows) {
    const std::string& json = row[1].s;
    std::size_t k = json.find("\"runtime_h\": ");
    if (k == std::string::npos) continue;
    std::size_t end = json.find_first_of(",\n", k);
    std::string text = json.substr(k, end - k);
    std::size_t at = unique_offset(bytes, text);
    if (at == std::string::npos) continue;
    std::size_t digit = at + text.size() - 1;
    if (digit >= best.offset) best = {row[0].i, digit};
  }
  return best;
}

}  // namespace

TEST_F(DbCli, AChangedDigitInOneStoredResultIsFoundByQueryMergeSweepAndCheck) {
  std::string sweep = write("s.yaml", sweep_file()), db = file("r.db");
  ASSERT_EQ(ddpsim({"sweep", sweep, "--db", db, "--jobs", "2"}).code, 0);
  ASSERT_FALSE(fs::exists(db + "-wal"));
  auto intact = ddpsim({"check", "--db", db});
  EXPECT_EQ(intact.code, 0) << intact.err;
  EXPECT_NE(intact.out.find("integrity_check ok"), std::string::npos) << intact.out;
  EXPECT_NE(intact.out.find("8 runs: 8 verified, 0 damaged, 0 unverified"), std::string::npos) << intact.out;

  std::string bytes = slurp(db);
  FlipTarget t = last_result_digit(db, bytes);
  ASSERT_GT(t.run_id, 0);
  ASSERT_GT(t.offset, bytes.size() / 2) << "the changed result should lie in the second half of the file";
  char& c = bytes[t.offset];
  ASSERT_TRUE(c >= '0' && c <= '9');
  c = c == '9' ? '0' : static_cast<char>(c + 1);
  std::string bad = write("bad.db", bytes);
  const std::string run = "run " + std::to_string(t.run_id) + " ";
  const std::string mismatch = "does not match its checksum";
  auto names_before = names_in(dir_);

  auto q = ddpsim({"query", "--db", bad, "SELECT id, result_json FROM runs"});
  expect_one_error_line(q, bad + ": damaged database: " + run);
  EXPECT_NE(q.err.find(mismatch), std::string::npos) << q.err;
  EXPECT_EQ(q.out, "");
  expect_one_error_line(ddpsim({"query", "--db", bad, "--pareto"}), run);

  auto m = ddpsim({"merge", file("out.db"), bad});
  expect_one_error_line(m, bad + ": damaged database: " + run);
  EXPECT_EQ(m.err.find(file("out.db")), std::string::npos) << "the input is to blame, not the output: " << m.err;
  // Into an existing output: it is left as it was.
  ASSERT_EQ(ddpsim({"merge", file("kept.db"), db}).code, 0);
  std::string kept = slurp(file("kept.db"));
  names_before = names_in(dir_);
  expect_one_error_line(ddpsim({"merge", file("kept.db"), db, bad}), run);
  EXPECT_EQ(slurp(file("kept.db")), kept);

  auto s = ddpsim({"sweep", sweep, "--db", bad, "--jobs", "1"});
  expect_one_error_line(s, bad + ": damaged database: " + run);
  EXPECT_EQ(s.out, "");

  auto ch = ddpsim({"check", "--db", bad});
  expect_one_error_line(ch, "1 of 8 stored results do not match their checksums (run " + std::to_string(t.run_id) + ")");
  EXPECT_NE(ch.out.find(bad + ": " + run), std::string::npos) << ch.out;
  EXPECT_NE(ch.out.find("8 runs: 7 verified, 1 damaged"), std::string::npos) << ch.out;

  EXPECT_EQ(slurp(bad), bytes) << "reading a damaged database changed it";
  EXPECT_EQ(names_in(dir_), names_before) << "a failed command left a file behind";
  EXPECT_FALSE(fs::exists(file("out.db")));
}

TEST_F(DbCli, RandomBytesOverAnyPageOfTheSecondHalfAreExit2NeverExit1) {
  std::string sweep = write("s.yaml", sweep_file()), db = file("r.db");
  ASSERT_EQ(ddpsim({"sweep", sweep, "--db", db, "--jobs", "2"}).code, 0);
  long long page = count(db, "PRAGMA page_size"), pages = count(db, "PRAGMA page_count");
  ASSERT_EQ(count(db, "PRAGMA freelist_count"), 0);  // every page is in use
  const std::string good = slurp(db);
  ASSERT_EQ(static_cast<long long>(good.size()), page * pages);
  std::uint32_t x = 88172645u;
  for (long long p = pages / 2; p < pages; ++p) {
    std::string bytes = good;
    for (long long i = 0; i < page; ++i) {  // xorshift32 over page p + 1 (pages count from 1)
      x ^= x << 13;
      x ^= x >> 17;
      x ^= x << 5;
      bytes[static_cast<std::size_t>(p * page + i)] = static_cast<char>(x & 0xff);
    }
    for (const char* suffix : {"-wal", "-shm"}) fs::remove(file("bad.db") + suffix);
    std::string bad = write("bad.db", bytes);
    SCOPED_TRACE("page " + std::to_string(p + 1) + " of " + std::to_string(pages));
    auto q = ddpsim({"query", "--db", bad, "SELECT id, length(result_json) FROM runs"});
    expect_one_error_line(q, bad + ": ");
    EXPECT_NE(q.err.find("damaged"), std::string::npos) << q.err;
    expect_one_error_line(ddpsim({"merge", file("out.db"), bad}), bad);
    EXPECT_FALSE(fs::exists(file("out.db")));
    expect_one_error_line(ddpsim({"sweep", sweep, "--db", bad, "--jobs", "1"}), bad);
    auto ch = ddpsim({"check", "--db", bad});
    expect_one_error_line(ch, bad + ": ");
  }
}

TEST_F(DbCli, CorruptionFoundMidQueryIsDatabaseCorrupt) {
  // Below the checks on opening: a statement that reads a damaged page throws DatabaseCorrupt
  // (an InputError: exit 2) naming the file, not an IoError (exit 1).
  std::string sweep = write("s.yaml", sweep_file()), db = file("r.db");
  ASSERT_EQ(ddpsim({"sweep", sweep, "--db", db, "--jobs", "2"}).code, 0);
  std::string bytes = slurp(db);
  FlipTarget t = last_result_digit(db, bytes);
  ASSERT_GT(t.offset, 0u);
  const std::size_t page = static_cast<std::size_t>(count(db, "PRAGMA page_size"));
  for (std::size_t i = t.offset / page * page; i < (t.offset / page + 1) * page; ++i) bytes[i] = static_cast<char>(0xA5);
  std::string bad = write("bad.db", bytes);
  Database raw(bad, Database::Mode::ReadOnly);
  try {
    run_query(raw, "SELECT SUM(length(result_json)) FROM runs", {});
    FAIL() << "the damaged page was not noticed";
  } catch (const DatabaseCorrupt& e) {
    EXPECT_NE(std::string(e.what()).find(bad + ": damaged database"), std::string::npos) << e.what();
  }
  EXPECT_THROW(ResultsStore(bad, ResultsStore::Access::ReadOnly).verify_on_open(), InputError);
}

TEST_F(DbCli, MergeWithADamagedInputCreatesNoOutput) {
  std::string sweep = write("s.yaml", sweep_file()), db = file("r.db");
  ASSERT_EQ(ddpsim({"sweep", sweep, "--db", db, "--jobs", "2"}).code, 0);
  std::string bytes = slurp(db);
  const std::size_t page = static_cast<std::size_t>(count(db, "PRAGMA page_size"));
  // The header and schema intact, garbage over the last page: found only when the data is read.
  for (std::size_t i = bytes.size() - page; i < bytes.size(); ++i) bytes[i] = static_cast<char>(0x5A);
  std::string bad = write("bad.db", bytes);
  auto before = names_in(dir_);
  auto m = ddpsim({"merge", file("out.db"), db, bad});
  expect_one_error_line(m, bad + ": damaged database");
  EXPECT_EQ(m.err.find(file("out.db")), std::string::npos) << m.err;
  EXPECT_EQ(m.out, "");
  EXPECT_FALSE(fs::exists(file("out.db")));
  EXPECT_EQ(names_in(dir_), before) << "merge left a file behind";
  // A good merge into a new file leaves exactly that file.
  auto ok = ddpsim({"merge", file("out.db"), db});
  ASSERT_EQ(ok.code, 0) << ok.err;
  before.insert("out.db");
  EXPECT_EQ(names_in(dir_), before);
  EXPECT_EQ(runs_table(file("out.db")), runs_table(db));
  EXPECT_EQ(ddpsim({"check", "--db", file("out.db")}).code, 0);
}

TEST_F(DbCli, RowsWrittenBeforeChecksumsAreUnverifiedNotDamaged) {
  std::string sweep = write("s.yaml", sweep_file()), db = file("r.db");
  ASSERT_EQ(ddpsim({"sweep", sweep, "--db", db, "--jobs", "2"}).code, 0);
  {
    Database old(db, Database::Mode::ReadWriteCreate);  // as an older ddpsim wrote it
    old.exec("ALTER TABLE runs DROP COLUMN checksum");
  }
  auto q = ddpsim({"query", "--db", db, "SELECT COUNT(*) FROM runs"});
  EXPECT_EQ(q.code, 0) << q.err;
  auto ch = ddpsim({"check", "--db", db});
  EXPECT_EQ(ch.code, 0) << ch.err;
  EXPECT_NE(ch.out.find("8 runs: 0 verified, 0 damaged, 8 unverified"), std::string::npos) << ch.out;
  // The first write adds the column; the new rows carry checksums, the old ones stay unverified.
  auto grown = ddpsim({"sweep", write("s.yaml", sweep_file("seeds: [1, 2]\n")), "--db", db, "--jobs", "2"});
  ASSERT_EQ(grown.code, 0) << grown.err;
  ch = ddpsim({"check", "--db", db});
  EXPECT_EQ(ch.code, 0) << ch.err;
  EXPECT_NE(ch.out.find("16 runs: 8 verified, 0 damaged, 8 unverified"), std::string::npos) << ch.out;
  // A merge carries the checksums (and their absence) over.
  ASSERT_EQ(ddpsim({"merge", file("m.db"), db}).code, 0);
  ch = ddpsim({"check", "--db", file("m.db")});
  EXPECT_NE(ch.out.find("16 runs: 8 verified, 0 damaged, 8 unverified"), std::string::npos) << ch.out;
}

TEST_F(DbCli, CheckNeedsAResultsDatabase) {
  expect_one_error_line(ddpsim({"check"}), "missing --db");
  expect_one_error_line(ddpsim({"check", "--db", file("none.db")}), "no such results database");
  expect_one_error_line(ddpsim({"chek", "--db", file("none.db")}), "did you mean 'check'");
  EXPECT_FALSE(fs::exists(file("none.db")));
}
