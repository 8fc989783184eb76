// Calibrating from one's own capture, end to end: the CPU captures of the example model
// (experiments/reference/capture-cpu, example_train.py --dataset jpeg, fork workers, LBS 8 and
// 32) calibrated on top of the shipped calibration with the example's workload and machine files,
// then each captured run simulated on that machine description with the calibration written.
// Checked: the mean step time (warm-up step dropped, pass starts included, as the capture's
// steps.csv summary gives it) is within 5 % of the measured one; the run uses the fitted entries
// (no transfer warning); everything the shipped calibration had is kept.
#include <gtest/gtest.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "calibration/readers.hpp"
#include "calibration/stages.hpp"
#include "sim/core/catalog.hpp"

using namespace ddpsim;
namespace fs = std::filesystem;

namespace {
std::string dir() { return data_dir() + "/experiments/reference/capture-cpu"; }

struct Calibrated {
  Calibration cal;
  std::string file;
  CalibrationLog log;
};

const Calibrated& calibrated() {
  static const Calibrated c = [] {
    Calibrated out;
    CalibrateInputs in;
    in.trace_dirs = {dir() + "/fork-lbs8", dir() + "/fork-lbs32"};
    in.capture_workload = dir() + "/example-cnn.yaml";
    in.capture_hardware = dir() + "/machine.yaml";
    out.cal = run_calibration(in, out.log);
    out.file = (fs::temp_directory_path() / ("ddpsim_capture_cal_" + std::to_string(::getpid()) + ".yaml")).string();
    std::ofstream(out.file) << calibration_to_yaml(out.cal);
    static std::string written;
    written = out.file;
    std::atexit([] { fs::remove(written); });
    return out;
  }();
  return c;
}
}  // namespace

class CaptureCalibration : public ::testing::TestWithParam<const char*> {};

TEST_P(CaptureCalibration, ReproducesItsOwnMeasuredStepTimeWithinFivePercent) {
  const Calibrated& c = calibrated();
  const std::string cap = dir() + "/" + GetParam();
  YAML::Node meta = YAML::LoadFile(cap + "/meta.yaml");
  const long long lbs = meta["lbs"].as<long long>(), steps = meta["steps"].as<long long>();
  const int epochs = meta["epochs"].as<int>();
  StepSummary measured = summarize_steps(read_step_csv(cap + "/steps.csv"), 1);

  RunConfig cfg;
  cfg.workload = dir() + "/example-cnn.yaml";
  cfg.hardware = dir() + "/machine.yaml";
  cfg.calibration = c.file;
  cfg.gpus = 1;
  cfg.lbs = lbs;
  cfg.epochs = epochs;
  // The captured run's size and its main process's memory (the fork cost of the workers).
  cfg.overrides = {{"dataset.train_samples", std::to_string(lbs * steps)},
                   {"loader.parent_rss", std::to_string(meta["parent_rss_gb"].as<double>()) + " GB"}};
  Scenario s = resolve_scenario(cfg);
  EXPECT_TRUE(s.calibration_warnings.empty()) << s.calibration_warnings.front();
  RunResult r = simulate(s, 1);
  ASSERT_EQ(r.steps, steps * epochs);
  // Simulated: every step (pass starts included); measured: every step but the warm-up one.
  const double sim_step_s = r.runtime_s / static_cast<double>(r.steps);
  const double err = sim_step_s / measured.overall.step_s - 1;
  std::cout << "[ capture ] " << GetParam() << ": simulated " << sim_step_s << " s per step, measured " << measured.overall.step_s
            << " s (" << 100 * err << " %)\n";
  EXPECT_LT(std::fabs(err), 0.05) << GetParam() << ": simulated " << sim_step_s << " s, measured " << measured.overall.step_s << " s";
}

INSTANTIATE_TEST_SUITE_P(Captures, CaptureCalibration, ::testing::Values("fork-lbs8", "fork-lbs32"));

TEST(CaptureCalibration, KeepsTheShippedCalibrationAndAddsTheCapturedPair) {
  const Calibrated& c = calibrated();
  Calibration shipped = load_calibration(default_calibration_path());
  for (const auto& [key, set] : shipped.workload_sets) {
    ASSERT_TRUE(c.cal.workload_sets.count(key)) << key.first << " on " << key.second;
    EXPECT_EQ(c.cal.workload(key.first, key.second)[kPerSample], set[kPerSample]) << key.first << " on " << key.second;
  }
  for (const auto& [hw, set] : shipped.node_sets) EXPECT_EQ(c.cal.node(hw)[kCpuIdlePower], set[kCpuIdlePower]) << hw;
  EXPECT_EQ(c.cal.efficiency_sets.size(), shipped.efficiency_sets.size());
  EXPECT_EQ(c.cal.large_batch_sets.size(), shipped.large_batch_sets.size());
  std::set<std::string> fits;
  for (const auto& f : c.cal.fits) fits.insert(f.name);
  for (const auto& f : shipped.fits) EXPECT_TRUE(fits.count(f.name)) << f.name;
  EXPECT_TRUE(fits.count("capture-example-cnn-capture-cpu"));
  // Fitted and traced values of the new pair, with their sources.
  ASSERT_TRUE(c.cal.workload_sets.count({"example-cnn", "capture-cpu"}));
  ParamSet e = c.cal.workload("example-cnn", "capture-cpu");
  EXPECT_EQ(e.citation(kPerSample).rfind("fit: captured step timings", 0), 0u) << e.citation(kPerSample);
  EXPECT_EQ(e.citation(kStepOverhead).rfind("fit: captured step timings", 0), 0u) << e.citation(kStepOverhead);
  EXPECT_EQ(e.citation(kOptimizer).rfind("traced:", 0), 0u) << e.citation(kOptimizer);
  EXPECT_EQ(e.citation(kDecodePerSample).rfind("traced:", 0), 0u) << e.citation(kDecodePerSample);
  YAML::Node meta = YAML::LoadFile(dir() + "/fork-lbs8/meta.yaml");
  YAML::Node meta32 = YAML::LoadFile(dir() + "/fork-lbs32/meta.yaml");
  EXPECT_NEAR(e[kDecodePerSample], (meta["sample_s"].as<double>() + meta32["sample_s"].as<double>()) / 2, 1e-12);
  // The written file reads back to the same values.
  Calibration back = load_calibration(c.file);
  EXPECT_NEAR(back.workload("example-cnn", "capture-cpu")[kPerSample] / e[kPerSample], 1.0, 1e-5);
}
