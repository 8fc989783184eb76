// The DDP communication component of a run (sim/run/ddp_comm.hpp): gradient buckets, when each
// is ready along the backward pass, and when a step's allreduces are done.
#include <gtest/gtest.h>

#include "sim/core/errors.hpp"
#include "sim/run/ddp_comm.hpp"
#include "sim/run/training_run.hpp"
#include "tests/unit/run_helpers.hpp"

using namespace ddpsim;

namespace {

// Receives the component's "collective done" events.
class DoneRecorder final : public EventHandler {
 public:
  void on_event(Engine& engine, const Event& e) override {
    EXPECT_EQ(e.kind(), 7u);
    done.push_back(engine.now());
  }
  std::vector<Tick> done;
};

// Alpha-beta model on one node: an allreduce of B bytes over 2 GPUs takes B / 1 GB/s.
DdpCommParams alpha_beta_two_ranks() {
  DdpCommParams p;
  p.ranks = 2;
  p.bucket_bytes = {1e9, 2e9};
  p.gradient_bytes = 3e9;
  p.fabric_model = false;
  p.alpha_beta.gpus_per_node = 4;
  p.alpha_beta.nvlink_bandwidth_bps = 1e9;
  p.alpha_beta.intra_efficiency = 1.0;
  p.alpha_beta.nvlink_latency_s = 0;
  p.alpha_beta.call_overhead_s = 0;
  return p;
}

}  // namespace

TEST(DdpComm, BucketsFromGradientBytesAndBucketCap) {
  Scenario s = resnet50_a100(8, 64, {{"model.gradient_bytes", "60 MB"}, {"ddp.bucket_cap", "25 MB"}, {"ddp.first_bucket_cap", "1 MB"}});
  DdpCommParams p = DdpCommParams::from_scenario(s);
  // 60 MB: a 1 MB first bucket, two of 25 MB, the last 9 MB.
  ASSERT_EQ(p.bucket_bytes.size(), 4u);
  EXPECT_DOUBLE_EQ(p.bucket_bytes[0], 1e6);
  EXPECT_DOUBLE_EQ(p.bucket_bytes[1], 25e6);
  EXPECT_DOUBLE_EQ(p.bucket_bytes[2], 25e6);
  EXPECT_DOUBLE_EQ(p.bucket_bytes[3], 9e6);
  EXPECT_EQ(p.ranks, 8);
  EXPECT_EQ(p.fabric.nodes, s.nodes);
  Engine engine;
  DoneRecorder rec;
  DdpComm comm(p, engine, &rec, 7);
  ASSERT_EQ(comm.buckets(), 4u);
  // Ready after 1/60, 26/60, 51/60 and all of the backward pass.
  EXPECT_DOUBLE_EQ(comm.bucket_ready_fraction(0), 1.0 / 60);
  EXPECT_DOUBLE_EQ(comm.bucket_ready_fraction(1), 26.0 / 60);
  EXPECT_DOUBLE_EQ(comm.bucket_ready_fraction(2), 51.0 / 60);
  EXPECT_DOUBLE_EQ(comm.bucket_ready_fraction(3), 1.0);
  EXPECT_FALSE(comm.live());
  for (std::size_t b = 1; b < comm.buckets(); ++b) EXPECT_GT(comm.bucket_cost_s(b), 0.0);
}

TEST(DdpComm, AlphaBetaStepByHand) {
  DdpCommParams p = alpha_beta_two_ranks();
  Engine engine;
  DoneRecorder rec;
  DdpComm comm(p, engine, &rec, 7);
  EXPECT_DOUBLE_EQ(comm.bucket_cost_s(0), 1.0);
  EXPECT_DOUBLE_EQ(comm.bucket_cost_s(1), 2.0);
  EXPECT_DOUBLE_EQ(comm.barrier_s(), 8e-9);
  EXPECT_DOUBLE_EQ(comm.bucket_ready_fraction(0), 1.0 / 3);
  // Rank 0: forward 1 s, backward 3 s: buckets ready at 2 s and 4 s. Rank 1: forward 2 s:
  // ready at 3 s and 5 s. Bucket 0 runs 3..4 s, bucket 1 5..7 s.
  comm.rank_backward(0, 1.0, 3.0);
  EXPECT_EQ(engine.pending(), 0u);  // not every rank yet
  comm.rank_backward(0, 2.0, 3.0);
  engine.run();
  ASSERT_EQ(rec.done.size(), 1u);
  EXPECT_EQ(rec.done[0], seconds_to_ticks(7.0));
  // The next step starts afresh: both ranks at 10 s, forward 0, backward 3 s: 11..12 s, 13..15 s.
  comm.rank_backward(seconds_to_ticks(10.0), 0.0, 3.0);
  comm.rank_backward(seconds_to_ticks(10.0), 0.0, 3.0);
  engine.run();
  ASSERT_EQ(rec.done.size(), 2u);
  EXPECT_EQ(rec.done[1], seconds_to_ticks(15.0));
}

TEST(DdpComm, StreamsNeedTheFabricModel) {
  DdpCommParams p = alpha_beta_two_ranks();
  p.streams = 2;
  Engine engine;
  DoneRecorder rec;
  EXPECT_THROW(DdpComm(p, engine, &rec, 7), InputError);
}

TEST(DdpComm, LiveFlowsFinishAfterTheLastBucketIsReady) {
  Scenario s = resnet50_a100(8, 64, {{"nccl.live_flows", "1"}});
  DdpCommParams p = DdpCommParams::from_scenario(s);
  Engine engine;
  DoneRecorder rec;
  DdpComm comm(p, engine, &rec, 7);
  ASSERT_TRUE(comm.live());
  for (int r = 0; r < 8; ++r) comm.rank_backward(0, 0.1, 0.2);
  engine.run();
  ASSERT_EQ(rec.done.size(), 1u);
  // The last bucket is ready at 0.3 s; its allreduce takes at least its time alone.
  EXPECT_GE(rec.done[0], seconds_to_ticks(0.3 + comm.bucket_cost_s(comm.buckets() - 1)) - 1000);
}
