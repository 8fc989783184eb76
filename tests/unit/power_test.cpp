#include <gtest/gtest.h>

#include <cmath>

#include "hwmodels/power.hpp"

using namespace ddpsim;

TEST(GpuPower, DemandAndCapByHand) {
  GpuPowerModel g;
  g.idle_power_w = 50;
  g.tdp_w = 400;
  g.power_limit_w = 400;
  g.limit_gamma = 0.5;
  g.limit_knee = 0.0;       // pure power law
  g.cap_sharpness = 1000;   // hard cap
  // 50 + 350 * 0.8 * 1.0 = 330 W, under the limit: no stretch.
  EXPECT_DOUBLE_EQ(g.demand_w(0.8, 1.0), 330.0);
  EXPECT_DOUBLE_EQ(g.compute_power_w(330.0), 330.0);
  EXPECT_DOUBLE_EQ(g.time_stretch(330.0), 1.0);
  // Cap at 190 W: draws 190 W, stretch = ((330-50)/(190-50))^0.5 = 2^0.5.
  g.power_limit_w = 190;
  EXPECT_DOUBLE_EQ(g.compute_power_w(330.0), 190.0);
  EXPECT_NEAR(g.time_stretch(330.0), std::sqrt(2.0), 1e-12);
  g.comm_fraction = 0.2;
  EXPECT_DOUBLE_EQ(g.comm_power_w(), 50 + 0.2 * 350);
}

TEST(GpuPower, SoftCapAndKneeByHand) {
  GpuPowerModel g;
  g.idle_power_w = 50;
  g.tdp_w = 400;
  g.power_limit_w = 190;  // 140 W of dynamic headroom
  g.cap_sharpness = 1;    // softmin with p = 1: (1/280 + 1/140)^-1 = 93.33 W
  EXPECT_NEAR(g.compute_power_w(330.0), 50 + 1.0 / (1.0 / 280 + 1.0 / 140), 1e-9);
  g.cap_sharpness = 1000;
  g.limit_gamma = 1.0 / 3.0;
  g.limit_knee = 0.5;
  // x = 140 / 280 = 0.5: at the knee, s = 0.5^(-1/3).
  EXPECT_NEAR(g.time_stretch(330.0), std::pow(0.5, -1.0 / 3.0), 1e-9);
  // Limit 120 W: x = 70 / 280 = 0.25 < knee: s = 0.5^(-1/3) x 0.5 / 0.25.
  g.power_limit_w = 120;
  EXPECT_NEAR(g.time_stretch(330.0), std::pow(0.5, -1.0 / 3.0) * 2.0, 1e-9);
}

TEST(GpuPower, OccupancySaturates) {
  EXPECT_DOUBLE_EQ(gpu_occupancy(16, 16), 0.5);
  EXPECT_DOUBLE_EQ(gpu_occupancy(0, 16), 0.0);
  EXPECT_GT(gpu_occupancy(256, 16), 0.94);
}

TEST(CpuPower, IdlePlusBusyCoresClamped) {
  CpuSocketPowerModel c;
  c.idle_power_w = 80;
  c.core_power_w = 5;
  c.cores = 38;
  EXPECT_DOUBLE_EQ(c.power_w(0), 80.0);
  EXPECT_DOUBLE_EQ(c.power_w(5), 105.0);
  EXPECT_DOUBLE_EQ(c.power_w(100), 80.0 + 5 * 38);
}
