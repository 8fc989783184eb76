#include <gtest/gtest.h>

#include <set>

#include "hwmodels/collectives.hpp"
#include "hwmodels/fabric.hpp"
#include "hwmodels/flow_network.hpp"
#include "sim/core/errors.hpp"

using namespace ddpsim;

namespace {
constexpr double GB = 1e9;
constexpr Tick S = kTicksPerSecond;

FabricConfig two_leaf_config() {
  FabricConfig c;
  c.nodes = 4;
  c.gpus_per_node = 4;
  c.nics_per_node = 2;
  c.leaf_radix = 8;        // 4 down (2 nodes x 2 adapters), 4 up at 1:1
  c.blocking_factor = 1;
  c.nvlink_bps = 100 * GB;
  c.nic_bps = 25 * GB;
  c.link_bps = 25 * GB;
  c.pcie_bps = 25 * GB;
  return c;
}
}  // namespace

TEST(FlowNetwork, OneFlowOnOneLink) {
  FlowNetwork net({10 * GB});
  net.start(0, {0}, 1 * GB, 1);
  EXPECT_DOUBLE_EQ(net.rate_bps(0), 10 * GB);
  EXPECT_EQ(net.drain(0), S / 10);  // 1 GB at 10 GB/s = 0.1 s
}

TEST(FlowNetwork, TwoFlowsShareALinkEqually) {
  FlowNetwork net({10 * GB});
  int a = net.start(0, {0}, 1 * GB, 1);
  int b = net.start(0, {0}, 1 * GB, 2);
  EXPECT_DOUBLE_EQ(net.rate_bps(a), 5 * GB);
  EXPECT_DOUBLE_EQ(net.rate_bps(b), 5 * GB);
  EXPECT_EQ(net.drain(0), S / 5);  // both at 5 GB/s: 0.2 s
}

TEST(FlowNetwork, MaxMinOnThreeLinksByHand) {
  // Links L0 = 1, L1 = 2, L2 = 3 GB/s. Flows: f0 over L0+L1, f1 over L0, f2 over L1+L2, f3 over L2.
  // Progressive filling: L0's share 1/2 is smallest -> f0 = f1 = 0.5. L1 has 1.5 left for f2,
  // L2 has 3/2 = 1.5 per flow: tie -> f2 = f3 = 1.5. (L1: 0.5 + 1.5 = 2, L2: 1.5 + 1.5 = 3.)
  FlowNetwork net({1 * GB, 2 * GB, 3 * GB});
  int f0 = net.start(0, {0, 1}, GB, 0), f1 = net.start(0, {0}, GB, 1), f2 = net.start(0, {1, 2}, GB, 2), f3 = net.start(0, {2}, GB, 3);
  EXPECT_NEAR(net.rate_bps(f0), 0.5 * GB, 1);
  EXPECT_NEAR(net.rate_bps(f1), 0.5 * GB, 1);
  EXPECT_NEAR(net.rate_bps(f2), 1.5 * GB, 1);
  EXPECT_NEAR(net.rate_bps(f3), 1.5 * GB, 1);
  EXPECT_NEAR(net.link_load_bps(1), 2 * GB, 1);
}

TEST(FlowNetwork, RatesRecomputedWhenAFlowEnds) {
  // f0 (0.5 GB) and f1 (1 GB) share 1 GB/s: f0 ends at 1 s; f1 then runs alone at 1 GB/s for
  // its remaining 0.5 GB: ends at 1.5 s.
  FlowNetwork net({1 * GB});
  net.start(0, {0}, 0.5 * GB, 0);
  net.start(0, {0}, 1 * GB, 1);
  std::vector<std::uint64_t> done;
  auto t1 = *net.next_completion();
  EXPECT_EQ(t1, S);
  net.advance(t1);
  net.pop_finished(done);
  ASSERT_EQ(done, std::vector<std::uint64_t>{0});
  EXPECT_EQ(*net.next_completion(), 3 * S / 2);
}

TEST(Fabric, FatTreeShapeFromRadixAndBlockingFactor) {
  FabricConfig c = two_leaf_config();
  Fabric f(c);
  EXPECT_EQ(f.up_ports(), 4);
  EXPECT_EQ(f.down_ports(), 4);
  EXPECT_EQ(f.leaves(), 2);  // 2 nodes per leaf
  EXPECT_EQ(f.spines(), 4);
  EXPECT_EQ(f.vertices(), 4 * (4 + 1 + 2) + 2 + 4);
  c.blocking_factor = 3;  // radix 8: 2 up, 6 down -> 3 nodes per leaf
  Fabric g(c);
  EXPECT_EQ(g.up_ports(), 2);
  EXPECT_EQ(g.down_ports(), 6);
  EXPECT_EQ(g.leaves(), 2);
}

TEST(Fabric, RoutesUseNvlinkInsideANodeAndTheTreeBetweenNodes) {
  Fabric f(two_leaf_config());
  auto intra = f.route(f.gpu_vertex(0, 0), f.gpu_vertex(0, 3), 1);
  ASSERT_EQ(intra.size(), 2u);
  for (int l : intra) EXPECT_EQ(f.link_kind(l), LinkKind::NvLink);
  auto same_leaf = f.route(f.gpu_vertex(0, 0), f.gpu_vertex(1, 0), 1);
  std::vector<LinkKind> kinds;
  for (int l : same_leaf) kinds.push_back(f.link_kind(l));
  EXPECT_EQ(kinds, (std::vector<LinkKind>{LinkKind::Pcie, LinkKind::HostLink, LinkKind::HostLink, LinkKind::Pcie}));
  auto cross = f.route(f.gpu_vertex(0, 0), f.gpu_vertex(3, 0), 1);
  kinds.clear();
  for (int l : cross) kinds.push_back(f.link_kind(l));
  EXPECT_EQ(kinds, (std::vector<LinkKind>{LinkKind::Pcie, LinkKind::HostLink, LinkKind::Uplink, LinkKind::Uplink,
                                          LinkKind::HostLink, LinkKind::Pcie}));
}

TEST(Fabric, EcmpIsDeterministicAndSpreadsOverSpines) {
  Fabric f(two_leaf_config());
  int src = f.gpu_vertex(0, 0), dst = f.gpu_vertex(3, 0);
  EXPECT_EQ(f.route(src, dst, 42), f.route(src, dst, 42));
  std::set<int> uplinks;
  for (std::uint64_t h = 0; h < 64; ++h) uplinks.insert(f.route(src, dst, h)[2]);
  EXPECT_EQ(uplinks.size(), 4u);  // all four spines get used
}

TEST(Collectives, TwoGpuRingByHand) {
  FabricConfig c;
  c.nodes = 1;
  c.gpus_per_node = 2;
  c.nics_per_node = 1;
  c.nvlink_bps = 100 * GB;
  c.nvlink_latency_s = 2e-6;
  Fabric f(c);
  ProtocolParams p;
  p.step_latency_s[2] = 3e-6;
  FabricCollectives coll(f, 2, 1, p, 10e-6);
  // One channel, 2 GPUs: each sends 2(n-1)/n x 1 GB = 1 GB to the other over its NVLink port
  // (100 GB/s): 10 ms; 2(n-1) = 2 steps of (2 us route + 3 us protocol); + 10 us per call.
  EXPECT_NEAR(coll.allreduce_s(1 * GB, Algorithm::Ring, Protocol::Simple), 0.010 + 2 * 5e-6 + 10e-6, 1e-9);
}

TEST(Collectives, TimeScalesExactlyFromOneSimulationPerAlgorithm) {
  FabricConfig c = two_leaf_config();
  c.background_load = 0.3;
  c.blocking_factor = 2;
  Fabric f(c);
  FabricCollectives coll(f, 16, 2, ProtocolParams{}, 20e-6);
  for (auto a : {Algorithm::Ring, Algorithm::Tree, Algorithm::Hierarchical}) {
    for (double bytes : {4e3, 1e6, 25e6, 3e8}) {
      for (auto p : {Protocol::LL, Protocol::Simple}) {
        double direct = coll.time_alone_s(coll.plan_allreduce(bytes, a, p));
        EXPECT_NEAR(coll.allreduce_s(bytes, a, p), direct, 1e-6 * direct + 2e-9) << algorithm_name(a) << " " << bytes;
      }
    }
  }
}

TEST(Collectives, TunerPicksLowLatencyForSmallAndSimpleForLarge) {
  FabricConfig c = two_leaf_config();
  Fabric f(c);
  FabricCollectives coll(f, 16, 2, ProtocolParams{}, 20e-6);
  EXPECT_EQ(coll.allreduce(1024).protocol, Protocol::LL);
  EXPECT_EQ(coll.allreduce(1e9).protocol, Protocol::Simple);
  EXPECT_THROW(parse_algorithm("rng"), InputError);
}

namespace {
// Every GPU pair, several flow hashes: the structural router gives Dijkstra's links.
void expect_routes_match_dijkstra(const FabricConfig& c, const char* what) {
  Fabric f(c);
  int mismatches = 0;
  for (int a = 0; a < c.nodes * c.gpus_per_node; ++a) {
    for (int b = 0; b < c.nodes * c.gpus_per_node; ++b) {
      int src = f.gpu_vertex(a / c.gpus_per_node, a % c.gpus_per_node), dst = f.gpu_vertex(b / c.gpus_per_node, b % c.gpus_per_node);
      for (std::uint64_t h : {0ull, 1ull, 7ull, 0x5bd1e995ull, 123456789ull}) {
        if (f.route(src, dst, h) != f.route_reference(src, dst, h)) ++mismatches;
      }
    }
  }
  EXPECT_EQ(mismatches, 0) << what << ": " << f.describe();
}
}  // namespace

TEST(Fabric, StructuralRoutesEqualDijkstraOnTwoTiers) {
  FabricConfig c = two_leaf_config();
  c.nodes = 7;  // 4 leaves, the last one partly filled
  expect_routes_match_dijkstra(c, "two tiers");
  c.blocking_factor = 3;
  expect_routes_match_dijkstra(c, "two tiers, 3:1");
}

TEST(Fabric, StructuralRoutesEqualDijkstraOnThreeTiers) {
  FabricConfig c = two_leaf_config();
  c.nodes = 11;      // 6 leaves of 2 nodes; radix 8 -> pods of 4 leaves, 2 pods
  c.tiers = 3;
  Fabric f(c);
  EXPECT_EQ(f.tiers(), 3);
  EXPECT_EQ(f.pods(), 2);
  EXPECT_EQ(f.spines(), 2 * 4);
  EXPECT_EQ(f.cores(), 4 * 4);
  expect_routes_match_dijkstra(c, "three tiers");
  c.tiers = 0;  // auto: 6 leaves fit a spine's 8 ports -> two tiers
  EXPECT_EQ(Fabric(c).tiers(), 2);
  c.nodes = 19;  // 10 leaves > 8 ports -> three tiers
  EXPECT_EQ(Fabric(c).tiers(), 3);
  expect_routes_match_dijkstra(c, "three tiers (auto)");
}

TEST(Fabric, StructuralRoutesEqualDijkstraOnRailLayouts) {
  FabricConfig c = two_leaf_config();
  c.rail = true;
  c.nodes = 9;  // groups of 4 nodes (4 down ports), 2 rail leaves each
  expect_routes_match_dijkstra(c, "rail, 4 GPUs / 2 adapters");
  FabricConfig d;
  d.nodes = 6;
  d.gpus_per_node = 8;
  d.nics_per_node = 8;
  d.leaf_radix = 8;
  d.rail = true;
  Fabric f(d);
  EXPECT_EQ(f.leaves(), 2 * 8);  // groups of 4 nodes, 8 rails
  // Same rail inside a group: one leaf, no spine.
  auto same_rail = f.route(f.gpu_vertex(0, 3), f.gpu_vertex(2, 3), 1);
  EXPECT_EQ(same_rail.size(), 4u);
  expect_routes_match_dijkstra(d, "rail, 8 GPUs / 8 adapters");
  d.tiers = 3;
  expect_routes_match_dijkstra(d, "rail, three tiers");
}

TEST(Collectives, AggregatedFlowsGiveTheExactPerFlowTimes) {
  // Property test: on random small fabrics (2 and 3 tiers, rail layouts, oversubscription,
  // background load), every algorithm's allreduce time with flows aggregated by symmetry equals
  // the per-flow model's within 1e-9 relative.
  std::uint64_t x = 12345;
  auto next = [&](int lo, int hi) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    return lo + static_cast<int>((x >> 33) % static_cast<std::uint64_t>(hi - lo + 1));
  };
  int checked = 0;
  for (int trial = 0; trial < 40; ++trial) {
    FabricConfig c;
    c.gpus_per_node = next(0, 1) ? 4 : 8;
    c.nics_per_node = c.gpus_per_node == 8 ? (1 << next(1, 3)) : next(1, 2);
    c.nodes = next(2, 13);
    c.leaf_radix = next(0, 1) ? 8 : 16;
    c.blocking_factor = next(1, 3);
    c.background_load = 0.1 * next(0, 4);
    c.tiers = next(0, 1) ? 0 : 3;
    c.rail = next(0, 2) == 0;
    c.nvlink_bps = 100 * GB;
    if (c.leaf_radix * c.blocking_factor / (1 + c.blocking_factor) < c.nics_per_node) continue;  // no room for a node's adapters
    Fabric f(c);
    int ranks = c.nodes * c.gpus_per_node;
    int channels = next(1, 4);
    FabricCollectives a(f, ranks, channels, ProtocolParams{}, 20e-6), b(f, ranks, channels, ProtocolParams{}, 20e-6);
    b.set_aggregation(false);
    for (auto algo : {Algorithm::Ring, Algorithm::Tree, Algorithm::Hierarchical}) {
      double ta = a.allreduce_s(1e9, algo, Protocol::Simple), tb = b.allreduce_s(1e9, algo, Protocol::Simple);
      EXPECT_NEAR(ta, tb, 1e-9 * tb) << algorithm_name(algo) << " " << f.describe();
      ++checked;
    }
    EXPECT_EQ(b.stats().aggregated_phases, 0);
    EXPECT_GT(a.stats().aggregated_phases, 0) << f.describe();
    EXPECT_LE(a.stats().flow_classes, a.stats().flows);
  }
  EXPECT_GT(checked, 60);
}

TEST(Fabric, BadShapesAreInputErrorsThrownFromConstruction) {
  // Each is refused while the graph is half built; the partly built fabric is released (ASan's
  // leak checker runs this test too).
  FabricConfig c = two_leaf_config();
  c.leaf_radix = 2;  // 1 down port, 1 up port: no room for a node's 2 adapters
  EXPECT_THROW(Fabric{c}, InputError);
  c = two_leaf_config();
  c.blocking_factor = 0.5;
  EXPECT_THROW(Fabric{c}, InputError);
  c = two_leaf_config();
  c.tiers = 4;
  EXPECT_THROW(Fabric{c}, InputError);
  c = two_leaf_config();
  c.nics_per_node = 0;
  EXPECT_THROW(Fabric{c}, InputError);
  EXPECT_NO_THROW(Fabric{two_leaf_config()});
}
