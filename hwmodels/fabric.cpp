#include "hwmodels/fabric.hpp"

// GCC 12 with -fsanitize reports boost::optional inside boost::add_vertex as uninitialised (a
// known false positive of boost/graph/named_graph.hpp); silence it for this file only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/dijkstra_shortest_paths.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "sim/core/errors.hpp"

namespace ddpsim {

namespace {
struct VertexProp {
  VertexKind kind;
};
struct EdgeProp {
  int id;
  double weight;  // routing cost
};
using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS, VertexProp, EdgeProp>;

// Routing costs: NVLink is preferred inside a node; PCIe and InfiniBand hops cost more, so a
// GPU-to-GPU route inside a node never detours through an adapter.
constexpr double kCostNvlink = 1.0, kCostPcie = 2.0, kCostHost = 3.0, kCostUplink = 3.0;

std::uint64_t mix(std::uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  x ^= x >> 33;
  return x;
}
}  // namespace

struct Fabric::Impl {
  Graph g;
  std::vector<Graph::edge_descriptor> edges;  // by link id
};

Fabric::Fabric(const FabricConfig& c) : cfg_(c), impl_(new Impl) {
  if (c.nodes < 1 || c.gpus_per_node < 1) throw ModelError("fabric needs at least one node and one GPU per node");
  if (c.nics_per_node < 1 && c.nodes > 1) throw InputError("node.nics must be at least 1 for a multi-node job");
  if (c.blocking_factor < 1.0) throw InputError("fabric.blocking_factor must be >= 1 (1 = non-blocking)");
  Graph& g = impl_->g;
  auto add_link = [&](int u, int v, double bps, double lat_s, LinkKind kind, double cost) {
    auto [e, ok] = boost::add_edge(static_cast<std::size_t>(u), static_cast<std::size_t>(v), EdgeProp{links(), cost}, g);
    (void)ok;
    impl_->edges.push_back(e);
    link_capacity_.push_back(bps);
    link_latency_.push_back(lat_s);
    link_kind_.push_back(kind);
  };
  auto add_duplex = [&](int u, int v, double bps, double lat_uv, double lat_vu, LinkKind kind, double cost) {
    add_link(u, v, bps, lat_uv, kind, cost);
    add_link(v, u, bps, lat_vu, kind, cost);
  };

  const int per_node = c.gpus_per_node + 1 + std::max(0, c.nics_per_node);
  for (int n = 0; n < c.nodes; ++n) {
    for (int l = 0; l < c.gpus_per_node; ++l) boost::add_vertex(VertexProp{VertexKind::Gpu}, g);
    boost::add_vertex(VertexProp{VertexKind::NvSwitch}, g);
    for (int k = 0; k < c.nics_per_node; ++k) boost::add_vertex(VertexProp{VertexKind::Nic}, g);
  }
  const double nvl = c.nvlink_bps * c.intra_efficiency;
  const double ib = c.nic_bps * c.inter_efficiency;
  for (int n = 0; n < c.nodes; ++n) {
    int base = n * per_node;
    int nvs = base + c.gpus_per_node;
    for (int l = 0; l < c.gpus_per_node; ++l) {
      add_duplex(base + l, nvs, nvl, c.nvlink_latency_s / 2, c.nvlink_latency_s / 2, LinkKind::NvLink, kCostNvlink);
      if (c.nics_per_node > 0) {
        add_duplex(base + l, nvs + 1 + nic_of_gpu(l), c.pcie_bps, 0.0, 0.0, LinkKind::Pcie, kCostPcie);
      }
    }
  }
  // Fat tree: a leaf's radix is split into down (host) and up (spine) ports by the blocking
  // factor b (down = b x up); each leaf has one uplink to every spine.
  if (c.nodes > 1) {
    up_ports_ = std::max(1, static_cast<int>(std::floor(c.leaf_radix / (1.0 + c.blocking_factor))));
    down_ports_ = c.leaf_radix - up_ports_;
    int max_nodes_per_leaf = down_ports_ / c.nics_per_node;
    if (max_nodes_per_leaf < 1) throw InputError("fabric.leaf_radix is too small for node.nics adapters per node");
    nodes_per_leaf_ = c.nodes_per_leaf > 0 ? std::min(c.nodes_per_leaf, max_nodes_per_leaf) : max_nodes_per_leaf;
    leaves_ = (c.nodes + nodes_per_leaf_ - 1) / nodes_per_leaf_;
    spines_ = leaves_ > 1 ? up_ports_ : 0;
    first_leaf_ = static_cast<int>(boost::num_vertices(g));
    for (int i = 0; i < leaves_; ++i) boost::add_vertex(VertexProp{VertexKind::Leaf}, g);
    first_spine_ = static_cast<int>(boost::num_vertices(g));
    for (int i = 0; i < spines_; ++i) boost::add_vertex(VertexProp{VertexKind::Spine}, g);
    for (int n = 0; n < c.nodes; ++n) {
      int leaf = first_leaf_ + leaf_of_node(n);
      for (int k = 0; k < c.nics_per_node; ++k) {
        int nic = n * per_node + c.gpus_per_node + 1 + k;
        add_duplex(nic, leaf, ib, c.nic_latency_s / 2, c.nic_latency_s / 2 + c.switch_latency_s, LinkKind::HostLink, kCostHost);
      }
    }
    // Other jobs' traffic leaving each leaf: background_load of the down-port capacity, spread
    // over the up ports, i.e. a share background_load x b of every uplink.
    double busy = std::min(0.95, c.background_load * c.blocking_factor);
    double up_bps = c.link_bps * c.inter_efficiency * (1.0 - busy);
    for (int i = 0; i < leaves_; ++i) {
      for (int s = 0; s < spines_; ++s) {
        add_duplex(first_leaf_ + i, first_spine_ + s, up_bps, c.switch_latency_s, c.switch_latency_s, LinkKind::Uplink, kCostUplink);
      }
    }
  }
}

Fabric::~Fabric() { delete impl_; }

int Fabric::vertices() const { return static_cast<int>(boost::num_vertices(impl_->g)); }

int Fabric::gpu_vertex(int node, int local_gpu) const {
  return node * (cfg_.gpus_per_node + 1 + cfg_.nics_per_node) + local_gpu;
}

int Fabric::leaf_of_node(int node) const { return nodes_per_leaf_ > 0 ? node / nodes_per_leaf_ : 0; }

VertexKind Fabric::kind(int v) const { return impl_->g[static_cast<std::size_t>(v)].kind; }

const std::vector<double>& Fabric::distances_to(int dst) const {
  auto it = dist_cache_.find(dst);
  if (it != dist_cache_.end()) return it->second;
  const Graph& g = impl_->g;
  std::vector<double> dist(boost::num_vertices(g));
  // Every link has a reverse link of equal cost, so distances from dst are distances to dst.
  boost::dijkstra_shortest_paths(g, static_cast<std::size_t>(dst),
                                 boost::weight_map(boost::get(&EdgeProp::weight, g))
                                     .distance_map(boost::make_iterator_property_map(dist.begin(), boost::get(boost::vertex_index, g))));
  return dist_cache_.emplace(dst, std::move(dist)).first->second;
}

std::vector<int> Fabric::route(int src, int dst, std::uint64_t flow_hash) const {
  std::vector<int> path;
  if (src == dst) return path;
  const Graph& g = impl_->g;
  const auto& dist = distances_to(dst);
  if (!std::isfinite(dist[static_cast<std::size_t>(src)]) || dist[static_cast<std::size_t>(src)] > 1e300) {
    throw ModelError("internal: no route between fabric vertices");
  }
  int u = src;
  std::vector<std::pair<int, int>> next;  // (link id, vertex)
  int hop = 0;
  while (u != dst) {
    next.clear();
    for (auto [e, end] = boost::out_edges(static_cast<std::size_t>(u), g); e != end; ++e) {
      auto v = boost::target(*e, g);
      if (std::fabs(dist[v] + g[*e].weight - dist[static_cast<std::size_t>(u)]) < 1e-9) next.emplace_back(g[*e].id, static_cast<int>(v));
    }
    if (next.empty()) throw ModelError("internal: routing dead end");
    const auto& pick = next[mix(flow_hash + 0x9E3779B97F4A7C15ull * static_cast<std::uint64_t>(++hop)) % next.size()];
    path.push_back(pick.first);
    u = pick.second;
  }
  return path;
}

double Fabric::route_latency_s(const std::vector<int>& r) const {
  double t = 0;
  for (int l : r) t += link_latency_[static_cast<std::size_t>(l)];
  return t;
}

std::string Fabric::describe() const {
  char buf[256];
  std::snprintf(buf, sizeof buf, "%d nodes x %d GPUs, %d adapters/node; %d leaves (%d down, %d up ports, %d nodes/leaf), %d spines",
                cfg_.nodes, cfg_.gpus_per_node, cfg_.nics_per_node, leaves_, down_ports_, up_ports_, nodes_per_leaf_, spines_);
  return buf;
}

}  // namespace ddpsim
