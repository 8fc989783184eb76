// Calibration: a synthetic round trip (simulate with known parameters, fit, recover them), the
// acceptance checks of the shipped calibration (leave-one-out over the paper's runs, Zeus
// batch-size hold-out) and the regeneration of the shipped file by its documented command.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "calibration/stages.hpp"
#include "calibration/validate.hpp"
#include "sim/core/catalog.hpp"

using namespace ddpsim;
namespace fs = std::filesystem;

namespace {
std::string ref(const std::string& rel) { return data_dir() + "/experiments/reference/" + rel; }
std::vector<std::string> measured_files() { return {ref("calibration-set.yaml"), ref("derived-runs.yaml")}; }

std::string slurp_without_date(const std::string& path) {
  std::ifstream in(path);
  std::string line, out;
  while (std::getline(in, line)) {
    if (line.find("  date: ") == 0) continue;  // the only line that depends on the day
    out += line + "\n";
  }
  return out;
}
}  // namespace

TEST(Calibration, SyntheticRoundTripRecoversKnownParameters) {
  // Truth: a V100-like GPU with known step-cost, power and power-cap parameters. Synthetic
  // "measurements" are the simulator's own outputs; the fit starts from the priors file.
  Calibration priors = load_calibration(default_priors_path());
  Calibration truth = priors;
  const Target per_sample{false, "zeus-v100", "resnet50", "compute.per_sample"};
  const Target overhead{false, "zeus-v100", "resnet50", "compute.step_overhead"};
  const Target activity{false, "zeus-v100", "resnet50", "power.activity"};
  const Target gamma{true, "zeus-v100", "", "gpu.limit_gamma"};
  const double nan = std::numeric_limits<double>::quiet_NaN();
  set_calibration_value(truth, per_sample, 2.5e-3, nan, "truth");
  set_calibration_value(truth, overhead, 0.02, nan, "truth");
  set_calibration_value(truth, activity, 0.7, nan, "truth");
  set_calibration_value(truth, gamma, 0.4, nan, "truth");
  std::vector<ZeusPoint> pts;
  for (int bs : {8, 32, 128, 256}) {
    for (double pl : {100.0, 150.0, 200.0, 250.0}) pts.push_back({"v100", "imagenet", "resnet50", "adadelta", bs, pl, 1.0, 1.0, 0});
  }
  CalibrationProblem gen = zeus_problem(pts, "v100", truth, priors);
  std::vector<double> synth = gen.predict(truth);
  for (std::size_t k = 0; k < pts.size(); ++k) {
    pts[k].time_per_epoch_s = synth[2 * k];
    pts[k].average_power_w = synth[2 * k + 1];
  }
  CalibrationProblem pb = zeus_problem(pts, "v100", priors, priors);
  FitResult fr = pb.fit();
  Calibration fitted = pb.with(fr.values);
  // Tolerances: noise-free data, but priors pull every parameter a little: 3 % on the
  // per-sample time, 10 % on the overhead and the activity, 25 % on the stretch exponent
  // (it only shows at the lowest power limits).
  EXPECT_NEAR(calibration_value(fitted, per_sample) / 2.5e-3, 1.0, 0.03);
  EXPECT_NEAR(calibration_value(fitted, overhead) / 0.02, 1.0, 0.10);
  EXPECT_NEAR(calibration_value(fitted, activity) / 0.7, 1.0, 0.10);
  EXPECT_NEAR(calibration_value(fitted, gamma) / 0.4, 1.0, 0.25);
  // The fit reproduces the synthetic data within 1 %.
  std::vector<double> back = pb.predict(fitted);
  for (std::size_t k = 0; k < back.size(); ++k) EXPECT_NEAR(back[k] / synth[k], 1.0, 0.01) << k;
  for (double se : fr.stderrs) EXPECT_TRUE(std::isfinite(se) && se > 0);
}

TEST(Calibration, LeaveOneOutBeatsBaselinesWithinTenPercent) {
  ValidateInputs in;
  in.measured_files = measured_files();
  in.calibration_file = default_calibration_path();
  in.leave_one_out = true;
  in.interval_level = 0.9;
  ValidationReport r = run_validation(in);
  // 90 % intervals over the held-out runs (README "Prediction intervals": energy 10/12, runtime
  // 5/5; too few runs for a tight bound, so the pooled share is checked).
  int inside = 0, total = 0;
  for (const auto& [g, c] : r.coverage) {
    inside += c.first;
    total += c.second;
  }
  EXPECT_EQ(total, 17);
  EXPECT_GE(static_cast<double>(inside) / total, 0.70);
  EXPECT_LE(static_cast<double>(inside) / total, 0.98);
  for (const char* q : {"runtime_h", "energy_total_kwh"}) {
    double ddp = r.mape.at(q).at("ddpsim");
    EXPECT_LE(ddp, 0.10) << q;
    EXPECT_LT(ddp, r.mape.at(q).at("tdp_baseline")) << q;
    EXPECT_LT(ddp, r.mape.at(q).at("kwh_per_gpuh_baseline")) << q;
  }
  EXPECT_GE(r.count.at("runtime_h"), 5);
  EXPECT_GE(r.count.at("energy_total_kwh"), 7);
  // Per measured-runs file: the published runs (calibration-set.yaml) against issue #11's targets
  // (runtime <= 6 %, total energy <= 3 %; measured 4.2 % / 2.8 %), the two pseudo-runs derived from
  // the paper's "about 0.0235 Wh per sample" (sigma 10 %) apart (measured 9.0 %). The per-file
  // MAPEs recombine to the pooled one.
  ASSERT_EQ(r.mape_by_source.size(), 2u);
  const auto& set = r.mape_by_source.at("calibration-set.yaml");
  const auto& derived = r.mape_by_source.at("derived-runs.yaml");
  EXPECT_EQ(set.at("runtime_h").second, 5);
  EXPECT_EQ(set.at("energy_total_kwh").second, 7);
  EXPECT_EQ(derived.at("energy_total_kwh").second, 2);
  EXPECT_LE(set.at("runtime_h").first, 0.06);
  EXPECT_LE(set.at("energy_total_kwh").first, 0.03);
  double pooled = (set.at("energy_total_kwh").first * 7 + derived.at("energy_total_kwh").first * 2) / 9;
  EXPECT_NEAR(pooled, r.mape.at("energy_total_kwh").at("ddpsim"), 1e-12);
}

TEST(Calibration, ZeusHeldOutBatchSizesWithinTenPercent) {
  ValidateInputs in;
  in.trace_dirs = {ref("zeus-nsdi23")};
  in.calibration_file = default_calibration_path();
  in.interval_level = 0.9;
  ValidationReport r = run_validation(in);
  ASSERT_EQ(r.zeus_mape.size(), 4u);
  // 90 % intervals from each refit's own covariance and discrepancy, none of the held-out batch
  // size in them: the share inside lies in the 80-98 % band for time and power.
  for (const char* g : {"zeus time_per_epoch_s", "zeus average_gpu_power_w"}) {
    ASSERT_TRUE(r.coverage.count(g)) << g;
    const auto& c = r.coverage.at(g);
    EXPECT_EQ(c.second, 223) << g;
    EXPECT_GE(static_cast<double>(c.first) / c.second, 0.80) << g;
    EXPECT_LE(static_cast<double>(c.first) / c.second, 0.98) << g;
  }
  for (const auto& [gpu, m] : r.zeus_mape) {
    EXPECT_LE(m.first, 0.10) << gpu << " epoch time";
    EXPECT_LE(m.second, 0.10) << gpu << " mean power";
  }
}

TEST(Calibration, ShippedCalibrationIsRegeneratedByItsCommand) {
  auto out = fs::temp_directory_path() / ("ddpsim_cal_" + std::to_string(::getpid()) + ".yaml");
  std::string cmd = std::string("'") + DDPSIM_BINARY + "' calibrate --measured '" + ref("calibration-set.yaml") + "' '" +
                    ref("derived-runs.yaml") + "' --traces '" + ref("zeus-nsdi23") + "' --leave-one-out --out '" + out.string() + "' > /dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  // Same entries, same sources, same values: to 1e-4 relative, so that the last digits of
  // libm on another CPU cannot fail the test while any real change does.
  Calibration fresh = load_calibration(out.string()), shipped = load_calibration(default_calibration_path());
  const std::string stale = "calibration/default.yaml is stale: regenerate it with the command in README.md";
  ASSERT_EQ(fresh.node_sets.size(), shipped.node_sets.size()) << stale;
  ASSERT_EQ(fresh.workload_sets.size(), shipped.workload_sets.size()) << stale;
  auto compare = [&](const ParamSet& a, const ParamSet& b, const std::string& where) {
    for (std::size_t i = 0; i < a.table().size(); ++i) {
      std::string name = where + " " + std::string(a.table().spec(i).name);
      ASSERT_EQ(a.is_set(i), b.is_set(i)) << name << ": " << stale;
      EXPECT_EQ(a.citation(i), b.citation(i)) << name << ": " << stale;
      EXPECT_NEAR(a[i], b[i], 1e-4 * std::fabs(b[i]) + 1e-12) << name << ": " << stale;
    }
  };
  for (const auto& [hw, set] : shipped.node_sets) {
    ASSERT_TRUE(fresh.node_sets.count(hw)) << hw << ": " << stale;
    compare(fresh.node_sets.at(hw), set, hw);
  }
  for (const auto& [key, set] : shipped.workload_sets) {
    ASSERT_TRUE(fresh.workload_sets.count(key)) << key.first << "/" << key.second << ": " << stale;
    compare(fresh.workload_sets.at(key), set, key.first + "/" + key.second);
  }
  ASSERT_EQ(fresh.large_batch_sets.size(), shipped.large_batch_sets.size()) << stale;
  for (const auto& [key, set] : shipped.large_batch_sets) {
    ASSERT_TRUE(fresh.large_batch_sets.count(key)) << "large_batch " << key.first << "/" << key.second << ": " << stale;
    compare(fresh.large_batch_sets.at(key), set, "large_batch " + key.first + "/" + key.second);
  }
  // The uncertainty section: same fits, parameters, covariances and discrepancies.
  ASSERT_EQ(fresh.fits.size(), shipped.fits.size()) << stale;
  for (std::size_t f = 0; f < shipped.fits.size(); ++f) {
    const FitUncertainty &a = fresh.fits[f], &b = shipped.fits[f];
    ASSERT_EQ(a.name, b.name) << stale;
    ASSERT_EQ(a.labels, b.labels) << a.name << ": " << stale;
    for (std::size_t k = 0; k < b.covariance_log.size(); ++k) {
      EXPECT_NEAR(a.covariance_log[k], b.covariance_log[k], 1e-3 * std::fabs(b.covariance_log[k]) + 1e-9) << a.name << " covariance: " << stale;
    }
    ASSERT_EQ(a.discrepancy.size(), b.discrepancy.size()) << a.name << ": " << stale;
    for (const auto& [q, d] : b.discrepancy) {
      ASSERT_TRUE(a.discrepancy.count(q)) << a.name << " " << q << ": " << stale;
      EXPECT_NEAR(a.discrepancy.at(q).sd, d.sd, 1e-3 * d.sd + 1e-6) << a.name << " " << q << ": " << stale;
    }
  }
  EXPECT_EQ(slurp_without_date(out.string()).size() > 0, true);
  fs::remove(out);
}

TEST(Calibration, CaptureFoldersRoundTrip) {
  // Two capture folders (as experiments/capture writes them) of ResNet50 on A100 at LBS 64 and
  // 256, whose step timings and power come from a known truth; calibrate recovers it.
  Calibration truth = load_calibration(default_calibration_path());
  const Target per_sample{false, "a100", "resnet50", "compute.per_sample"};
  const Target overhead{false, "a100", "resnet50", "compute.step_overhead"};
  const Target activity{false, "a100", "resnet50", "power.activity"};
  const double nan = std::numeric_limits<double>::quiet_NaN();
  set_calibration_value(truth, per_sample, 1.1e-3, nan, "truth");
  set_calibration_value(truth, overhead, 0.03, nan, "truth");
  set_calibration_value(truth, activity, 0.6, nan, "truth");
  std::vector<CaptureTrace> traces;
  auto root = fs::temp_directory_path() / ("ddpsim_capture_" + std::to_string(::getpid()));
  for (long long lbs : {64LL, 256LL}) {
    CaptureTrace t;
    t.dir = (root / ("lbs" + std::to_string(lbs))).string();
    t.workload = "resnet50";
    t.hardware = "a100";
    t.world_size = 2;
    t.lbs = lbs;
    CalibrationProblem gen = capture_problem({t}, truth, truth);
    gen.observations.push_back(gen.observations.front());
    gen.observations.back().quantity = "average_gpu_power_w";
    auto v = gen.predict(truth);
    fs::create_directories(t.dir);
    std::ofstream(fs::path(t.dir) / "meta.yaml") << "format: ddpsim-capture/1\nworkload: resnet50\nhardware: a100\nworld_size: 2\nlbs: " << lbs << "\n";
    std::ofstream steps(fs::path(t.dir) / "steps.csv");
    steps.precision(17);
    steps << "rank,step,data_wait_s,forward_s,backward_s,allreduce_wait_s,optimizer_s\n";
    for (int r = 0; r < 2; ++r) {
      for (int s = 0; s < 6; ++s) steps << r << "," << s << ",0.001," << v[0] / 3 << "," << 2 * v[0] / 3 << ",0.002,0\n";
    }
    steps.close();
    std::ofstream power(fs::path(t.dir) / "power_host.csv");
    power.precision(17);
    power << "timestamp, index, power.draw [W], utilization.gpu [%]\n";
    for (int s = 0; s < 5; ++s) {
      for (int g = 0; g < 2; ++g) power << "2026/11/22 10:00:0" << s << ".000, " << g << ", " << v[1] << " W, 99 %\n";
    }
    power.close();
    ASSERT_TRUE(is_capture_dir(t.dir));
    traces.push_back(read_capture_dir(t.dir));
    EXPECT_NEAR(traces.back().compute_s_per_step, v[0], 1e-9);
    EXPECT_NEAR(traces.back().mean_gpu_power_w, v[1], 1e-9);
  }
  Calibration start = load_calibration(default_calibration_path());
  CalibrationProblem pb = capture_problem(traces, start, start);
  ASSERT_EQ(pb.params.size(), 3u);  // per-sample, overhead (two batch sizes), activity (power)
  FitResult fr = pb.fit();
  Calibration fitted = pb.with(fr.values);
  // Noise-free data, priors at the shipped values: 5 % on the per-sample time and activity;
  // 10 % on the overhead, which only the difference of the two batch sizes determines, so the
  // prior (17.7 ms +- 50 %) pulls it most.
  EXPECT_NEAR(calibration_value(fitted, per_sample) / 1.1e-3, 1.0, 0.05);
  EXPECT_NEAR(calibration_value(fitted, overhead) / 0.03, 1.0, 0.10);
  EXPECT_NEAR(calibration_value(fitted, activity) / 0.6, 1.0, 0.05);
  fs::remove_all(root);
}
