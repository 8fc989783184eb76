#include <gtest/gtest.h>

#include "hwmodels/hardware.hpp"
#include "sim/core/errors.hpp"
#include "workloads/workload.hpp"

using namespace ddpsim;

TEST(Workload, SplitPassLikeDistributedSampler) {
  // 1 281 167 samples on 256 ranks at LBS 256: ceil(1281167/65536) = 20 steps.
  auto s = split_pass(1281167, 256, 256);
  EXPECT_EQ(s.samples_per_rank, 5005);  // ceil(1281167 / 256)
  EXPECT_EQ(s.batches, 20);
  EXPECT_EQ(s.last_batch_size, 5005 - 19 * 256);
  auto one = split_pass(1024, 1, 256);
  EXPECT_EQ(one.batches, 4);
  EXPECT_EQ(one.last_batch_size, 256);
}

TEST(Workload, MemoryBoundOnLbs) {
  WorkloadSpec rn = load_workload("resnet50");
  HardwareSpec a100 = load_hardware("a100");
  EXPECT_GE(rn.max_lbs(a100.p(kGpuMemory), rn.phase("")), 256);
  EXPECT_LT(rn.max_lbs(a100.p(kGpuMemory), rn.phase("")), 512);
  WorkloadSpec fcn = load_workload("fourcastnet");
  EXPECT_EQ(fcn.max_lbs(a100.p(kGpuMemory), fcn.phase("pretrain")), 4);  // paper: LBS limit 4 on A100-40GB
  EXPECT_LT(fcn.max_lbs(a100.p(kGpuMemory), fcn.phase("finetune")), 4);  // two-step rollout doubles activations
  EXPECT_THROW(fcn.phase("finetuning"), InputError);
}

TEST(Workload, BucketsFollowDdpDefaults) {
  WorkloadSpec rn = load_workload("resnet50");
  auto b = rn.bucket_bytes();
  // 102 228 128 B: 1 MB first bucket, then 25 MB buckets: 1 + 4 x 25 + 1.228128 MB.
  ASSERT_EQ(b.size(), 6u);
  EXPECT_DOUBLE_EQ(b[0], 1e6);
  EXPECT_DOUBLE_EQ(b[1], 25e6);
  double sum = 0;
  for (double x : b) sum += x;
  EXPECT_DOUBLE_EQ(sum, 102228128.0);
}

TEST(Workload, UnknownNamesSuggest) {
  try {
    load_workload("resnet");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("did you mean 'resnet50'"), std::string::npos);
  }
  EXPECT_THROW(load_hardware("a10"), InputError);
}
