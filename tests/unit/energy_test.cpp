#include <gtest/gtest.h>

#include <sstream>

#include "sim/energy.hpp"
#include "sim/power_trace.hpp"

using namespace ddpsim;

TEST(Energy, HundredWattsForTenSecondsIsThousandJoules) {
  EnergyLedger l;
  int gpu = l.add_device(Component::Gpu, 100.0, Phase::Compute);
  l.finish(10 * kTicksPerSecond);
  EXPECT_DOUBLE_EQ(l.device_energy_j(gpu), 1000.0);
  EXPECT_DOUBLE_EQ(l.energy_j(Component::Gpu), 1000.0);
  EXPECT_DOUBLE_EQ(l.phase_time_s(Component::Gpu, Phase::Compute), 10.0);
}

TEST(Energy, PiecewiseConstantPowerPerPhaseAndComponent) {
  EnergyLedger l;
  int gpu = l.add_device(Component::Gpu, 300.0, Phase::Compute);
  int cpu = l.add_device(Component::Cpu, 80.0, Phase::Idle);
  l.add_device(Component::Ram, 30.0, Phase::Idle);
  l.set(gpu, 2 * kTicksPerSecond, 50.0, Phase::Stall);  // 2 s at 300 W = 600 J compute
  l.set(cpu, 3 * kTicksPerSecond, 90.0, Phase::Compute);  // 3 s at 80 W = 240 J idle
  l.finish(5 * kTicksPerSecond);                          // gpu 3 s x 50 W = 150 J stall; cpu 2 s x 90 W = 180 J
  EXPECT_DOUBLE_EQ(l.phase_energy_j(Component::Gpu, Phase::Compute), 600.0);
  EXPECT_DOUBLE_EQ(l.phase_energy_j(Component::Gpu, Phase::Stall), 150.0);
  EXPECT_DOUBLE_EQ(l.energy_j(Component::Cpu), 420.0);
  EXPECT_DOUBLE_EQ(l.energy_j(Component::Ram), 150.0);
  EXPECT_DOUBLE_EQ(l.total_energy_j(), 600 + 150 + 420 + 150);
  for (auto c : {Component::Gpu, Component::Cpu, Component::Ram}) EXPECT_NEAR(l.observed_energy_j(c), l.energy_j(c), 1e-9);
}

TEST(PowerTrace, RowsAreIntervalMeansThatIntegrateToTheEnergy) {
  std::ostringstream out;
  PowerTraceWriter w(out, 1.0, 1);
  EnergyLedger l(&w);
  int gpu = l.add_device(Component::Gpu, 100.0, Phase::Compute, true);
  l.set(gpu, kTicksPerSecond / 2, 300.0, Phase::Compute);  // 0.5 s at 100 W, then 300 W
  l.finish(kTicksPerSecond * 5 / 2);                        // ends at 2.5 s
  // Rows: [0,1): 0.5*100 + 0.5*300 = 200 W; [1,2): 300 W; [2,2.5): 300 W.
  EXPECT_EQ(out.str(),
            "time_s,gpu_w,cpu_w,ram_w,total_w,gpu0_w\n"
            "1.000,200.000,0.000,0.000,200.000,200.000\n"
            "2.000,300.000,0.000,0.000,300.000,300.000\n"
            "2.500,300.000,0.000,0.000,300.000,300.000\n");
  EXPECT_EQ(w.rows(), 3u);
  EXPECT_DOUBLE_EQ(l.total_energy_j(), 50.0 + 600.0);
}
