// experiments/capture/ on CPU: the example DDP job (2 gloo ranks) writes steps.csv, a power
// CSV and meta.yaml that the C++ readers read; the power sampler's nvidia-smi and NVML paths
// are exercised with a stand-in nvidia-smi script and a stand-in pynvml module.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "calibration/readers.hpp"

namespace fs = std::filesystem;
using namespace ddpsim;

namespace {

const std::string kCaptureDir = std::string(DDPSIM_TEST_DIR) + "/../experiments/capture";

// A fresh directory per test, removed when the test passes.
class Capture : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() / ("ddpsim_capture_" + std::to_string(::getpid()) + "_" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);
  }
  // Runs a shell command (killed after 120 s: a hang fails the test), its output into log.txt;
  // returns the exit status (124: timed out).
  int run(const std::string& command) const {
    fs::path script = dir_ / "command.sh";
    std::ofstream(script) << command << "\n";
    std::string cmd = "timeout -k 5 120 sh '" + script.string() + "' >>'" + (dir_ / "log.txt").string() + "' 2>&1";
    int status = std::system(cmd.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  // The commands' output.
  std::string output() const {
    std::ifstream in(dir_ / "log.txt");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  // The output for a failure message, with a hint if the cause is a Python without torch.
  std::string log() const {
    std::stringstream ss;
    ss << output();
    std::string check = std::string("'") + DDPSIM_PYTHON + "' -c 'import torch' >/dev/null 2>&1";
    if (std::system(check.c_str()) != 0) {
      ss << "\n" << DDPSIM_PYTHON << " cannot import torch: install python3-torch (experiments/setup.sh does)";
    }
    return ss.str();
  }
  void write(const fs::path& path, const std::string& text, bool executable = false) const {
    std::ofstream(path) << text;
    if (executable) fs::permissions(path, fs::perms::owner_all, fs::perm_options::add);
  }
  // Samples power for 0.6 s at 0.05 s with ddpsim_capture.PowerSampler; `env` prefixes the command.
  std::string sample_power(const std::string& env) const {
    write(dir_ / "sample.py",
          "import sys, time\n"
          "sys.path.insert(0, '" + kCaptureDir + "')\n"
          "import ddpsim_capture as c\n"
          "s = c.PowerSampler(sys.argv[1], 0.05).start()\n"
          "time.sleep(0.6)\n"
          "s.stop()\n"
          "print('source', s.source)\n");
    std::string out = (dir_ / "power.csv").string();
    EXPECT_EQ(run(env + " '" + DDPSIM_PYTHON + "' '" + (dir_ / "sample.py").string() + "' '" + out + "'"), 0) << log();
    return out;
  }
  fs::path dir_;
};

}  // namespace

TEST_F(Capture, ExampleJobOnTwoCpuRanksWritesWhatTheReadersRead) {
  const int steps = 5;
  std::string cmd = std::string("'") + DDPSIM_PYTHON + "' '" + kCaptureDir + "/example_train.py' --device cpu --backend gloo " +
                    "--world-size 2 --steps " + std::to_string(steps) + " --lbs 4 --out '" + dir_.string() + "'";
  ASSERT_EQ(run(cmd), 0) << log();

  auto rows = read_step_csv((dir_ / "steps.csv").string());
  ASSERT_EQ(rows.size(), 2u * steps) << log();
  std::set<std::pair<int, long long>> seen;
  for (const auto& r : rows) {
    seen.insert({r.rank, r.step});
    EXPECT_GT(r.forward_s, 0) << "line " << r.line;
    EXPECT_GT(r.backward_s, 0) << "line " << r.line;
    EXPECT_GT(r.optimizer_s, 0) << "line " << r.line;
    EXPECT_GE(r.data_wait_s, 0) << "line " << r.line;
    EXPECT_GE(r.allreduce_wait_s, 0) << "line " << r.line;
    EXPECT_LT(r.step_s(), 10.0) << "line " << r.line;
  }
  EXPECT_EQ(seen.size(), 2u * steps);  // every (rank, step) once
  EXPECT_EQ(seen.begin()->second, 0);
  EXPECT_EQ(seen.rbegin()->first, 1);
  auto summary = summarize_steps(rows, 1);
  EXPECT_EQ(summary.ranks.size(), 2u);
  EXPECT_EQ(summary.overall.steps, 2u * (steps - 1));
  EXPECT_GT(summary.overall.step_s, 0);

  // One power file for this host; without a GPU it holds the note and no samples.
  std::vector<fs::path> power;
  for (const auto& e : fs::directory_iterator(dir_)) {
    if (e.path().filename().string().starts_with("power_")) power.push_back(e.path());
  }
  ASSERT_EQ(power.size(), 1u);
  auto log_csv = read_nvidia_smi_csv(power[0].string());
  EXPECT_TRUE(log_csv.header);
  ASSERT_FALSE(log_csv.notes.empty());
  if (log_csv.notes[0].starts_with("no GPU")) {
    EXPECT_TRUE(log_csv.samples.empty());
  } else {
    EXPECT_FALSE(log_csv.samples.empty());
  }

  YAML::Node meta = YAML::LoadFile((dir_ / "meta.yaml").string());
  EXPECT_EQ(meta["format"].as<std::string>(), "ddpsim-capture/1");
  EXPECT_EQ(meta["workload"].as<std::string>(), "example-cnn");
  EXPECT_EQ(meta["world_size"].as<int>(), 2);
  EXPECT_EQ(meta["lbs"].as<int>(), 4);
  EXPECT_EQ(meta["gbs"].as<int>(), 8);
  EXPECT_DOUBLE_EQ(meta["interval_s"].as<double>(), 0.1);
  EXPECT_EQ(meta["backend"].as<std::string>(), "gloo");
  EXPECT_FALSE(meta["torch_version"].as<std::string>().empty());
  EXPECT_FALSE(meta["hostname"].as<std::string>().empty());
  EXPECT_FALSE(meta["date"].as<std::string>().empty());
}

TEST_F(Capture, PowerSamplerRunsNvidiaSmiWhenThereIsNoPynvml) {
  // A stand-in nvidia-smi: "-L" lists one GPU; a query prints two GPUs every 50 ms, noheader,nounits.
  fs::create_directories(dir_ / "bin");
  write(dir_ / "bin" / "nvidia-smi",
        "#!/bin/sh\n"
        "for a in \"$@\"; do [ \"$a\" = -L ] && { echo 'GPU 0: Stand-in'; exit 0; }; done\n"
        "while true; do\n"
        "  t=$(date '+%Y/%m/%d %H:%M:%S.%3N')\n"
        "  echo \"$t, 0, 100.50, 40\"\n"
        "  echo \"$t, 1, [N/A], 50\"\n"
        "  sleep 0.05\n"
        "done\n",
        true);
  auto log_csv = read_nvidia_smi_csv(sample_power("PATH='" + (dir_ / "bin").string() + "':\"$PATH\""));
  EXPECT_NE(output().find("source nvidia-smi"), std::string::npos) << log();
  EXPECT_TRUE(log_csv.header);
  ASSERT_GE(log_csv.samples.size(), 4u);
  EXPECT_EQ(log_csv.gpus(), (std::vector<int>{0, 1}));
  EXPECT_GE(log_csv.missing_values, 2);
  auto sum = summarize(log_csv);
  EXPECT_DOUBLE_EQ(sum[0].mean_power_w, 100.5);
  EXPECT_DOUBLE_EQ(sum[0].mean_utilization_pct, 40);
  EXPECT_GT(sum[0].duration_s, 0);
  EXPECT_NEAR(sum[0].energy_j, 100.5 * sum[0].duration_s, 1e-6);
  EXPECT_EQ(sum[1].samples, 0u);
}

TEST_F(Capture, PowerSamplerUsesPynvmlWhenItImports) {
  fs::create_directories(dir_ / "py");
  write(dir_ / "py" / "pynvml.py",
        "class _Util:\n    gpu = 97\n"
        "def nvmlInit(): pass\n"
        "def nvmlShutdown(): pass\n"
        "def nvmlDeviceGetCount(): return 2\n"
        "def nvmlDeviceGetHandleByIndex(i): return i\n"
        "def nvmlDeviceGetPowerUsage(h): return 250000 + 1000 * h  # mW\n"
        "def nvmlDeviceGetUtilizationRates(h): return _Util()\n");
  auto log_csv = read_nvidia_smi_csv(sample_power("PYTHONPATH='" + (dir_ / "py").string() + "'"));
  EXPECT_NE(output().find("source pynvml"), std::string::npos) << log();
  ASSERT_GE(log_csv.samples.size(), 4u);
  EXPECT_EQ(log_csv.gpus(), (std::vector<int>{0, 1}));
  EXPECT_EQ(log_csv.missing_values, 0);
  auto sum = summarize(log_csv);
  EXPECT_DOUBLE_EQ(sum[0].mean_power_w, 250);
  EXPECT_DOUBLE_EQ(sum[1].mean_power_w, 251);
  EXPECT_DOUBLE_EQ(sum[1].mean_utilization_pct, 97);
}
