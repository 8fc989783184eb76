#include <gtest/gtest.h>

#include <map>

#include "hwmodels/shared_bandwidth.hpp"
#include "sim/core/errors.hpp"

using namespace ddpsim;

namespace {
struct Sink final : FlowSink {
  Engine* eng;
  std::map<std::uint64_t, Tick> done;
  void on_flow_done(std::uint64_t tag) override { done[tag] = eng->now(); }
};
constexpr Tick S = kTicksPerSecond;
}  // namespace

TEST(SharedBandwidth, OneFlowOnOneLink) {
  Engine eng;
  Sink sink;
  sink.eng = &eng;
  BandwidthActor link(eng, sink, 1e9, 1e9);  // 1 GB/s
  link.start(2e9, 7);                          // 2 GB -> 2 s
  eng.run();
  EXPECT_EQ(sink.done.at(7), 2 * S);
}

TEST(SharedBandwidth, TwoFlowsShareEqually) {
  Engine eng;
  Sink sink;
  sink.eng = &eng;
  BandwidthActor link(eng, sink, 1e9, 1e9);
  link.start(1e9, 1);
  link.start(1e9, 2);
  eng.run();
  // Each gets 0.5 GB/s: both finish at 2 s.
  EXPECT_EQ(sink.done.at(1), 2 * S);
  EXPECT_EQ(sink.done.at(2), 2 * S);
}

TEST(SharedBandwidth, StaggeredFlowsByHand) {
  // Flow A (1 GB) alone for 0.5 s (0.5 GB done), then shares with B (1 GB) at 0.5 GB/s each:
  // A's remaining 0.5 GB takes 1 s -> A ends at 1.5 s, B has 0.5 GB left at 1 GB/s -> ends at 2 s.
  struct Starter final : EventHandler {
    BandwidthActor* link;
    void on_event(Engine&, const Event&) override { link->start(1e9, 2); }
  };
  Engine eng;
  Sink sink;
  sink.eng = &eng;
  BandwidthActor link(eng, sink, 1e9, 1e9);
  Starter st;
  st.link = &link;
  link.start(1e9, 1);
  eng.schedule_at(S / 2, &st, 0);
  eng.run();
  EXPECT_EQ(sink.done.at(1), 3 * S / 2);
  EXPECT_EQ(sink.done.at(2), 2 * S);
}

TEST(SharedBandwidth, PerFlowCapLimitsASingleReader) {
  Engine eng;
  Sink sink;
  sink.eng = &eng;
  BandwidthActor fs(eng, sink, 10e9, 1e9);  // 10 GB/s aggregate, 1 GB/s per stream
  fs.start(1e9, 1);                         // capped: 1 s, not 0.1 s
  eng.run();
  EXPECT_EQ(sink.done.at(1), S);
  // 20 streams of 1 GB: aggregate-bound at 0.5 GB/s each -> 2 s.
  for (int i = 0; i < 20; ++i) fs.start(1e9, 100 + static_cast<std::uint64_t>(i));
  eng.run();
  EXPECT_EQ(sink.done.at(100), S + 2 * S);
  EXPECT_NEAR(fs.model().bytes_delivered(), 21e9, 1.0);
}

TEST(SharedBandwidth, FlowMultiplicityCountsEachFlowMTimes) {
  // Rank classes: each flow stands for 3 identical flows. Two flows on 600 B/s are six readers:
  // 100 B/s each, so 100 B take 1 s and the resource delivers 600 B.
  Engine eng;
  Sink sink;
  sink.eng = &eng;
  BandwidthActor link(eng, sink, 600, 1e9);
  link.model().set_flow_multiplicity(3);
  link.start(100.0, 1);
  link.start(100.0, 2);
  eng.run();
  EXPECT_EQ(sink.done.at(1), 1 * S);
  EXPECT_EQ(sink.done.at(2), 1 * S);
  EXPECT_NEAR(link.model().bytes_delivered(), 600.0, 1e-6);
  EXPECT_THROW(link.model().set_flow_multiplicity(0.5), ModelError);
}
