// The power component of a run (sim/run/gpu_power.hpp): GPU power from activity and LBS
// occupancy, step-overhead power, optimizer and communication power; CPU socket busy cores.
#include <gtest/gtest.h>

#include "sim/run/gpu_power.hpp"
#include "sim/run/training_run.hpp"
#include "tests/unit/run_helpers.hpp"

using namespace ddpsim;

namespace {

PowerParams hand_params() {
  PowerParams p = hand_power(16, 0.5);
  p.gpu.comm_fraction = 0.2;
  p.cpu.idle_power_w = 80;
  p.cpu.core_power_w = 5;
  p.cpu.cores = 38;
  p.sockets_per_node = 2;
  p.gpus_per_node = 4;
  return p;
}

}  // namespace

TEST(RunGpuPower, ActivityAndLbsOccupancyByHand) {
  GpuPower g(hand_params());
  // LBS 16 = lbs_half: occupancy 1/2; 50 + 350 x 0.8 x 0.5 = 190 W, under the limit.
  EXPECT_DOUBLE_EQ(g.demand_w(16), 190.0);
  EXPECT_DOUBLE_EQ(g.compute_power_w(190.0), 190.0);
  EXPECT_DOUBLE_EQ(g.time_stretch(190.0), 1.0);
  // LBS 48: occupancy 3/4: 50 + 350 x 0.8 x 0.75 = 260 W.
  EXPECT_DOUBLE_EQ(g.demand_w(48), 260.0);
  // Step overhead at half the dynamic part: 50 + 0.5 x (190 - 50) = 120 W.
  EXPECT_DOUBLE_EQ(g.overhead_power_w(190.0), 120.0);
  // The optimizer step draws the full-LBS compute power.
  EXPECT_DOUBLE_EQ(g.optimizer_power_w(16), 190.0);
  EXPECT_DOUBLE_EQ(g.idle_power_w(), 50.0);
  // Exposed communication: 50 + 0.2 x 350 = 120 W.
  EXPECT_DOUBLE_EQ(g.comm_power_w(), 120.0);
}

TEST(RunGpuPower, CappedComputeStretches) {
  PowerParams p = hand_params();
  p.gpu.power_limit_w = 190;  // 140 W of dynamic headroom
  p.gpu.limit_gamma = 1.0;
  p.gpu.limit_knee = 0.0;
  p.gpu.cap_sharpness = 1000;  // hard cap
  p.lbs_half = 0;              // full occupancy at any LBS
  GpuPower g(p);
  // Demand 50 + 350 x 0.8 = 330 W (280 W dynamic): capped at 190 W, time x 280 / 140 = 2.
  EXPECT_DOUBLE_EQ(g.demand_w(32), 330.0);
  EXPECT_NEAR(g.compute_power_w(330.0), 190.0, 1e-9);
  EXPECT_NEAR(g.time_stretch(330.0), 2.0, 1e-9);
}

TEST(RunCpuSockets, BusyCoresBookedInTheLedger) {
  PowerParams p = hand_params();
  EnergyLedger ledger;
  CpuSockets sockets(p, 2);  // 2 nodes x 2 sockets
  sockets.add_devices(ledger);
  ASSERT_EQ(sockets.count(), 4);
  EXPECT_EQ(ledger.devices(Component::Cpu), 4);
  // 4 GPUs per node over 2 sockets: ranks 0, 1 on socket 0, ranks 2, 3 on socket 1, rank 4 on node 1.
  EXPECT_EQ(sockets.socket_of_rank(0), 0);
  EXPECT_EQ(sockets.socket_of_rank(1), 0);
  EXPECT_EQ(sockets.socket_of_rank(2), 1);
  EXPECT_EQ(sockets.socket_of_rank(3), 1);
  EXPECT_EQ(sockets.socket_of_rank(4), 2);
  EXPECT_EQ(sockets.socket_of_rank(7), 3);
  EXPECT_DOUBLE_EQ(ledger.device_power_w(0), 80.0);
  sockets.set_busy(1, +3, 0);
  sockets.set_busy(0, +1, 0);
  EXPECT_EQ(sockets.node_busy(0), 4);
  EXPECT_EQ(sockets.node_busy(1), 0);
  // 80 W idle + 3 x 5 W.
  EXPECT_DOUBLE_EQ(sockets.power_w(1), 95.0);
  EXPECT_DOUBLE_EQ(ledger.device_power_w(1), 95.0);
  // Busy cores clamp at the socket's 38 cores.
  sockets.set_busy(1, +100, seconds_to_ticks(1.0));
  EXPECT_DOUBLE_EQ(ledger.device_power_w(1), 80.0 + 5 * 38);
  sockets.set_busy(1, -103, seconds_to_ticks(2.0));
  EXPECT_DOUBLE_EQ(ledger.device_power_w(1), 80.0);
  // One second at 95 W, one at 270 W on socket 1.
  ledger.finish(seconds_to_ticks(2.0));
  EXPECT_NEAR(ledger.device_energy_j(1), 95.0 + 270.0, 1e-9);
}

TEST(RunGpuPower, ParamsFromTheScenario) {
  Scenario s = resnet50_a100(8, 64, {{"power.lbs_half", "12"}, {"power.activity", "0.7"}});
  PowerParams p = PowerParams::from_scenario(s);
  EXPECT_DOUBLE_EQ(p.lbs_half, 12.0);
  EXPECT_DOUBLE_EQ(p.activity, 0.7);
  EXPECT_DOUBLE_EQ(p.gpu.idle_power_w, s.hw.p(kGpuIdlePower));
  EXPECT_DOUBLE_EQ(p.gpu.tdp_w, s.hw.p(kGpuTdp));
  EXPECT_EQ(p.cpu.cores, static_cast<int>(s.hw.p(kCpuCores)));
  EXPECT_EQ(p.gpus_per_node, s.gpus_per_node);
  // 64 / (64 + 12) of the dynamic range at activity 0.7.
  GpuPower g(p);
  EXPECT_DOUBLE_EQ(g.demand_w(64), p.gpu.idle_power_w + (p.gpu.tdp_w - p.gpu.idle_power_w) * 0.7 * (64.0 / 76.0));
}
