#include <gtest/gtest.h>

#include "hwmodels/collectives.hpp"

using namespace ddpsim;

namespace {
CommModel simple() {
  CommModel m;
  m.gpus_per_node = 4;
  m.nics_per_node = 2;
  m.nic_bandwidth_bps = 25e9;
  m.nic_latency_s = 1e-6;
  m.nvlink_bandwidth_bps = 100e9;
  m.nvlink_latency_s = 2e-6;
  m.intra_efficiency = 1.0;
  m.inter_efficiency = 1.0;
  m.call_overhead_s = 10e-6;
  return m;
}
}  // namespace

TEST(Collectives, SingleRankCostsNothing) { EXPECT_EQ(simple().allreduce_s(1e9, 1), 0.0); }

TEST(Collectives, IntraNodeRingByHand) {
  // 4 GPUs, 100 MB: 2 * 3/4 * 100e6 / 100e9 = 1.5 ms, + 2*3*2 us = 12 us, + 10 us overhead.
  EXPECT_NEAR(simple().allreduce_s(100e6, 4), 1.5e-3 + 12e-6 + 10e-6, 1e-12);
}

TEST(Collectives, HierarchicalByHand) {
  // 8 GPUs on 2 nodes, 100 MB: intra 1.5 ms + 12 us; inter 2 * 1/2 * 100e6 / (2*25e9) = 2 ms + 2 us.
  EXPECT_NEAR(simple().allreduce_s(100e6, 8), 1.5e-3 + 12e-6 + 2e-3 + 2e-6 + 10e-6, 1e-12);
}

TEST(Collectives, BusBandwidthFormula) {
  // nccl-tests: busbw = size / time * 2(n-1)/n. 1 GB in 0.1 s on 8 ranks: 10 GB/s * 1.75.
  EXPECT_DOUBLE_EQ(CommModel::busbw_bps(1e9, 8, 0.1), 17.5e9);
}
