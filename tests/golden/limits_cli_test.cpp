// Hostile and careless input at the CLI: every bound declared in sim/core/limits.hpp, stray
// arguments, duplicate keys, escaped messages, nothing created or left behind on bad input.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <set>
#include <string>

#include "tests/golden/cli_fixture.hpp"
#include "sim/core/errors.hpp"
#include "sim/core/limits.hpp"

namespace fs = std::filesystem;
using namespace ddpsim;

namespace {
using ddpsim_test::CliDir;
using Limits = CliDir;

const std::string kRun = "run --workload resnet50 --hardware a100 --lbs 256 ";
}  // namespace

TEST(LimitsUnit, QuoteUserEscapesAndCuts) {
  EXPECT_EQ(quote_user("a\nb\x1b[2J"), "'a\\nb\\x1b[2J'");
  std::string big(5000, '9');
  std::string q = quote_user(big);
  EXPECT_EQ(q, "'" + std::string(200, '9') + "'... (5000 characters)");
  EXPECT_EQ(limit_of(Limit::kGpus), 1048576);
  EXPECT_THROW(check_limit(Limit::kRepeats, 10001, "repeats"), InputError);
  EXPECT_NO_THROW(check_limit(Limit::kRepeats, 10000, "repeats"));
  EXPECT_EQ(parse_bounded_positive("--gpus", "1048576", Limit::kGpus), 1048576);
  EXPECT_THROW(parse_bounded_positive("--gpus", "1048577", Limit::kGpus), InputError);
  EXPECT_THROW(parse_bounded_positive("--gpus", "99999999999999999999999", Limit::kGpus), InputError);
  EXPECT_THROW(parse_bounded_positive("--gpus", "-4", Limit::kGpus), InputError);
}

TEST_F(Limits, FlagsAboveTheirBoundsAreRejectedNamingTheLimit) {
  one_error(ddpsim("collective --hardware a100 --gpus 10000000 --bytes 25MB"), "limit.gpus; got '10000000'");
  one_error(ddpsim(kRun + "--gpus 4 --epochs 2000000000"), "--epochs must be an integer in 1..1000000");
  one_error(ddpsim(kRun + "--gpus 4 --repeats 1000000000"), "--repeats must be an integer in 1..10000");
  one_error(ddpsim(kRun + "--gpus 2147483648"), "got '2147483648'");  // not wrapped to a negative number
}

TEST_F(Limits, StrayArgumentsAreErrors) {
  one_error(ddpsim(kRun + "--gpus 4 --epochs 1 extra"), "unexpected argument 'extra'");
  one_error(ddpsim("list params extra"), "extra");
}

TEST_F(Limits, MessagesQuoteUserTextEscapedAndShort) {
  auto r = ddpsim("run --workload \"$(printf 'res\\033[2Jnet\\nx')\" --hardware a100 --gpus 4 --lbs 256");
  one_error(r, "'res\\x1b[2Jnet\\nx'");
  EXPECT_EQ(r.err.find('\x1b'), std::string::npos);
  auto big = ddpsim(kRun + "--gpus 4 --set gpu.tdp=" + std::string(100000, '9') + "W");
  one_error(big, "... (100001 characters)");
  EXPECT_LT(big.err.size(), 600u);
}

TEST_F(Limits, SweepsAreCountedBeforeTheyAreExpanded) {
  std::string head = "name: x\nworkload: resnet50\nhardware: a100\nmode: constant_lbs\nlbs: 64\ngpus: 4\nepochs: 1\n";
  // 10^8 override combinations from a few hundred bytes: refused at once, no database.
  std::string set = "set: {";
  for (const char* p : {"gpu.power_limit", "gpu.tdp", "cpu.idle_power", "ram.power", "cpu.tdp", "nic.latency", "loader.workers", "loader.prefetch_factor"}) {
    std::string unit = std::string(p) == "nic.latency" ? " us" : std::string(p).rfind("loader.", 0) == 0 ? "" : " W";
    set += std::string(set.size() > 6 ? ", " : "") + p + ": [";
    for (int i = 1; i <= 10; ++i) set += std::string(i > 1 ? ", " : "") + std::to_string(unit.empty() ? i : i * 10 + 100) + unit;
    set += "]";
  }
  set += "}\n";
  one_error(ddpsim("sweep '" + write("big.yaml", head + set) + "' --db r.db"), "more than 1000000 points (limit.sweep_points)");
  EXPECT_FALSE(fs::exists(file("r.db")));
  // Integers above their limit are errors at their line, never clamped.
  one_error(ddpsim("sweep '" + write("g.yaml", "name: x\nworkload: resnet50\nhardware: a100\nmode: constant_lbs\nlbs: 64\ngpus: 2147483648\nepochs: 1\n") +
                   "' --db r.db"),
            "g.yaml:6: 'gpus': 2147483648 is above limit.gpus = 1048576");
  // Above 10000 points a sweep asks for --yes first.
  std::string many = write("many.yaml", "name: x\nworkload: resnet50\nhardware: a100\nmode: constant_lbs\nlbs: 1..20000 +1\ngpus: 4\nepochs: 1\n");
  one_error(ddpsim("sweep '" + many + "' --db r.db"), "plans 20000 points");
  EXPECT_FALSE(fs::exists(file("r.db")));
}

TEST_F(Limits, DuplicateKeysAreErrorsWithBothLines) {
  std::string s = write("d.yaml", "name: x\nworkload: resnet50\nhardware: a100\nlbs: 64\ngpus: 4\nlbs: 128\n");
  one_error(ddpsim("sweep '" + s + "' --db r.db"), "d.yaml:6: duplicate key 'lbs' (first at line 4)");
  std::string hw = write("hw.yaml", "name: mine\ndescription: x\nparams:\n  gpu:\n    tdp: 400 W\n    tdp: 300 W\n");
  one_error(ddpsim("run --workload resnet50 --lbs 256 --gpus 4 --hardware '" + hw + "'"), "duplicate key 'tdp' (first at line 5)");
  EXPECT_FALSE(fs::exists(file("r.db")));
}

TEST_F(Limits, MissingSweepCalibrationCreatesNoDatabase) {
  std::string s = write("c.yaml", "name: x\ncalibration: nothere.yaml\nworkload: resnet50\nhardware: a100\nmode: constant_lbs\nlbs: 64\ngpus: 4\nepochs: 1\n");
  one_error(ddpsim("sweep '" + s + "' --db r.db"), "nothere.yaml");
  EXPECT_FALSE(fs::exists(file("r.db")));
}

TEST_F(Limits, QueriesLeaveNothingBesideAClosedDatabaseAndCheckFilterNames) {
  std::string s = write("s.yaml", "name: small\nworkload: resnet50\nhardware: a100\nmode: constant_lbs\nlbs: 64\ngpus: 1..2 x2\nepochs: 1\n"
                                  "set: {dataset.train_samples: 20000, dataset.val_samples: 1000}\n");
  ASSERT_EQ(ddpsim("sweep '" + s + "' --db r.db --progress none").code, 0);
  ASSERT_FALSE(fs::exists(file("r.db-wal")));
  auto q = ddpsim("query --db r.db \"SELECT COUNT(*) FROM runs\"");
  EXPECT_EQ(q.code, 0) << q.err;
  EXPECT_NE(q.out.find("2"), std::string::npos);
  EXPECT_FALSE(fs::exists(file("r.db-wal")));
  EXPECT_FALSE(fs::exists(file("r.db-shm")));
  one_error(ddpsim("query --db r.db --pareto --workload resnet5O"), "did you mean 'resnet50'?");
  one_error(ddpsim("query --db r.db --scaling --sweep smal"), "did you mean 'small'?");
  EXPECT_EQ(ddpsim("query --db r.db --pareto --workload resnet50").code, 0);
}

TEST_F(Limits, OversizedTraceFilesAreRefusedBeforeReading) {
  // One line more than limit.input_rows in a Zeus-style CSV (short lines: about 14 MB).
  std::string path = file("summary_power_v100.csv");
  {
    std::ofstream out(path, std::ios::binary);
    out << "dataset,network,batch_size,optimizer,power_limit,time_per_epoch,average_power\n";
    for (long long i = 0; i < limit_of(Limit::kInputRows); ++i) out << "a,b,1,c,1,1,1\n";
  }
  one_error(ddpsim("calibrate --traces '" + dir_.string() + "' --out out.yaml"), "limit.input_rows");
  EXPECT_FALSE(fs::exists(file("out.yaml")));
}

// Output files: written to a temporary beside the target, renamed on success; a target that
// cannot be a file is one message, exit 2, and nothing is created or left behind.
TEST_F(Limits, OutputFilesAreCompleteOrAbsent) {
  auto names = [&] {
    std::set<std::string> out;
    for (const auto& e : fs::directory_iterator(dir_)) {
      std::string n = e.path().filename().string();
      if (n != "stdout" && n != "stderr") out.insert(n);
    }
    return out;
  };
  const std::string measured = std::string("--measured '") + DDPSIM_DATA_DIR + "/experiments/reference/calibration-set.yaml' ";
  fs::create_directories(dir_ / "outdir");
  auto before = names();
  auto d = ddpsim("calibrate " + measured + "--out outdir");
  one_error(d, "--out 'outdir' is a directory; give a file name");
  EXPECT_EQ(d.err.find("filesystem"), std::string::npos) << d.err;
  one_error(ddpsim("calibrate " + measured + "--out '" + (dir_ / "outdir").string() + "'"), "is a directory");
  EXPECT_TRUE(fs::is_empty(dir_ / "outdir"));
  one_error(ddpsim("calibrate " + measured + "--out missing/c.yaml"), "--out 'missing/c.yaml': directory 'missing' does not exist");
  one_error(ddpsim("calibrate " + measured + "--out outdir/x/c.yaml"), "does not exist");
  // A calibration that fails (here: a missing input) leaves no temporary.
  EXPECT_EQ(ddpsim("calibrate --measured nope.yaml --out c.yaml").code, 2);
  one_error(ddpsim(kRun + "--gpus 1 --epochs 1 --power-trace outdir"), "--power-trace 'outdir' is a directory");
  EXPECT_EQ(names(), before);
  EXPECT_TRUE(fs::is_empty(dir_ / "outdir"));
  // Success leaves exactly the file.
  auto ok = ddpsim("calibrate " + measured + "--max-iterations 1 --out outdir/c.yaml");
  ASSERT_EQ(ok.code, 0) << ok.err;
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_ / "outdir"), fs::directory_iterator()), 1);
  EXPECT_NE(ok.out.find("wrote outdir/c.yaml"), std::string::npos) << ok.out;
}

TEST_F(Limits, PointsThatDoNotFillWholeNodesAreInvalidBeforeAnythingRuns) {
  std::string s = write("n.yaml", "name: x\nworkload: resnet50\nhardware: a100\nmode: constant_lbs\nlbs: 64\ngpus: [4, 405]\nepochs: 1\n"
                                  "set: {dataset.train_samples: 20000, dataset.val_samples: 1000}\n");
  auto r = ddpsim("sweep '" + s + "' --db r.db --progress none");
  EXPECT_EQ(r.code, 0) << r.err;  // not a failure at run time
  EXPECT_NE(r.out.find("1 invalid (skipped)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("does not fill whole nodes of 4 GPUs"), std::string::npos) << r.out;
  one_error(ddpsim(kRun + "--gpus 405 --epochs 1"), "--gpus 405 does not fill whole nodes of 4 GPUs");
}

TEST_F(Limits, ACaptureWithOneStepPerRankNamesItsFile) {
  fs::create_directories(dir_ / "cap");
  write("cap/meta.yaml", "format: \"ddpsim-capture/1\"\nworkload: \"resnet50\"\nhardware: \"a100\"\nworld_size: 2\nlbs: 8\ngbs: 16\n");
  write("cap/steps.csv",
        "rank,step,data_wait_s,forward_s,backward_s,allreduce_wait_s,optimizer_s,start_unix_s\n"
        "0,0,0.1,0.07,0.05,0.0004,0.0006,1796249176.3\n1,0,0.1,0.07,0.05,0.0004,0.0006,1796249176.3\n");
  one_error(ddpsim("calibrate --traces '" + file("cap") + "' --out out.yaml"), "cap/steps.csv: rank 0 has no step after its first (warm-up) step");
  EXPECT_FALSE(fs::exists(file("out.yaml")));
}
