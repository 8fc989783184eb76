// The compute component of a run (sim/run/compute_model.hpp): the GPU time and power of a
// training step and an evaluation batch, worked out by hand.
#include <gtest/gtest.h>

#include "sim/run/compute_model.hpp"
#include "sim/run/training_run.hpp"
#include "tests/unit/run_helpers.hpp"

using namespace ddpsim;

namespace {

// LBS 100 at lbs_half 100: 190 W; the step overhead at the full activity.
PowerParams uncapped() { return hand_power(100, 1); }

ComputeParams hand_compute() {
  ComputeParams c;
  c.step_overhead_s = 0.01;
  c.per_sample_s = 1e-3;
  c.forward_fraction = 0.25;
  c.eval_sample_overhead_s = 1e-4;
  c.optimizer_s = 0.005;
  c.jitter_cv = 0;
  c.rollout_steps = 1;
  c.overhead_stretch = 0;
  c.device_bytes_per_sample = 1e6;
  c.pcie_bps = 1e9;
  return c;
}

}  // namespace

TEST(ComputeModel, TrainingStepByHand) {
  GpuPower power(uncapped());
  ComputeModel m(hand_compute(), power);
  Rng rng(1, 0);
  BatchCost c = m.train_cost(100, rng);
  // 10 ms overhead + 100 x 1 ms per sample; 100 x 1 MB over 1 GB/s = 0.1 s host-to-device.
  EXPECT_DOUBLE_EQ(c.gpu_s, 0.11);
  EXPECT_DOUBLE_EQ(c.h2d_s, 0.1);
  EXPECT_DOUBLE_EQ(c.demand_w, 190.0);
  EXPECT_DOUBLE_EQ(c.power_w, 190.0);  // overhead at the full activity
  // Forward a quarter, backward the rest.
  StepSplit sp = m.split(c.gpu_s);
  EXPECT_DOUBLE_EQ(sp.forward_s, 0.0275);
  EXPECT_DOUBLE_EQ(sp.backward_s, 0.0825);
  EXPECT_DOUBLE_EQ(m.optimizer_s(), 0.005);
}

TEST(ComputeModel, BatchGrowthStretchesThePerSampleWork) {
  GpuPower power(uncapped());
  ComputeParams cp = hand_compute();
  cp.batch_growth = 0.01;  // per-sample time x (1 + 0.01 x 100) = x 2 at LBS 100
  ComputeModel m(cp, power);
  Rng rng(1, 0);
  // 10 ms overhead + 100 x 1 ms x 2; the host-to-device copy does not grow.
  EXPECT_DOUBLE_EQ(m.train_cost(100, rng).gpu_s, 0.21);
  EXPECT_DOUBLE_EQ(m.train_cost(100, rng).h2d_s, 0.1);
  // LBS 10: 10 ms + 10 x 1 ms x 1.1.
  EXPECT_NEAR(m.train_cost(10, rng).gpu_s, 0.021, 1e-15);
}

TEST(ComputeModel, OverheadAboveOneDrawsMoreThanTheWork) {
  PowerParams p = uncapped();
  p.overhead_activity = 1.5;  // fixed GPU work that draws more than the batch's work
  GpuPower power(p);
  ComputeModel m(hand_compute(), power);
  Rng rng(1, 0);
  BatchCost c = m.train_cost(100, rng);
  // Overhead at 50 W + 1.5 x (190 - 50) W = 260 W for 0.01 s, the work at 190 W for 0.1 s.
  EXPECT_NEAR(c.power_w, (190.0 * 0.1 + 260.0 * 0.01) / 0.11, 1e-12);
}

TEST(ComputeModel, OverheadPowerIsTimeWeighted) {
  PowerParams p = uncapped();
  p.overhead_activity = 0;  // the overhead draws idle power
  GpuPower power(p);
  ComputeModel m(hand_compute(), power);
  Rng rng(1, 0);
  BatchCost c = m.train_cost(100, rng);
  // (190 W x 0.1 s + 50 W x 0.01 s) / 0.11 s.
  EXPECT_NEAR(c.power_w, (190.0 * 0.1 + 50.0 * 0.01) / 0.11, 1e-12);
}

TEST(ComputeModel, RolloutAndPowerCapStretch) {
  PowerParams p = uncapped();
  p.gpu.power_limit_w = 120;  // 70 W headroom for 140 W dynamic demand: time x 2
  p.gpu.limit_gamma = 1.0;
  p.gpu.limit_knee = 0.0;
  p.gpu.cap_sharpness = 1000;
  GpuPower power(p);
  ComputeParams cp = hand_compute();
  cp.overhead_stretch = 0.5;  // the overhead follows half the cap's stretch
  cp.rollout_steps = 2;
  ComputeModel m(cp, power);
  BatchCost c = m.step_cost(100);
  // Overhead 10 ms x (1 + 0.5 x (2 - 1)) = 15 ms, work 100 ms x 2 = 200 ms, twice per step.
  EXPECT_NEAR(c.gpu_s, (0.015 + 0.2) * 2, 1e-9);
  EXPECT_NEAR(c.power_w, 120.0, 1e-9);
}

TEST(ComputeModel, EvaluationBatchByHand) {
  GpuPower power(uncapped());
  ComputeModel m(hand_compute(), power);
  Rng rng(1, 0);
  BatchCost c = m.eval_cost(100, rng);
  EXPECT_DOUBLE_EQ(c.gpu_s, 0.11 * 0.25);  // forward only
  EvalBatch b = m.eval_batch(c, 100);
  // Host: 0.1 s copy + 100 x 0.1 ms loop; busy 27.5 ms at 190 W, the rest idle at 50 W.
  EXPECT_DOUBLE_EQ(b.total_s, 0.0275 + 0.11);
  EXPECT_NEAR(b.power_w, (190.0 * 0.0275 + 50.0 * 0.11) / 0.1375, 1e-12);
}

TEST(ComputeModel, JitterScalesTheCachedCost) {
  GpuPower power(uncapped());
  ComputeParams cp = hand_compute();
  cp.jitter_cv = 0.1;
  ComputeModel m(cp, power);
  Rng a(7, 3), b(7, 3);
  for (long long n : {100, 37, 100, 5, 9, 100}) {  // more sizes than the cache holds
    BatchCost c = m.train_cost(n, a);
    EXPECT_DOUBLE_EQ(c.gpu_s, m.step_cost(n).gpu_s * (1.0 * b.jitter(0.1)));
    EXPECT_DOUBLE_EQ(c.h2d_s, m.step_cost(n).h2d_s);  // the copy does not jitter
  }
}

TEST(ComputeModel, ParamsFromTheScenario) {
  Scenario s = resnet50_a100(4, 32, {{"compute.step_overhead", "20 ms"}});
  ComputeParams p = ComputeParams::from_scenario(s);
  EXPECT_DOUBLE_EQ(p.step_overhead_s, 0.02);
  EXPECT_DOUBLE_EQ(p.forward_fraction, s.wl.p(kForwardFraction));
  EXPECT_DOUBLE_EQ(p.pcie_bps, s.hw.p(kGpuPcieBw));
  EXPECT_DOUBLE_EQ(p.device_bytes_per_sample, s.wl.p(kDeviceBytes) + s.wl.p(kTargetBytes) * s.phase.rollout_steps());
}
