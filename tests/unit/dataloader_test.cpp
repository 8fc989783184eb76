#include <gtest/gtest.h>

#include <vector>

#include "sim/core/errors.hpp"
#include "workloads/dataloader.hpp"

using namespace ddpsim;

namespace {
struct Host final : LoaderHost {
  std::vector<std::pair<int, long long>> started;  // (worker, batch)
  std::vector<long long> ready;
  void loader_start_batch(int, int worker, long long batch, long long) override { started.emplace_back(worker, batch); }
  void loader_batch_ready(int, long long batch) override { ready.push_back(batch); }
};
}  // namespace

TEST(DataLoader, RoundRobinWorkersAndPrefetchBound) {
  Host h;
  DataLoader dl(0, 2, 2, &h);  // 2 workers, prefetch 2 -> at most 4 batches outstanding
  dl.begin_pass(10, 8, 8);
  EXPECT_TRUE(h.started.empty());  // workers not started yet
  dl.workers_started();
  ASSERT_EQ(h.started.size(), 2u);
  EXPECT_EQ(h.started[0], std::make_pair(0, 0LL));
  EXPECT_EQ(h.started[1], std::make_pair(1, 1LL));
  dl.batch_built(1);  // batch 1 ready before batch 0: not consumable in order
  EXPECT_FALSE(dl.ready(0));
  EXPECT_TRUE(dl.ready(1));
  EXPECT_EQ(h.started.back(), std::make_pair(1, 3LL));  // worker 1 moves on to batch 3
  dl.batch_built(1);                                    // batch 3 built; 4 dispatched in total
  EXPECT_EQ(dl.busy_workers(), 1);                      // worker 1 idle: batch 5 not dispatched yet
  dl.batch_built(0);                                    // batch 0 ready, worker 0 takes batch 2
  EXPECT_TRUE(dl.ready(0));
  dl.consume(0);  // dispatches batch 4 (worker 0's queue)
  EXPECT_THROW(dl.consume(2), ModelError);  // out of order / not ready
  dl.consume(1);  // dispatches batch 5 -> idle worker 1 starts it
  EXPECT_EQ(h.started.back(), std::make_pair(1, 5LL));
}

TEST(DataLoader, LastBatchSizeAndPassEnd) {
  struct SizeHost final : LoaderHost {
    std::vector<long long> sizes;
    void loader_start_batch(int, int, long long, long long n) override { sizes.push_back(n); }
    void loader_batch_ready(int, long long) override {}
  } h;
  DataLoader dl(0, 1, 2, &h);
  dl.begin_pass(3, 256, 100);
  dl.workers_started();
  for (int i = 0; i < 3; ++i) {
    dl.batch_built(0);
    dl.consume(i);
  }
  EXPECT_EQ(h.sizes, (std::vector<long long>{256, 256, 100}));
  EXPECT_EQ(dl.next_to_consume(), 3);
  EXPECT_EQ(dl.busy_workers(), 0);
}

TEST(DataLoader, WorkersStartOneByOne) {
  Host h;
  DataLoader dl(0, 3, 1, &h);
  dl.begin_pass(6, 4, 4);
  dl.worker_started(1);  // only worker 1 is up: it takes its own first batch, 1
  ASSERT_EQ(h.started.size(), 1u);
  EXPECT_EQ(h.started[0], std::make_pair(1, 1LL));
  dl.batch_built(1);
  EXPECT_FALSE(dl.ready(0));  // batch 0 waits for worker 0
  dl.worker_started(0);
  EXPECT_EQ(h.started.back(), std::make_pair(0, 0LL));
  EXPECT_THROW(dl.worker_started(3), ModelError);
}

TEST(DataLoader, PinMemoryThreadCopiesInArrivalOrder) {
  struct PinHost final : LoaderHost {
    std::vector<long long> pins, ready;
    void loader_start_batch(int, int, long long, long long) override {}
    void loader_batch_ready(int, long long b) override { ready.push_back(b); }
    void loader_start_pin(int, long long b, long long) override { pins.push_back(b); }
  } h;
  DataLoader dl(0, 2, 2, &h, true);
  dl.begin_pass(4, 8, 8);
  dl.workers_started();
  dl.batch_built(1);  // batch 1 first: the pin thread starts copying it
  dl.batch_built(0);  // batch 0 queues behind it
  EXPECT_EQ(h.pins, (std::vector<long long>{1}));
  EXPECT_FALSE(dl.ready(1));  // built but not pinned yet
  dl.pin_done();
  EXPECT_TRUE(dl.ready(1));
  EXPECT_FALSE(dl.ready(0));
  EXPECT_EQ(h.pins, (std::vector<long long>{1, 0}));
  dl.pin_done();
  EXPECT_TRUE(dl.ready(0));
  EXPECT_EQ(h.ready, (std::vector<long long>{1, 0}));
  EXPECT_THROW(dl.pin_done(), ModelError);
}
