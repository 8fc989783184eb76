// A 1-GPU run with no jitter whose step time and energy are derived by hand.
#include <gtest/gtest.h>

#include <cmath>

#include "sim/run/training_run.hpp"

using namespace ddpsim;

namespace {
RunConfig hand_config() {
  RunConfig c;
  c.workload = "resnet50";
  c.hardware = "a100";
  c.gpus = 1;
  c.lbs = 256;
  c.epochs = 2;
  c.overrides = {
      {"dataset.train_samples", "1024"}, {"dataset.val_samples", "0"}, {"dataset.train_eval_pass", "false"},
      {"dataset.input_bytes", "0 B"},   {"dataset.device_bytes", "0 B"}, {"loader.decode_per_sample", "0 s"},
      {"loader.start_method", "spawn"}, {"loader.spawn_init", "1 s"}, {"loader.fork_base", "0 s"}, {"compute.jitter_cv", "0"},      {"compute.step_overhead", "10 ms"},
      {"compute.per_sample", "1 ms"},   {"compute.optimizer", "5 ms"},   {"power.activity", "0.8"},
      {"power.lbs_half", "0"},          {"gpu.idle_power", "50 W"},      {"gpu.tdp", "400 W"},
      {"gpu.power_limit", "400 W"},     {"cpu.idle_power", "80 W"},      {"cpu.core_power", "5 W"},
      {"ram.power", "30 W"},            {"gpu.cap_sharpness", "1000"},   {"gpu.limit_knee", "0"},
      {"compute.overhead_stretch", "0"}, {"power.overhead_activity", "1"},
  };
  return c;
}
}  // namespace

TEST(HandDerivedRun, OneGpuNoJitterStepTimeAndEnergy) {
  Scenario s = resolve_scenario(hand_config());
  ASSERT_EQ(s.steps_per_epoch, 4);  // 1024 samples / LBS 256
  RunResult r = simulate(s, 1);
  // Step = overhead + LBS x per-sample + optimizer = 10 ms + 256 ms + 5 ms = 271 ms (no H2D, no comm).
  // Epoch = 1 s worker start-up (spawned workers, all up after 1 s; GPU stalls) + 4 steps = 2.084 s;
  // two epochs = 4.168 s.
  EXPECT_NEAR(r.runtime_s, 4.168, 1e-9);
  EXPECT_EQ(r.steps, 8);
  EXPECT_EQ(r.samples_trained, 2048);
  // GPU: computing at 50 + 350 x 0.8 x 1 = 330 W for 8 x 0.271 s; idle 50 W for 2 x 1 s.
  double gpu_j = 8 * 0.271 * 330.0 + 2 * 1.0 * 50.0;
  EXPECT_NEAR(r.energy_j[0], gpu_j, 1e-6);
  // CPU: both sockets charged; socket 0 has the training process's busy core: (80 + 5) + 80 W.
  EXPECT_NEAR(r.energy_j[1], 165.0 * 4.168, 1e-6);
  // RAM: 30 W per node.
  EXPECT_NEAR(r.energy_j[2], 30.0 * 4.168, 1e-6);
  EXPECT_NEAR(r.energy_total_j, gpu_j + 165.0 * 4.168 + 30.0 * 4.168, 1e-6);
  EXPECT_NEAR(r.phase_time_s[0], 8 * 0.271, 1e-9);  // compute
  EXPECT_NEAR(r.phase_time_s[2], 2.0, 1e-9);        // data stall (waiting for workers)
  EXPECT_NEAR(r.phase_time_s[1], 0.0, 1e-12);       // no communication on one GPU
  EXPECT_NEAR(r.mean_gpu_power_w, gpu_j / 4.168, 1e-9);
}

TEST(HandDerivedRun, PowerCapStretchesComputeByHand) {
  RunConfig c = hand_config();
  c.overrides.push_back({"gpu.power_limit", "190 W"});
  c.overrides.push_back({"gpu.limit_gamma", "0.5"});
  Scenario s = resolve_scenario(c);
  RunResult r = simulate(s, 1);
  // Hard cap (sharpness 1000), no knee. Demand 330 W > 190 W: compute stretches by
  // ((190-50)/(330-50))^-0.5 = sqrt(2); the host-bound overhead and the optimizer do not.
  double step = 0.010 + 0.256 * std::sqrt(2.0) + 0.005;
  EXPECT_NEAR(r.runtime_s, 2 * (1.0 + 4 * step), 1e-6);
  EXPECT_NEAR(r.energy_j[0], 8 * step * 190.0 + 2 * 50.0, 1e-3);
}

TEST(HandDerivedRun, IdleOverheadLowersStepPowerByHand) {
  // power.overhead_activity 0: the GPU sits at idle power (50 W) during the 10 ms fixed
  // overhead of each step; the per-sample work (256 ms) and the optimizer (5 ms) still draw 330 W.
  RunConfig c = hand_config();
  c.overrides.push_back({"power.overhead_activity", "0"});
  RunResult r = simulate(resolve_scenario(c), 1);
  EXPECT_NEAR(r.runtime_s, 4.168, 1e-9);  // time does not depend on the power mix
  RunResult full = simulate(resolve_scenario(hand_config()), 1);
  // 8 steps x 10 ms at 50 W instead of 330 W: 8 x 0.010 x 280 = 22.4 J less GPU energy.
  EXPECT_NEAR(full.energy_j[0] - r.energy_j[0], 22.4, 1e-6);
}

TEST(HandDerivedRun, DecodeBoundLoaderStallsByHand) {
  // One worker decoding 1 ms per sample: a 256-sample batch takes 256 ms, longer than the
  // 0 ms of compute; with prefetch the GPU waits for every batch: epoch = 1 s + 4 x 256 ms.
  RunConfig c = hand_config();
  c.overrides.push_back({"loader.workers", "1"});
  c.overrides.push_back({"loader.decode_per_sample", "1 ms"});
  c.overrides.push_back({"compute.per_sample", "0 s"});
  c.overrides.push_back({"compute.step_overhead", "0 s"});
  c.overrides.push_back({"compute.optimizer", "0 s"});
  Scenario s = resolve_scenario(c);
  RunResult r = simulate(s, 1);
  EXPECT_NEAR(r.runtime_s, 2 * (1.0 + 4 * 0.256), 1e-9);
  EXPECT_NEAR(r.phase_time_s[2], r.runtime_s, 1e-9);  // the GPU only ever waits for data
}

TEST(HandDerivedRun, ForkedWorkersStartOneAfterAnotherByHand) {
  // Fork: the main process forks 4 workers in turn, 10 ms + 5 ms/GB x 2 GB = 20 ms each; each
  // then initialises for 30 ms: worker k is up at (k + 1) x 20 ms + 30 ms. With 1 ms of decode per
  // sample and LBS 8, worker 0's first batch is ready at 20 + 30 + 8 = 58 ms: the first step's
  // data wait. The last worker is up at 4 x 20 + 30 = 110 ms.
  RunConfig c = hand_config();
  c.lbs = 8;
  c.overrides.push_back({"loader.start_method", "fork"});
  c.overrides.push_back({"loader.fork_base", "10 ms"});
  c.overrides.push_back({"loader.fork_per_gb", "5 ms"});
  c.overrides.push_back({"loader.parent_rss", "2 GB"});
  c.overrides.push_back({"loader.worker_init", "30 ms"});
  c.overrides.push_back({"loader.decode_per_sample", "1 ms"});
  Scenario s = resolve_scenario(c);
  LoaderStartup st = loader_startup(s);
  EXPECT_NEAR(st.launch_s, 0.020, 1e-12);
  EXPECT_NEAR(st.last_worker_up_s, 0.110, 1e-12);
  RunResult r = simulate(s, 1);
  EXPECT_NEAR(r.worker_startup_s, 0.110, 1e-9);
  EXPECT_NEAR(r.pass_first_batch_wait_s[0], 0.058, 1e-9);
  EXPECT_EQ(r.pass_first_batch_wait_s[2], 0.0);  // no validation pass
}

TEST(HandDerivedRun, PinMemoryThreadSerialisesCopiesByHand) {
  // One worker, no decode: each 256-sample batch of 1 MB per sample is built at once, then the
  // pin-memory thread copies 256 MB at 1 GB/s = 256 ms before the step may use it. Compute is
  // 0: the GPU waits for every copy, so each epoch is 1 s (spawn start-up) + 4 x 256 ms.
  RunConfig c = hand_config();
  c.overrides.push_back({"loader.workers", "1"});
  c.overrides.push_back({"loader.pin_memory", "true"});
  c.overrides.push_back({"cpu.memcpy_bandwidth", "1 GB/s"});
  c.overrides.push_back({"dataset.device_bytes", "1 MB"});
  c.overrides.push_back({"gpu.pcie_bandwidth", "1 TB/s"});
  c.overrides.push_back({"compute.per_sample", "0 s"});
  c.overrides.push_back({"compute.step_overhead", "0 s"});
  c.overrides.push_back({"compute.optimizer", "0 s"});
  Scenario s = resolve_scenario(c);
  RunResult r = simulate(s, 1);
  // H2D: 256 MB at 1 TB/s = 0.256 ms per step, hidden behind the next copy except in the last step.
  EXPECT_NEAR(r.runtime_s, 2 * (1.0 + 4 * 0.256 + 0.000256), 1e-9);
}
