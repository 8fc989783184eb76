// Validation of the fabric and collective models against published figures
// (../shared/reference/public-facts.md) and of the fabric what-ifs on training runs.
#include <gtest/gtest.h>

#include "sim/output/collective_report.hpp"
#include "sim/run/training_run.hpp"

using namespace ddpsim;

namespace {
CollectiveRow allreduce(const std::string& hw, int gpus, double bytes, const std::string& algo = "",
                        std::vector<std::pair<std::string, std::string>> overrides = {}) {
  CollectiveQuery q;
  q.hardware = hw;
  q.gpus = gpus;
  q.sizes_bytes = {bytes};
  q.algorithm = algo;
  q.overrides = std::move(overrides);
  return run_collectives(q).rows.front();
}

double runtime_h(const std::string& wl, int gpus, long long lbs, std::vector<std::pair<std::string, std::string>> overrides,
                 int epochs = 2) {
  RunConfig c;
  c.workload = wl;
  c.hardware = "a100";
  c.gpus = gpus;
  c.lbs = lbs;
  c.epochs = epochs;
  c.overrides = std::move(overrides);
  return simulate(resolve_scenario(c), 1).runtime_s / 3600.0;
}
}  // namespace

TEST(FabricValidation, LargeAllreduceBusBandwidthNearHdrPortRate) {
  // nccl-tests issues 119 / 1048: ~24 GB/s achieved per HDR 200 Gbit/s port (4 ports: 85-96 GB/s
  // busbw). A100 nodes have two HDR adapters, so a large ring allreduce on 2-8 nodes should
  // reach busbw ~ 2 x 24 GB/s. Tolerance: +-15 % of 24 GB/s per port.
  for (int gpus : {8, 16, 32}) {
    CollectiveRow r = allreduce("a100", gpus, 1073741824.0, "ring");
    double per_port = r.busbw_bps / 2 / 1e9;
    EXPECT_GT(per_port, 24 * 0.85) << gpus << " GPUs";
    EXPECT_LT(per_port, 24 * 1.15) << gpus << " GPUs";
  }
}

TEST(FabricValidation, DgxA100MatchesPublishedNcclTestsFigures) {
  // public-facts.md: "3 nodes x 8 A100 with 4 HDR ports each: 84.8 GB/s mean, 96 GB/s peak bus
  // bandwidth (nccl-tests issue 119, NCCL issue 1048). Intra-node 8x A100 with NVSwitch: 232 GB/s."
  // The dgx-a100 entry with 4 adapters is that system; tolerance 15 % of the mean figure.
  CollectiveRow one = allreduce("dgx-a100", 8, 1073741824.0);
  EXPECT_NEAR(one.busbw_bps / 1e9, 232.0, 0.15 * 232.0);
  CollectiveRow four = allreduce("dgx-a100", 24, 1073741824.0, "", {{"node.nics", "4"}});
  EXPECT_NEAR(four.busbw_bps / 1e9, 84.8, 0.15 * 84.8);
  // With all 8 HDR adapters and PXN on the rail-optimised fabric, 2-8 nodes scale with the
  // adapters: near 8 x 24 GB/s (no published figure in public-facts.md: a bound, not a match).
  for (int gpus : {16, 32, 64}) {
    double busbw = allreduce("dgx-a100", gpus, 1073741824.0).busbw_bps / 1e9;
    EXPECT_GT(busbw, 0.85 * 8 * 24) << gpus;
    EXPECT_LT(busbw, 8 * 25.0) << gpus;  // never above the adapters' line rate
  }
}

TEST(FabricValidation, NcclChannelsFollowTheAdapters) {
  // nccl.channels 0 = one ring per adapter (at least 2): the 8-adapter DGX gets 8 rings, and
  // forcing 2 rings leaves most adapters idle.
  double auto_bw = allreduce("dgx-a100", 32, 1073741824.0, "ring").busbw_bps;
  double two = allreduce("dgx-a100", 32, 1073741824.0, "ring", {{"nccl.channels", "2"}}).busbw_bps;
  EXPECT_GT(auto_bw, 3.0 * two);
  HardwareSpec hw = load_hardware("dgx-a100");
  EXPECT_EQ(hw.nccl_channels(), 8);
  EXPECT_EQ(load_hardware("a100").nccl_channels(), 2);
}

TEST(FabricValidation, BusBandwidthFallsAtSmallMessages) {
  // nccl-tests issue 232 (H100 nodes): 18.5 GB/s at 2 MB vs 41.3 GB/s at 32 MB (ratio 0.45).
  // Check the shape: busbw at 2 MB below 80 % of that at 32 MB, and at 64 kB below 25 % of 1 GiB.
  double b2m = allreduce("h100", 16, 2097152.0).busbw_bps, b32m = allreduce("h100", 16, 33554432.0).busbw_bps;
  EXPECT_LT(b2m, 0.8 * b32m);
  EXPECT_LT(allreduce("a100", 16, 65536.0).busbw_bps, 0.25 * allreduce("a100", 16, 1073741824.0).busbw_bps);
}

TEST(FabricValidation, IntraNodeFarFasterThanInterNode) {
  // Public facts: 232 GB/s busbw inside an 8x A100 NVSwitch node vs ~24 GB/s per HDR port.
  // Expect the 4-GPU NVLink node at least 3x the 2-node busbw, and within 150-300 GB/s.
  double intra = allreduce("a100", 4, 1073741824.0).busbw_bps / 1e9;
  double inter = allreduce("a100", 8, 1073741824.0, "ring").busbw_bps / 1e9;
  EXPECT_GT(intra, 3 * inter);
  EXPECT_GT(intra, 150);
  EXPECT_LT(intra, 300);
}

TEST(FabricValidation, WhatIfsMoveFourCastNetTheRightWay) {
  // With the loader made fast enough that communication is on the critical path, the 64-GPU
  // FourCastNet pre-training run (LBS 1) slows with one adapter per node or a 2:1 fat tree
  // and speeds up with NDR 400 Gbit/s.
  std::vector<std::pair<std::string, std::string>> fast_fs = {{"fs.aggregate_bandwidth", "200 GB/s"}, {"fs.stream_bandwidth", "2 GB/s"}};
  auto with = [&](std::vector<std::pair<std::string, std::string>> extra) {
    auto o = fast_fs;
    o.insert(o.end(), extra.begin(), extra.end());
    return runtime_h("fourcastnet", 64, 1, o);
  };
  double base = with({});
  EXPECT_GT(with({{"node.nics", "1"}}), base);
  EXPECT_GT(with({{"fabric.blocking_factor", "2"}}), base);
  EXPECT_LT(with({{"nic.bandwidth", "400 Gbit/s"}, {"fabric.link_bandwidth", "400 Gbit/s"}}), base);
  // With the shipped calibration the run waits on its file system; the what-ifs can only be
  // hidden by data stalls, never reversed.
  double shipped = runtime_h("fourcastnet", 64, 1, {});
  EXPECT_GE(runtime_h("fourcastnet", 64, 1, {{"node.nics", "1"}}), shipped);
  EXPECT_LE(runtime_h("fourcastnet", 64, 1, {{"nic.bandwidth", "400 Gbit/s"}, {"fabric.link_bandwidth", "400 Gbit/s"}}), shipped);
}

TEST(FabricValidation, ResNet50BarelyNotices) {
  // ResNet50 at LBS 256 on 256 GPUs: 102 MB of gradients per 0.3 s step; each what-if < 1 %.
  double base = runtime_h("resnet50", 256, 256, {}, 5);
  for (auto o : std::vector<std::pair<std::string, std::string>>{
           {"node.nics", "1"}, {"fabric.blocking_factor", "2"}, {"nic.bandwidth", "400 Gbit/s"}}) {
    double t = runtime_h("resnet50", 256, 256, {o}, 5);
    EXPECT_LT(std::fabs(t / base - 1), 0.01) << o.first;
  }
}

TEST(FabricValidation, LiveFlowsEqualMemoisedCollectivesWithOneStream) {
  // With one DDP stream the fabric is idle when a bucket starts, so simulating its flows live
  // must give the memoised time (up to nanosecond rounding of each phase).
  double memo = runtime_h("fourcastnet", 16, 1, {}, 1);
  double live = runtime_h("fourcastnet", 16, 1, {{"nccl.live_flows", "true"}}, 1);
  EXPECT_NEAR(live, memo, 1e-6 * memo);
  // Two streams: buckets overlap and share links; the run still completes and communicates.
  RunConfig c;
  c.workload = "fourcastnet";
  c.hardware = "a100";
  c.gpus = 16;
  c.lbs = 1;
  c.epochs = 1;
  c.overrides = {{"ddp.comm_streams", "2"}};
  RunResult r = simulate(resolve_scenario(c), 1);
  EXPECT_GT(r.phase_time_s[1], 0.0);
}
