// Round trip: what `ddpsim run --power-trace F --trace-format nvidia-smi|perun` writes, the
// readers of `calibrate` read back, and the per-GPU power and energy agree with
// `run --format json` within the sampling error bounded below.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "calibration/readers.hpp"

namespace fs = std::filesystem;
using namespace ddpsim;

namespace {

fs::path temp_dir() {
  static fs::path dir = [] {
    auto d = fs::temp_directory_path() / ("ddpsim_roundtrip_" + std::to_string(::getpid()));
    fs::create_directories(d);
    return d;
  }();
  return dir;
}

// Runs ddpsim with `args`; returns stdout (fails the test on a non-zero exit).
std::string run_ddpsim(const std::string& args) {
  fs::path out = temp_dir() / "stdout";
  std::string cmd = std::string("'") + DDPSIM_BINARY + "' " + args + " >'" + out.string() + "'";
  int status = std::system(cmd.c_str());
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << cmd;
  std::ifstream in(out);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

constexpr double kJPerKwh = 3.6e6;
constexpr double kInterval = 0.05;  // --sample-interval 50ms
// Two nodes of 4 A100s, about 6.7 s of training: 134 samples per GPU.
const std::string kRun = "run --workload resnet50 --hardware a100 --gpus 8 --lbs 64 --epochs 1 --samples-per-gpu 2000 --sample-interval 50ms ";

struct Reported {
  double runtime_s, gpu_j, cpu_j, ram_j, total_j, mean_gpu_w;
};

Reported reported(const std::string& json) {
  YAML::Node j = YAML::Load(json);  // JSON is YAML
  return {j["runtime_h"].as<double>() * 3600, j["energy_kwh"]["gpu"].as<double>() * kJPerKwh, j["energy_kwh"]["cpu"].as<double>() * kJPerKwh,
          j["energy_kwh"]["ram"].as<double>() * kJPerKwh, j["energy_kwh"]["total"].as<double>() * kJPerKwh,
          j["mean_power_w"]["gpu"].as<double>()};
}

void expect_rel(double a, double b, double rel, const std::string& what) {
  EXPECT_NEAR(a, b, rel * std::max(std::abs(a), std::abs(b))) << what;
}

}  // namespace

TEST(TraceRoundTrip, PerunJsonReadsBackTheRunsEnergyPerHostGroupAndGpu) {
  fs::path p = temp_dir() / "perun.json";
  Reported rep = reported(run_ddpsim(kRun + "--format json --power-trace '" + p.string() + "' --trace-format perun --start 2026-01-01T00:00:00Z"));
  PerunExport e = read_perun_json(p.string());
  EXPECT_EQ(e.app_id, "resnet50");
  ASSERT_EQ(e.runs.size(), 1u);
  ASSERT_EQ(e.hosts.size(), 2u);
  ASSERT_EQ(e.sensors.size(), 8u);
  // The JSON writer keeps 10 significant digits; run --format json as well.
  const double rel = 1e-8;
  expect_rel(e.runs[0].runtime_s, rep.runtime_s, rel, "runtime");
  expect_rel(e.runs[0].energy_j, rep.total_j, rel, "run energy");
  expect_rel(e.runs[0].gpu_energy_j, rep.gpu_j, rel, "run GPU energy");
  expect_rel(e.runs[0].cpu_energy_j, rep.cpu_j, rel, "run CPU energy");
  expect_rel(e.runs[0].dram_energy_j, rep.ram_j, rel, "run RAM energy");
  double sensors_j = 0, sensors_w = 0;
  std::map<std::string, double> host_gpu_j;
  for (std::size_t i = 0; i < e.sensors.size(); ++i) {
    const auto& s = e.sensors[i];
    EXPECT_EQ(s.id, "GPU-" + std::to_string(i));
    EXPECT_EQ(s.group, "gpu");
    EXPECT_EQ(s.host, i < 4 ? "node0" : "node1");
    expect_rel(s.power_w * rep.runtime_s, s.energy_j, rel, s.id);
    sensors_j += s.energy_j;
    sensors_w += s.power_w;
    host_gpu_j[s.host] += s.energy_j;
  }
  expect_rel(sensors_j, rep.gpu_j, rel, "sum of the GPUs");
  expect_rel(sensors_w / 8, rep.mean_gpu_w, rel, "mean GPU power");
  for (const auto& h : e.hosts) {
    expect_rel(h.gpu_energy_j, host_gpu_j[h.id], rel, h.id);
    expect_rel(h.group_energy_j.at("gpu"), host_gpu_j[h.id], rel, h.id);
    expect_rel(h.energy_j, h.group_energy_j.at("gpu") + h.group_energy_j.at("cpu") + h.group_energy_j.at("ram"), rel, h.id);
  }
}

TEST(TraceRoundTrip, NvidiaSmiLogReadsBackPerGpuMeanPowerAndEnergy) {
  fs::path smi = temp_dir() / "smi.csv", perun = temp_dir() / "perun.json";
  const std::string start = "--start 2026-01-01T00:00:00Z ";
  Reported rep = reported(run_ddpsim(kRun + "--format json --power-trace '" + smi.string() + "' --trace-format nvidia-smi " + start));
  run_ddpsim(kRun + "--power-trace '" + perun.string() + "' --trace-format perun " + start);
  GpuPowerLog log = read_nvidia_smi_csv(smi.string());
  PerunExport exact = read_perun_json(perun.string());  // exact per-GPU energies (same seed)
  EXPECT_TRUE(log.header);
  EXPECT_EQ(log.first_timestamp, "2026/01/01 00:00:00.050");
  EXPECT_EQ(log.missing_values, 0);
  auto gpus = summarize(log);
  ASSERT_EQ(gpus.size(), 8u);
  ASSERT_EQ(exact.sensors.size(), 8u);
  const auto samples = static_cast<std::size_t>(std::ceil(rep.runtime_s / kInterval - 1e-9));
  double energy_sum = 0, mean_sum = 0;
  for (const auto& g : gpus) {
    SCOPED_TRACE("GPU " + std::to_string(g.gpu));
    double p_max = 0;
    for (const auto& s : log.samples) {
      if (s.gpu == g.gpu) p_max = std::max(p_max, s.power_w);
    }
    EXPECT_EQ(g.samples, samples);
    EXPECT_NEAR(g.duration_s, rep.runtime_s - kInterval, 1e-3);
    EXPECT_GT(g.mean_utilization_pct, 0.0);
    EXPECT_LE(g.mean_utilization_pct, 100.0);
    // Readings are interval means p_k at the ends of the intervals (length D, the last one L <= D).
    // The trapezoid over them weighs p_1 by D/2, p_{K-1} by (D+L)/2, p_K by L/2 and the others by
    // D, so it falls short of the exact energy by p_1 D/2 + p_{K-1} (D-L)/2 + p_K L/2, between 0
    // and D x max p. Rounding: readings to 0.005 W, the last timestamp to 0.5 ms.
    const double exact_j = exact.sensors[static_cast<std::size_t>(g.gpu)].energy_j;
    const double rounding_j = 0.005 * rep.runtime_s + 0.0005 * p_max;
    EXPECT_LE(g.energy_j, exact_j + rounding_j);
    EXPECT_GE(g.energy_j, exact_j - kInterval * p_max - rounding_j);
    // The mean of the readings and energy / runtime are weighted means of the same p_k; the
    // weights differ by at most 1/K in total, so they differ by at most max p / K.
    EXPECT_NEAR(g.mean_power_w, exact_j / rep.runtime_s, p_max / static_cast<double>(samples) + 0.005);
    energy_sum += g.energy_j;
    mean_sum += g.mean_power_w;
    EXPECT_LT(std::abs(g.energy_j - exact_j), 0.02 * exact_j);  // and the bound is tight enough to matter
  }
  EXPECT_LE(energy_sum, rep.gpu_j + 8 * (0.005 * rep.runtime_s + 0.2));
  EXPECT_GE(energy_sum, rep.gpu_j - 8 * (kInterval * 400.0 + 0.005 * rep.runtime_s + 0.2));  // A100 TDP 400 W
  EXPECT_NEAR(mean_sum / 8, rep.mean_gpu_w, 400.0 / static_cast<double>(samples) + 0.005);
}

TEST(TraceRoundTrip, ChosenNodesOnly) {
  fs::path smi = temp_dir() / "smi1.csv", perun = temp_dir() / "perun1.json";
  run_ddpsim(kRun + "--power-trace '" + smi.string() + "' --trace-format nvidia-smi --trace-nodes 1");
  run_ddpsim(kRun + "--power-trace '" + perun.string() + "' --trace-format perun --trace-nodes 1");
  EXPECT_EQ(read_nvidia_smi_csv(smi.string()).gpus(), (std::vector<int>{4, 5, 6, 7}));
  PerunExport e = read_perun_json(perun.string());
  ASSERT_EQ(e.hosts.size(), 1u);
  EXPECT_EQ(e.hosts[0].id, "node1");
  ASSERT_EQ(e.sensors.size(), 4u);
  EXPECT_EQ(e.sensors.front().id, "GPU-4");
}
