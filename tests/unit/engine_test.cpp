#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <tuple>
#include <vector>

#include "sim/core/engine.hpp"
#include "sim/core/errors.hpp"
#include "sim/core/rng.hpp"

using namespace ddpsim;

namespace {
struct Recorder final : EventHandler {
  std::vector<std::pair<Tick, std::uint32_t>> seen;
  void on_event(Engine& e, const Event& ev) override { seen.emplace_back(e.now(), ev.a()); }
};

struct Chain final : EventHandler {
  Recorder* rec;
  explicit Chain(Recorder* r) : rec(r) {}
  void on_event(Engine& e, const Event& ev) override {
    // Same-time event scheduled from inside a handler runs after those already queued.
    if (ev.a() == 1) e.schedule_in(0, rec, 0, 99);
  }
};
}  // namespace

TEST(Engine, OrdersByTimeThenPriorityThenInsertion) {
  Engine eng;
  Recorder r;
  eng.schedule_at(20, &r, 0, 1);
  eng.schedule_at(10, &r, 0, 2, 0, Priority::kLast);
  eng.schedule_at(10, &r, 0, 3);                     // same time, normal priority: before kLast
  eng.schedule_at(10, &r, 0, 4, 0, Priority::kFirst);
  eng.schedule_at(10, &r, 0, 5);                     // same time and priority as 3: after 3
  eng.run();
  std::vector<std::uint32_t> order;
  for (auto& [t, a] : r.seen) order.push_back(a);
  EXPECT_EQ(order, (std::vector<std::uint32_t>{4, 3, 5, 2, 1}));
  EXPECT_EQ(r.seen.back().first, 20);
  EXPECT_EQ(eng.events_processed(), 5u);
}

TEST(Engine, HandlersScheduleMoreAndTimeAdvances) {
  Engine eng;
  Recorder r;
  Chain c(&r);
  eng.schedule_at(5, &c, 0, 1);
  eng.schedule_at(5, &r, 0, 7);
  eng.run();
  ASSERT_EQ(r.seen.size(), 2u);
  EXPECT_EQ(r.seen[0].second, 7u);
  EXPECT_EQ(r.seen[1].second, 99u);
  EXPECT_EQ(eng.now(), 5);
}

TEST(Engine, SchedulingInThePastThrows) {
  Engine eng;
  Recorder r;
  eng.schedule_at(100, &r, 0);
  eng.run();
  EXPECT_THROW(eng.schedule_at(50, &r, 0), ModelError);
  EXPECT_THROW(eng.schedule_at(200, &r, 300), ModelError);  // kind does not fit 8 bits
}

TEST(Engine, RunUntilStopsAtLimit) {
  Engine eng;
  Recorder r;
  for (Tick t = 1; t <= 10; ++t) eng.schedule_at(t * 100, &r, 0, static_cast<std::uint32_t>(t));
  eng.run_until(450);
  EXPECT_EQ(r.seen.size(), 4u);
  EXPECT_EQ(eng.now(), 450);
  EXPECT_EQ(eng.pending(), 6u);
}

TEST(Engine, ManyRandomEventsComeOutSorted) {
  Engine eng;
  Recorder r;
  Rng rng(3, 0);
  for (int i = 0; i < 20000; ++i) eng.schedule_at(static_cast<Tick>(rng.uniform() * 1e6), &r, 0, static_cast<std::uint32_t>(i));
  eng.run();
  ASSERT_EQ(r.seen.size(), 20000u);
  for (std::size_t i = 1; i < r.seen.size(); ++i) {
    ASSERT_LE(r.seen[i - 1].first, r.seen[i].first);
    if (r.seen[i - 1].first == r.seen[i].first) {
      ASSERT_LT(r.seen[i - 1].second, r.seen[i].second);
    }
  }
}

TEST(Rng, DeterministicPerSeedAndStream) {
  Rng a(1, 0), b(1, 0), c(1, 1), d(2, 0);
  auto x = a.next();
  EXPECT_EQ(x, b.next());
  EXPECT_NE(x, c.next());
  EXPECT_NE(x, d.next());
  Rng j(5, 5);
  double sum = 0;
  for (int i = 0; i < 100000; ++i) sum += j.jitter(0.1);
  EXPECT_NEAR(sum / 100000, 1.0, 0.002);  // lognormal jitter has mean 1
  EXPECT_DOUBLE_EQ(j.jitter(0.0), 1.0);
}

namespace {
struct OrderRecorder final : EventHandler {
  std::vector<std::uint32_t> seen;
  void on_event(Engine&, const Event& e) override { seen.push_back(e.a()); }
};
}  // namespace

TEST(Engine, SequenceRenumberingKeepsInsertionOrder) {
  // Same-time, same-priority events run in insertion order even across the 2^32 wrap of the
  // sequence counter (pending events are renumbered in order).
  Engine eng;
  OrderRecorder r;
  eng.set_sequence_for_testing((1ull << 32) - 3);
  for (std::uint32_t i = 0; i < 10; ++i) eng.schedule_at(100, &r, 0, i);
  eng.schedule_at(50, &r, 0, 99);
  eng.run();
  EXPECT_EQ(r.seen, (std::vector<std::uint32_t>{99, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
}

TEST(Units, TickRoundingMatchesLlround) {
  for (double s : {0.0, -1.0, 1e-9, 0.5e-9, 0.49999999999999994e-9, 1.5e-9, 2.5e-9, 0.1, 1.0 / 3.0, 12345.678901234, 1e5}) {
    Tick expected = s > 0 ? static_cast<Tick>(std::llround(s * 1e9)) : 0;
    EXPECT_EQ(seconds_to_ticks(s), expected) << s;
  }
}

namespace {
// Each event schedules 0, 1 or 2 follow-ups (random delays, often 0, random priorities): the
// engine's order must equal a reference that sorts every (time, priority, insertion) triple.
struct Brancher final : EventHandler {
  Rng rng{11, 3};
  std::uint64_t inserted = 0;
  std::vector<std::tuple<Tick, int, std::uint64_t>> scheduled, seen;
  std::vector<std::size_t> pending_seen;
  long long budget = 30000;
  void add(Engine& e, Tick t, int prio) {
    scheduled.emplace_back(t, prio, inserted);
    e.schedule_at(t, this, 0, static_cast<std::uint32_t>(inserted & kMaxEventA), static_cast<std::uint32_t>(inserted >> 24),
                  static_cast<Priority>(prio));
    ++inserted;
  }
  void on_event(Engine& e, const Event& ev) override {
    std::uint64_t id = ev.a() | (static_cast<std::uint64_t>(ev.b) << 24);
    seen.emplace_back(e.now(), static_cast<int>(ev.order >> 56), id);
    pending_seen.push_back(e.pending());
    if (--budget <= 0) return;
    int children = static_cast<int>(rng.uniform() * 3.0);  // 0, 1 or 2
    for (int c = 0; c < children; ++c) {
      Tick d = rng.uniform() < 0.3 ? 0 : static_cast<Tick>(rng.uniform() * 50.0);
      add(e, e.now() + d, static_cast<int>(rng.uniform() * 4.0) * 64);
    }
  }
};
}  // namespace

TEST(Engine, HandlerSchedulesReuseThePoppedSlotInExactOrder) {
  Engine eng;
  Brancher b;
  for (int i = 0; i < 64; ++i) b.add(eng, static_cast<Tick>(i % 7), (i % 4) * 64);
  // Run in pieces (run_until) and to the end, as the training run does.
  eng.run_until(100);
  EXPECT_EQ(eng.now(), 100);
  eng.run();
  EXPECT_EQ(eng.pending(), 0u);
  // Reference: the same handler logic over a std::set ordered by (time, priority, insertion),
  // with the same random stream; the orders must be identical event by event.
  std::set<std::tuple<Tick, int, std::uint64_t>> q;
  Rng rng{11, 3};
  std::uint64_t inserted = 0;
  long long budget = 30000;
  std::vector<std::tuple<Tick, int, std::uint64_t>> ref;
  std::vector<std::size_t> ref_pending;
  for (int i = 0; i < 64; ++i) q.emplace(static_cast<Tick>(i % 7), (i % 4) * 64, inserted++);
  while (!q.empty()) {
    auto ev = *q.begin();
    q.erase(q.begin());
    ref.push_back(ev);
    ref_pending.push_back(q.size());
    if (--budget <= 0) continue;
    int children = static_cast<int>(rng.uniform() * 3.0);
    for (int c = 0; c < children; ++c) {
      Tick d = rng.uniform() < 0.3 ? 0 : static_cast<Tick>(rng.uniform() * 50.0);
      q.emplace(std::get<0>(ev) + d, static_cast<int>(rng.uniform() * 4.0) * 64, inserted++);
    }
  }
  ASSERT_GT(ref.size(), 1000u);
  EXPECT_EQ(b.seen, ref);
  // pending() never counts the event being handled.
  EXPECT_EQ(b.pending_seen, ref_pending);
}

TEST(Engine, StopInsideAHandlerLeavesTheRestPending) {
  struct Stopper final : EventHandler {
    int n = 0;
    void on_event(Engine& e, const Event&) override {
      if (++n == 3) e.stop();
    }
  } s;
  Engine eng;
  for (Tick t = 1; t <= 5; ++t) eng.schedule_at(t, &s, 0);
  eng.run();
  EXPECT_EQ(s.n, 3);
  EXPECT_EQ(eng.pending(), 2u);  // the stopped event's key is gone, two remain
  eng.run();
  EXPECT_EQ(s.n, 5);
  EXPECT_EQ(eng.pending(), 0u);
}
