#include <gtest/gtest.h>

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
