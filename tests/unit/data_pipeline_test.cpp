// The data-pipeline component of a run (sim/run/data_pipeline.hpp): pass planning, worker
// start-up, decode cost, and when the first batches arrive.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <vector>

#include "sim/run/data_pipeline.hpp"
#include "sim/run/training_run.hpp"

using namespace ddpsim;

namespace {

DataPipelineParams hand_pipeline() {
  DataPipelineParams p;
  p.ranks = 1;
  p.gpus_per_node = 4;
  p.nodes = 1;
  p.workers = 3;
  p.prefetch = 2;
  p.bytes_per_sample = 0;  // nothing to read: decode only
  p.decode_per_sample_s = 0.01;
  p.read_cpu_bps = 1e9;
  p.cores_per_node = 64;
  p.sockets_per_node = 2;
  p.worker_launch_s = 0.1;
  p.worker_init_s = 1.0;
  p.lbs = 10;
  p.train_samples = 100;
  return p;
}

// Plays the training run: starts the workers, forwards the loader's work to the pipeline and
// records when each batch is ready; consumes batch 0 as soon as it is.
class Host final : public EventHandler, public LoaderHost {
 public:
  Host(const DataPipelineParams& p, Engine& engine)
      : engine_(&engine), power_(PowerParams{}), sockets_(power_, p.nodes), pipe_(p, 1, engine, this, sockets_) {
    sockets_.add_devices(ledger_);
    ready.assign(static_cast<std::size_t>(p.train_samples), -1);
  }
  /// Starts the current pass at `now`, its workers as the training run would.
  void start_pass(int epoch) {
    pipe_.begin_pass(engine_->now());
    if (!pipe_.fresh_workers(epoch)) {
      engine_->schedule_in(0, this, 1, 0, kAllWorkers);
    } else {
      for (std::size_t k = 0; k < pipe_.worker_up().size(); ++k) engine_->schedule_in(pipe_.worker_up()[k], this, 1, 0, static_cast<std::uint32_t>(k));
    }
  }
  void on_event(Engine& /*engine*/, const Event& e) override { pipe_.workers_started(e.b); }
  void loader_start_batch(int rank, int worker, long long /*batch*/, long long samples) override { pipe_.start_batch(rank, worker, samples); }
  void loader_start_pin(int rank, long long /*batch*/, long long samples) override { pipe_.start_pin(rank, samples); }
  void loader_batch_ready(int /*rank*/, long long batch) override {
    ready[static_cast<std::size_t>(batch)] = engine_->now();
    max_busy = std::max(max_busy, sockets_.node_busy(0));
    if (batch == 0) {
      pipe_.first_batch_consumed(engine_->now());
      pipe_.loader(0).consume(0);
    }
  }

  Engine* engine_;
  PowerParams power_;
  EnergyLedger ledger_;
  CpuSockets sockets_;
  DataPipeline pipe_;
  std::vector<Tick> ready;  // per batch, -1 = not ready
  int max_busy = 0;
};

}  // namespace

TEST(DataPipeline, PassesOfAnEpoch) {
  DataPipelineParams p = hand_pipeline();
  p.ranks = 4;
  p.lbs = 32;
  p.train_samples = 1000;
  p.val_samples = 100;
  p.train_eval_pass = true;
  auto passes = plan_passes(p);
  ASSERT_EQ(passes.size(), 3u);
  // 1000 samples over 4 ranks: 250 each, 8 batches of 32, the last one 250 - 7 x 32 = 26.
  EXPECT_EQ(passes[0].kind, PassKind::Train);
  EXPECT_EQ(passes[0].split.batches, 8);
  EXPECT_EQ(passes[0].split.last_batch_size, 26);
  EXPECT_EQ(passes[1].kind, PassKind::TrainEval);
  EXPECT_EQ(passes[2].kind, PassKind::Validation);
  EXPECT_EQ(passes[2].split.batches, 1);
  EXPECT_EQ(passes[2].split.last_batch_size, 25);
  p.val_samples = 0;
  p.train_eval_pass = false;
  EXPECT_EQ(plan_passes(p).size(), 1u);
}

TEST(DataPipeline, WorkerStartupAndDecodeByHand) {
  DataPipelineParams p = hand_pipeline();
  // Worker k is up at (k + 1) x 0.1 s + 1 s.
  auto up = worker_up_ticks(p);
  ASSERT_EQ(up.size(), 3u);
  EXPECT_EQ(up[0], seconds_to_ticks(1.1));
  EXPECT_EQ(up[2], seconds_to_ticks(1.3));
  p.bytes_per_sample = 1e5;
  p.read_cpu_bps = 1e8;
  p.cores_per_node = 8;
  Engine engine;
  Host host(p, engine);
  // 32 x (10 ms + 1e5 B / 1e8 B/s) = 0.352 s; with 10 busy cores on 8 the decode takes 11/8 longer.
  EXPECT_NEAR(host.pipe_.decode_s(32, 0), 0.352, 1e-12);
  EXPECT_NEAR(host.pipe_.decode_s(32, 10), 0.352 * 11.0 / 8.0, 1e-12);
  EXPECT_DOUBLE_EQ(host.pipe_.worker_startup_s(), 1.3);
}

TEST(DataPipeline, FirstBatchArrivesOneDecodeAfterItsWorker) {
  // W = 3 workers up at 1.1, 1.2, 1.3 s; a batch of 10 samples decodes in 10 x 10 ms = 0.1 s.
  DataPipelineParams p = hand_pipeline();
  Engine engine;
  Host host(p, engine);
  host.start_pass(0);
  engine.run();
  auto near = [](Tick t, double s) { return std::llabs(t - seconds_to_ticks(s)) <= 1; };
  // Batch k of the first round is built by worker k: ready at its start-up + 0.1 s.
  EXPECT_TRUE(near(host.ready[0], 1.2)) << host.ready[0];
  EXPECT_TRUE(near(host.ready[1], 1.3)) << host.ready[1];
  EXPECT_TRUE(near(host.ready[2], 1.4)) << host.ready[2];
  // Second round (prefetch 2: six batches dispatched): each worker's next batch 0.1 s later.
  EXPECT_TRUE(near(host.ready[3], 1.3)) << host.ready[3];
  EXPECT_TRUE(near(host.ready[5], 1.5)) << host.ready[5];
  // Consuming batch 0 dispatched batch 6 to worker 0, free again at 1.3 s.
  EXPECT_TRUE(near(host.ready[6], 1.4)) << host.ready[6];
  EXPECT_EQ(host.ready[7], -1);  // not dispatched: nothing else consumed
  EXPECT_NEAR(host.pipe_.mean_first_batch_wait_s(PassKind::Train), 1.2, 1e-9);
  EXPECT_DOUBLE_EQ(host.pipe_.mean_first_batch_wait_s(PassKind::Validation), 0.0);
  // Decoding workers kept at most one core each busy, released when done.
  EXPECT_LE(host.max_busy, 3);
  EXPECT_EQ(host.sockets_.node_busy(0), 0);
}

TEST(DataPipeline, PersistentWorkersAndPinnedBatches) {
  DataPipelineParams p = hand_pipeline();
  p.persistent_workers = true;
  p.pin_memory = true;
  p.device_bytes_per_sample = 1e6;
  p.memcpy_bps = 1e9;  // pinning 10 samples: 10 ms
  Engine engine;
  Host host(p, engine);
  EXPECT_TRUE(host.pipe_.fresh_workers(0));
  EXPECT_FALSE(host.pipe_.fresh_workers(1));
  host.start_pass(1);  // a later epoch: the workers are up at once
  engine.run();
  auto near = [](Tick t, double s) { return std::llabs(t - seconds_to_ticks(s)) <= 1; };
  // Every worker decodes from 0; one pin-memory thread copies the batches in turn.
  EXPECT_TRUE(near(host.ready[0], 0.11)) << host.ready[0];
  EXPECT_TRUE(near(host.ready[1], 0.12)) << host.ready[1];
  EXPECT_TRUE(near(host.ready[2], 0.13)) << host.ready[2];
}
