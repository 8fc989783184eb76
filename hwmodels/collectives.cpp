#include "hwmodels/collectives.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "hwmodels/flow_classes.hpp"
#include "hwmodels/flow_network.hpp"
#include "sim/core/errors.hpp"

namespace ddpsim {

double CommModel::allreduce_s(double bytes, int ranks) const {
  if (ranks <= 1 || bytes <= 0) return 0.0;
  int g = std::min(ranks, gpus_per_node);
  int nodes = (ranks + g - 1) / g;
  double t = call_overhead_s;
  if (g > 1) {
    // reduce-scatter + all-gather, each moving (g-1)/g of the buffer per GPU.
    double frac = static_cast<double>(g - 1) / g;
    t += 2.0 * frac * bytes / (nvlink_bandwidth_bps * intra_efficiency) + 2.0 * (g - 1) * nvlink_latency_s;
  }
  if (nodes > 1) {
    // Ring allreduce of the node's data across nodes: each node sends and receives
    // 2(N-1)/N of the buffer through its adapters; 2(N-1) latency-bound steps.
    double frac = static_cast<double>(nodes - 1) / nodes;
    double node_bw = std::max(1, nics_per_node) * nic_bandwidth_bps * inter_efficiency;
    t += 2.0 * frac * bytes / node_bw + 2.0 * (nodes - 1) * nic_latency_s;
  }
  return t;
}

double CommModel::busbw_bps(double bytes, int ranks, double time_s) {
  if (ranks <= 1 || time_s <= 0) return 0.0;
  return bytes / time_s * 2.0 * (ranks - 1) / ranks;
}

}  // namespace ddpsim

// ---------------------------------------------------------------------------------------------
// Flow-level collectives
// ---------------------------------------------------------------------------------------------

namespace ddpsim {

const char* algorithm_name(Algorithm a) {
  switch (a) {
    case Algorithm::Ring: return "ring";
    case Algorithm::Tree: return "tree";
    case Algorithm::Hierarchical: return "hierarchical";
    case Algorithm::Auto: return "auto";
  }
  return "?";
}

const char* protocol_name(Protocol p) {
  switch (p) {
    case Protocol::LL: return "LL";
    case Protocol::LL128: return "LL128";
    case Protocol::Simple: return "Simple";
    case Protocol::Auto: return "auto";
  }
  return "?";
}

Algorithm parse_algorithm(const std::string& s) {
  for (auto a : {Algorithm::Ring, Algorithm::Tree, Algorithm::Hierarchical, Algorithm::Auto}) {
    if (s == algorithm_name(a)) return a;
  }
  throw InputError("unknown algorithm '" + s + "'" +
                   did_you_mean(s, std::vector<std::string>{"ring", "tree", "hierarchical", "auto"}) +
                   "; choose ring, tree, hierarchical or auto");
}

Protocol parse_protocol(const std::string& s) {
  for (auto p : {Protocol::LL, Protocol::LL128, Protocol::Simple, Protocol::Auto}) {
    if (s == protocol_name(p)) return p;
  }
  throw InputError("unknown protocol '" + s + "'" + did_you_mean(s, std::vector<std::string>{"LL", "LL128", "Simple", "auto"}) +
                   "; choose LL, LL128, Simple or auto");
}

FabricCollectives::FabricCollectives(const Fabric& fabric, int ranks, int channels, ProtocolParams proto, double call_overhead_s)
    : fabric_(&fabric),
      ranks_(ranks),
      g_(std::min(ranks, fabric.config().gpus_per_node)),
      nodes_((ranks + fabric.config().gpus_per_node - 1) / fabric.config().gpus_per_node),
      channels_(std::max(1, channels)),
      proto_(proto),
      call_overhead_s_(call_overhead_s) {
  if (ranks < 1) throw ModelError("collective over no ranks");
  if (nodes_ > fabric.config().nodes) throw ModelError("internal: more ranks than the fabric has GPUs");
  if (ranks % g_ != 0) throw InputError("ranks must fill whole nodes (" + std::to_string(ranks) + " GPUs, " + std::to_string(g_) + " per node)");
}

int FabricCollectives::gpu(int rank) const { return fabric_->gpu_vertex(rank / g_, rank % g_); }

std::uint64_t FabricCollectives::flow_hash(const FlowSpec& f) const {
  return (static_cast<std::uint64_t>(f.src) << 32) ^ static_cast<std::uint64_t>(f.dst) ^ 0x5bd1e995ull;
}

void FabricCollectives::ring_phase(CollectivePhase& ph, double bytes) const {
  const int n = ranks_;
  const double per_flow = 2.0 * (n - 1) / n * bytes / channels_;
  std::vector<int> seq;
  seq.reserve(static_cast<std::size_t>(n));
  for (int c = 0; c < channels_; ++c) {
    // Channel c enters each node at local GPU start and leaves from the one before it, so
    // channels spread the node's inter-node traffic over its GPUs and adapters.
    int start = (c * g_ / channels_) % g_;
    seq.clear();
    for (int k = 0; k < nodes_; ++k) {
      for (int i = 0; i < g_; ++i) seq.push_back(fabric_->gpu_vertex(k, (start + i) % g_));
    }
    const bool pxn = fabric_->config().rail && nodes_ > 1 && fabric_->config().nics_per_node > 1;
    for (int i = 0; i < n; ++i) {
      int from = seq[static_cast<std::size_t>(i)], to = seq[static_cast<std::size_t>((i + 1) % n)];
      // Rail-optimised fabric: NCCL's PXN sends an inter-node hop through the source node's GPU
      // on the receiver's rail (NVLink first, then that GPU's adapter), so the network part
      // stays on one rail. Modelled as the two pipelined segments of the hop.
      int exit_local = (start + g_ - 1) % g_, entry_local = start;
      bool node_boundary = (i + 1) % g_ == 0;
      if (pxn && node_boundary && fabric_->nic_of_gpu(exit_local) != fabric_->nic_of_gpu(entry_local)) {
        int proxy = fabric_->gpu_vertex(i / g_, entry_local);
        ph.flows.push_back({from, proxy, per_flow});
        ph.flows.push_back({proxy, to, per_flow});
        continue;
      }
      ph.flows.push_back({from, to, per_flow});
    }
  }
  ph.latency_steps = 2 * (n - 1);
}

void FabricCollectives::tree_phase(CollectivePhase& ph, double bytes) const {
  // NCCL's double binary tree: two trees each carry half the data; a node that is interior in
  // one is a leaf in the other (mirrored order). Inside a node the GPUs form a chain. Reduce
  // (up) and broadcast (down) are pipelined, so all their flows run at once.
  const double half = bytes / 2.0;
  int depth = 0;
  while ((1 << depth) <= nodes_) ++depth;  // levels of a heap-ordered binary tree
  for (int t = 0; t < 2; ++t) {
    int head = t == 0 ? 0 : g_ - 1;
    auto node_at = [&](int p) { return t == 0 ? p : nodes_ - 1 - p; };
    for (int k = 0; k < nodes_; ++k) {
      for (int i = 0; i + 1 < g_; ++i) {
        int a = t == 0 ? i : g_ - 1 - i, b = t == 0 ? i + 1 : g_ - 2 - i;
        ph.flows.push_back({fabric_->gpu_vertex(k, b), fabric_->gpu_vertex(k, a), half});  // reduce towards the head
        ph.flows.push_back({fabric_->gpu_vertex(k, a), fabric_->gpu_vertex(k, b), half});  // broadcast away from it
      }
    }
    for (int p = 1; p < nodes_; ++p) {
      int child = fabric_->gpu_vertex(node_at(p), head), parent = fabric_->gpu_vertex(node_at((p - 1) / 2), head);
      ph.flows.push_back({child, parent, half});
      ph.flows.push_back({parent, child, half});
    }
  }
  ph.latency_steps = 2 * ((nodes_ > 1 ? depth : 0) + (g_ - 1));
}

void FabricCollectives::hierarchical_phases(CollectivePlan& plan, double bytes) const {
  const double shard = bytes / g_;
  CollectivePhase rs;
  if (g_ > 1) {
    for (int k = 0; k < nodes_; ++k) {
      for (int i = 0; i < g_; ++i) {
        for (int j = 0; j < g_; ++j) {
          if (i != j) rs.flows.push_back({fabric_->gpu_vertex(k, i), fabric_->gpu_vertex(k, j), shard});
        }
      }
    }
    rs.latency_steps = g_ - 1;
    plan.phases.push_back(rs);
  }
  if (nodes_ > 1) {
    CollectivePhase inter;
    const double per_flow = 2.0 * (nodes_ - 1) / nodes_ * shard;
    for (int l = 0; l < g_; ++l) {
      for (int k = 0; k < nodes_; ++k) {
        inter.flows.push_back({fabric_->gpu_vertex(k, l), fabric_->gpu_vertex((k + 1) % nodes_, l), per_flow});
      }
    }
    inter.latency_steps = 2 * (nodes_ - 1);
    plan.phases.push_back(inter);
  }
  if (g_ > 1) plan.phases.push_back(rs);  // all-gather: the same flows as the reduce-scatter
}

CollectivePlan FabricCollectives::plan_allreduce(double bytes, Algorithm algo, Protocol proto) const {
  CollectivePlan plan;
  plan.algorithm = algo;
  plan.protocol = proto;
  if (ranks_ <= 1 || bytes <= 0) return plan;
  switch (algo) {
    case Algorithm::Ring: {
      CollectivePhase ph;
      ring_phase(ph, bytes);
      plan.phases.push_back(std::move(ph));
      break;
    }
    case Algorithm::Tree: {
      CollectivePhase ph;
      tree_phase(ph, bytes);
      plan.phases.push_back(std::move(ph));
      break;
    }
    case Algorithm::Hierarchical:
      hierarchical_phases(plan, bytes);
      break;
    case Algorithm::Auto:
      throw ModelError("internal: plan_allreduce needs a concrete algorithm");
  }
  return plan;
}

double FabricCollectives::step_latency_s(const CollectivePhase& phase, Protocol proto) const {
  double worst = 0;
  for (const auto& f : phase.flows) worst = std::max(worst, fabric_->route_latency_s(fabric_->route(f.src, f.dst, flow_hash(f))));
  return worst + proto_.step_latency_s[static_cast<int>(proto)];
}

double FabricCollectives::time_alone_s(const CollectivePlan& plan) const {
  if (plan.phases.empty()) return 0.0;
  double eff = proto_.efficiency[static_cast<int>(plan.protocol)];
  double t = call_overhead_s_;
  for (const auto& ph : plan.phases) {
    std::vector<std::vector<int>> routes;
    std::vector<double> bytes;
    for (const auto& f : ph.flows) {
      routes.push_back(fabric_->route(f.src, f.dst, flow_hash(f)));
      bytes.push_back(f.bytes / eff);
    }
    t += drain_alone_s(routes, bytes) + ph.latency_steps * step_latency_s(ph, plan.protocol);
  }
  return t;
}

double FabricCollectives::drain_alone_s(const std::vector<std::vector<int>>& routes, const std::vector<double>& bytes) const {
  ++stats_.phases;
  stats_.flows += static_cast<long long>(routes.size());
  if (aggregate_) {
    FlowQuotient q = aggregate_flows(routes, bytes, fabric_->link_capacities_bps());
    if (q.equitable) {
      ++stats_.aggregated_phases;
      stats_.flow_classes += static_cast<long long>(q.flows.size());
      FlowNetwork net(q.class_capacity_bps);
      for (std::size_t i = 0; i < q.flows.size(); ++i) net.start_weighted(0, q.flows[i].path, q.flows[i].bytes, i);
      double t = net.drain_s();
        return t;
    }
  }
  stats_.flow_classes += static_cast<long long>(routes.size());
  FlowNetwork net(fabric_->link_capacities_bps());
  for (std::size_t i = 0; i < routes.size(); ++i) net.start(0, routes[i], bytes[i], i);
  return net.drain_s();
}

const std::vector<FabricCollectives::PhaseProfile>& FabricCollectives::profile(Algorithm algo) const {
  auto it = profiles_.find(static_cast<int>(algo));
  if (it != profiles_.end()) return it->second;
  constexpr double kRefBytes = 1e9;  // any size: drains are in continuous time
  std::vector<PhaseProfile> prof;
  CollectivePlan plan = plan_allreduce(kRefBytes, algo, Protocol::Simple);
  for (const auto& ph : plan.phases) {
    std::vector<std::vector<int>> routes;
    std::vector<double> bytes;
    routes.reserve(ph.flows.size());
    bytes.reserve(ph.flows.size());
    double worst_lat = 0;
    for (const auto& f : ph.flows) {
      routes.push_back(fabric_->route(f.src, f.dst, flow_hash(f)));
      worst_lat = std::max(worst_lat, fabric_->route_latency_s(routes.back()));
      bytes.push_back(f.bytes);
    }
    prof.push_back({drain_alone_s(routes, bytes) / kRefBytes, static_cast<double>(ph.latency_steps), worst_lat});
  }
  return profiles_.emplace(static_cast<int>(algo), std::move(prof)).first->second;
}

double FabricCollectives::allreduce_s(double bytes, Algorithm algo, Protocol proto) const {
  if (ranks_ <= 1 || bytes <= 0) return 0.0;
  const auto& prof = profile(algo);
  double eff = proto_.efficiency[static_cast<int>(proto)];
  double t = call_overhead_s_;
  for (const auto& ph : prof) {
    t += ph.drain_s_per_byte * bytes / eff + ph.latency_steps * (ph.route_latency_s + proto_.step_latency_s[static_cast<int>(proto)]);
  }
  return t;
}

CollectiveTiming FabricCollectives::allreduce(double bytes, Algorithm algo, Protocol proto) const {
  CollectiveTiming best;
  best.time_s = std::numeric_limits<double>::infinity();
  // Like NCCL's tuner, Auto chooses between ring and tree (the hierarchical scheme is not one of
  // NCCL's algorithms on InfiniBand; ask for it explicitly).
  std::vector<Algorithm> algos = algo == Algorithm::Auto ? std::vector<Algorithm>{Algorithm::Ring, Algorithm::Tree}
                                                         : std::vector<Algorithm>{algo};
  std::vector<Protocol> protos = proto == Protocol::Auto ? std::vector<Protocol>{Protocol::LL, Protocol::LL128, Protocol::Simple}
                                                         : std::vector<Protocol>{proto};
  for (auto a : algos) {
    for (auto p : protos) {
      double t = allreduce_s(bytes, a, p);
      if (t < best.time_s) best = {t, a, p};
    }
  }
  return best;
}

}  // namespace ddpsim
