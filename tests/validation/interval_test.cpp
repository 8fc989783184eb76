// Prediction intervals on cases computable by hand: one fitted parameter with a known standard
// error and a response linear in it (RAM energy = ram.power x nodes x runtime).
#include <gtest/gtest.h>

#include <cmath>

#include "sim/core/errors.hpp"
#include "sim/provenance/calibration_file.hpp"
#include "sim/uncertainty/interval.hpp"

namespace ddpsim {
namespace {

TEST(Interval, NormalQuantileAndLogNormalBounds) {
  EXPECT_NEAR(two_sided_z(0.9), 1.6448536269514722, 1e-12);
  EXPECT_NEAR(two_sided_z(0.95), 1.959963984540054, 1e-12);
  // sd 0.1 from parameters and 0.1 from the model: sd = 0.1 sqrt(2) in log space.
  QuantityInterval q = make_interval("runtime_h", 10.0, 0.1, 0.1, 0.9);
  EXPECT_NEAR(q.low, 10.0 * std::exp(-1.6448536269514722 * 0.1 * std::sqrt(2.0)), 1e-12);
  EXPECT_NEAR(q.high, 10.0 * std::exp(1.6448536269514722 * 0.1 * std::sqrt(2.0)), 1e-12);
  EXPECT_THROW(two_sided_z(1.0), InputError);
  EXPECT_NEAR(parse_interval_level("90"), 0.9, 1e-15);
  EXPECT_NEAR(parse_interval_level("99.5%"), 0.995, 1e-15);
  for (const char* bad : {"0", "100", "-5", "ninety", "", "90x"}) EXPECT_THROW(parse_interval_level(bad), InputError) << bad;
}

// A calibration whose only uncertain parameter is a100 ram.power, log-sd 0.1.
Calibration one_parameter_calibration(double log_sd) {
  Calibration cal = load_calibration(default_calibration_path());
  FitUncertainty f;
  f.name = "hand";
  f.labels = {"a100 ram.power"};
  CalibrationTarget t;
  t.node = true;
  t.hardware = "a100";
  t.param = "ram.power";
  f.targets = {{t}};
  f.values = {calibration_value(cal, t)};
  f.covariance_log = {log_sd * log_sd};
  cal.fits = {f};
  return cal;
}

RunConfig small_run() {
  RunConfig c;
  c.workload = "resnet50";
  c.hardware = "a100";
  c.gpus = 8;
  c.lbs = 256;
  c.epochs = 2;
  return c;
}

TEST(Interval, OneParameterLinearResponseGivesTheHandInterval) {
  Calibration cal = one_parameter_calibration(0.1);
  RunConfig c = small_run();
  RunResult center = simulate(resolve_scenario(c, cal), c.seed);
  IntervalOptions io;
  io.level = 0.9;
  IntervalResult iv = predict_interval(c, cal, center, io);
  EXPECT_EQ(iv.parameters, 1);
  EXPECT_EQ(iv.simulations, 3);  // the fitted point and two sigma points
  ASSERT_EQ(iv.fits.size(), 1u);
  const QuantityInterval* ram = iv.find("energy_kwh.ram");
  ASSERT_NE(ram, nullptr);
  const double e = center.energy_j[2] / 3.6e6;
  ASSERT_GT(e, 0);
  // RAM energy is proportional to ram.power: its log moves 1:1 with the parameter's log.
  EXPECT_NEAR(ram->sd_parameters, 0.1, 1e-9);
  EXPECT_NEAR(ram->low, e * std::exp(-1.6448536269514722 * 0.1), 1e-9 * e);
  EXPECT_NEAR(ram->high, e * std::exp(1.6448536269514722 * 0.1), 1e-9 * e);
  // Nothing else of the run depends on RAM power: zero-width runtime interval.
  const QuantityInterval* rt = iv.find("runtime_h");
  ASSERT_NE(rt, nullptr);
  EXPECT_EQ(rt->sd_parameters, 0.0);
  EXPECT_DOUBLE_EQ(rt->low, rt->value);
  // Total energy moves by the RAM share only.
  const QuantityInterval* tot = iv.find("energy_kwh.total");
  ASSERT_NE(tot, nullptr);
  const double share = center.energy_j[2] / center.energy_total_j;
  EXPECT_NEAR(tot->sd_parameters, std::log((1 - share) + share * std::exp(0.1)) / 2 - std::log((1 - share) + share * std::exp(-0.1)) / 2, 2e-6);  // share from the full run, spread from its first epoch
}

TEST(Interval, MonteCarloAgreesWithSigmaPoints) {
  Calibration cal = one_parameter_calibration(0.2);
  RunConfig c = small_run();
  c.epochs = 1;
  RunResult center = simulate(resolve_scenario(c, cal), c.seed);
  IntervalOptions io;
  io.samples = 400;
  IntervalResult mc = predict_interval(c, cal, center, io);
  const QuantityInterval* ram = mc.find("energy_kwh.ram");
  ASSERT_NE(ram, nullptr);
  EXPECT_NEAR(ram->sd_parameters, 0.2, 0.2 * 0.12);  // sd of a 400-draw sd: 3.5 %
  EXPECT_EQ(mc.simulations, 401);
}

TEST(Interval, RunWithoutFittedParametersSaysSo) {
  Calibration cal = load_calibration(default_calibration_path());
  cal.fits.clear();
  RunConfig c = small_run();
  RunResult center = simulate(resolve_scenario(c, cal), c.seed);
  IntervalResult iv = predict_interval(c, cal, center, IntervalOptions{});
  EXPECT_EQ(iv.parameters, 0);
  ASSERT_FALSE(iv.notes.empty());
  EXPECT_NE(iv.notes.front().find("no fitted parameter"), std::string::npos);
}

TEST(Interval, ShippedCalibrationCarriesCovarianceAndDiscrepancy) {
  Calibration cal = load_calibration(default_calibration_path());
  const FitUncertainty* paper = nullptr;
  for (const auto& f : cal.fits) {
    if (f.name == "paper") paper = &f;
  }
  ASSERT_NE(paper, nullptr);
  EXPECT_EQ(paper->covariance_log.size(), paper->size() * paper->size());
  ASSERT_TRUE(paper->discrepancy.count("runtime_h"));
  ASSERT_TRUE(paper->discrepancy.count("energy_total_kwh"));
  // Leave-one-out RMS of the paper runs: a few per cent (README: 5-6 % runtime, 3-5 % energy).
  EXPECT_GT(paper->discrepancy.at("runtime_h").loo_rms, 0.005);
  EXPECT_LT(paper->discrepancy.at("runtime_h").loo_rms, 0.2);
  RunConfig c = small_run();
  RunResult center = simulate(resolve_scenario(c, cal), c.seed);
  IntervalResult iv = predict_interval(c, cal, center, IntervalOptions{});
  EXPECT_GT(iv.parameters, 3);
  for (const auto& q : iv.quantities) {
    if (q.value <= 0) continue;
    EXPECT_LE(q.low, q.value) << q.name;
    EXPECT_GE(q.high, q.value) << q.name;
    EXPECT_GT(q.high, q.low) << q.name;
  }
}

}  // namespace
}  // namespace ddpsim
