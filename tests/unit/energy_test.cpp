#include <gtest/gtest.h>

#include <sstream>

#include "sim/run/energy.hpp"
#include "sim/output/power_trace.hpp"

using namespace ddpsim;

TEST(Energy, HundredWattsForTenSecondsIsThousandJoules) {
  EnergyLedger l;
  int gpu = l.add_device(Component::Gpu, 100.0, Phase::Compute);
  l.finish(10 * kTicksPerSecond);
  EXPECT_DOUBLE_EQ(l.device_energy_j(gpu), 1000.0);
  EXPECT_DOUBLE_EQ(l.energy_j(Component::Gpu), 1000.0);
  EXPECT_DOUBLE_EQ(l.phase_time_s(Component::Gpu, Phase::Compute), 10.0);
}

TEST(Energy, AWeightedDeviceCountsForItsClass) {
  // Rank classes: one GPU standing for 4 identical GPUs, 100 W for 10 s then 50 W for 10 s:
  // 4 x (1000 + 500) J = 6000 J, 40 device-seconds in each phase, 400 W then 200 W in total.
  EnergyLedger l;
  int gpu = l.add_device(Component::Gpu, 100.0, Phase::Compute, false, 4.0);
  l.set(gpu, 10 * kTicksPerSecond, 50.0, Phase::Idle);
  l.finish(20 * kTicksPerSecond);
  EXPECT_DOUBLE_EQ(l.energy_j(Component::Gpu), 6000.0);
  EXPECT_DOUBLE_EQ(l.observed_energy_j(Component::Gpu), 6000.0);
  EXPECT_DOUBLE_EQ(l.phase_time_s(Component::Gpu, Phase::Compute), 40.0);
  EXPECT_DOUBLE_EQ(l.phase_time_s(Component::Gpu, Phase::Idle), 40.0);
  EXPECT_DOUBLE_EQ(l.devices(Component::Gpu), 4.0);
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

namespace {
// GPU power alternating 100 W (first 0.75 s of each second) and 500 W (last 0.25 s), a CPU at a
// constant 80 W, sampled every second for 3 s through a GPU sensor with window `window_s`.
std::string sensed_trace(double window_s) {
  std::ostringstream out;
  PowerTraceWriter w(out, 1.0, 1, window_s);
  EnergyLedger l(&w);
  int gpu = l.add_device(Component::Gpu, 100.0, Phase::Idle, true);
  l.add_device(Component::Cpu, 80.0, Phase::Idle);
  for (int s = 0; s < 3; ++s) {
    l.set(gpu, s * kTicksPerSecond + kTicksPerSecond * 3 / 4, 500.0, Phase::Compute);
    l.set(gpu, (s + 1) * kTicksPerSecond, 100.0, Phase::Idle);
  }
  l.finish(3 * kTicksPerSecond);
  return out.str();
}
}  // namespace

TEST(PowerTrace, GpuSensorModelsInstantaneousAndWindowedReadings) {
  const std::string header = "time_s,gpu_w,cpu_w,ram_w,total_w,gpu0_w\n";
  // Interval means: 0.75 x 100 + 0.25 x 500 = 200 W.
  EXPECT_EQ(sensed_trace(-1.0), header +
                                    "1.000,200.000,80.000,0.000,280.000,200.000\n"
                                    "2.000,200.000,80.000,0.000,280.000,200.000\n"
                                    "3.000,200.000,80.000,0.000,280.000,200.000\n");
  // Instantaneous (GA100): the power just before each sample instant, 500 W; the CPU column
  // stays an interval mean (RAPL energy counters).
  EXPECT_EQ(sensed_trace(0.0), header +
                                   "1.000,500.000,80.000,0.000,580.000,500.000\n"
                                   "2.000,500.000,80.000,0.000,580.000,500.000\n"
                                   "3.000,500.000,80.000,0.000,580.000,500.000\n");
  // A 0.5 s window: 0.25 s at 100 W and 0.25 s at 500 W = 300 W.
  EXPECT_EQ(sensed_trace(0.5), header +
                                   "1.000,300.000,80.000,0.000,380.000,300.000\n"
                                   "2.000,300.000,80.000,0.000,380.000,300.000\n"
                                   "3.000,300.000,80.000,0.000,380.000,300.000\n");
  // A 2 s window: the first sample sees only [0, 1) (200 W), later ones two whole periods (200 W).
  EXPECT_EQ(sensed_trace(2.0), sensed_trace(-1.0));
}

TEST(PowerTrace, InstantaneousSensorCatchesShortIdleDipsThatAOneSecondWindowHides) {
  // 0.9 s at 400 W then 0.1 s idle at 50 W, sampled at 1 s: an instantaneous sensor reads the idle
  // dip every time, a 1 s window reads 365 W.
  for (double window_s : {0.0, 1.0}) {
    std::ostringstream out;
    PowerTraceWriter w(out, 1.0, 1, window_s);
    EnergyLedger l(&w);
    int gpu = l.add_device(Component::Gpu, 400.0, Phase::Compute, true);
    l.set(gpu, kTicksPerSecond * 9 / 10, 50.0, Phase::Idle);
    l.finish(kTicksPerSecond);
    EXPECT_NE(out.str().find(window_s == 0.0 ? "1.000,50.000," : "1.000,365.000,"), std::string::npos) << out.str();
  }
}
