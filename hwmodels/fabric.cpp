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
#include <fmt/format.h>

#include "sim/core/errors.hpp"
#include "sim/core/hash.hpp"

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

}  // namespace

struct Fabric::Impl {
  Graph g;
  std::vector<Graph::edge_descriptor> edges;  // by link id
};

Fabric::Fabric(const FabricConfig& c) : cfg_(c), impl_(std::make_unique<Impl>()) {
  if (c.nodes < 1 || c.gpus_per_node < 1) throw ModelError("fabric needs at least one node and one GPU per node");
  if (c.nics_per_node < 1 && c.nodes > 1) throw InputError("node.nics must be at least 1 for a multi-node job");
  if (c.blocking_factor < 1.0) throw InputError("fabric.blocking_factor must be >= 1 (1 = non-blocking)");
  if (c.tiers != 0 && c.tiers != 2 && c.tiers != 3) throw InputError("fabric.tiers must be 0 (auto), 2 or 3");
  build_nodes();
  if (c.nodes > 1) {
    size_fat_tree();
    build_host_links();
    build_uplinks();
  }
}

void Fabric::add_link(int u, int v, double bps, double lat_s, LinkKind kind, double cost) {
  auto [e, ok] = boost::add_edge(static_cast<std::size_t>(u), static_cast<std::size_t>(v), EdgeProp{links(), cost}, impl_->g);
  (void)ok;
  impl_->edges.push_back(e);
  link_capacity_.push_back(bps);
  link_latency_.push_back(lat_s);
  link_kind_.push_back(kind);
}

int Fabric::add_duplex(int u, int v, double bps, double lat_uv, double lat_vu, LinkKind kind, double cost) {
  int id = links();
  add_link(u, v, bps, lat_uv, kind, cost);
  add_link(v, u, bps, lat_vu, kind, cost);
  return id;
}

// Per node: G GPUs, one NVSwitch (NVLink to every GPU) and K adapters (PCIe from each GPU to its
// adapter); vertex ids n x (G + 1 + K) + local.
void Fabric::build_nodes() {
  const FabricConfig& c = cfg_;
  Graph& g = impl_->g;
  const int G = c.gpus_per_node, K = std::max(0, c.nics_per_node);
  const int per_node = G + 1 + K;
  for (int n = 0; n < c.nodes; ++n) {
    for (int l = 0; l < G; ++l) boost::add_vertex(VertexProp{VertexKind::Gpu}, g);
    boost::add_vertex(VertexProp{VertexKind::NvSwitch}, g);
    for (int k = 0; k < K; ++k) boost::add_vertex(VertexProp{VertexKind::Nic}, g);
  }
  const double nvl = c.nvlink_bps * c.intra_efficiency;
  const auto GN = static_cast<std::size_t>(c.nodes) * static_cast<std::size_t>(G);
  gpu_nvs_.assign(GN, -1);
  nvs_gpu_.assign(GN, -1);
  gpu_nic_.assign(GN, -1);
  nic_gpu_.assign(GN, -1);
  for (int n = 0; n < c.nodes; ++n) {
    int base = n * per_node;
    int nvs = base + G;
    for (int l = 0; l < G; ++l) {
      auto gi = static_cast<std::size_t>(n) * static_cast<std::size_t>(G) + static_cast<std::size_t>(l);
      gpu_nvs_[gi] = add_duplex(base + l, nvs, nvl, c.nvlink_latency_s / 2, c.nvlink_latency_s / 2, LinkKind::NvLink, kCostNvlink);
      nvs_gpu_[gi] = gpu_nvs_[gi] + 1;
      if (K > 0) {
        gpu_nic_[gi] = add_duplex(base + l, nvs + 1 + nic_of_gpu(l), c.pcie_bps, 0.0, 0.0, LinkKind::Pcie, kCostPcie);
        nic_gpu_[gi] = gpu_nic_[gi] + 1;
      }
    }
  }
}

// Fat tree: a leaf's radix is split into down (host) and up (spine) ports by the blocking factor
// b (down = b x up); two tiers while the leaves fit one spine's radix, else three (pods + cores).
void Fabric::size_fat_tree() {
  const FabricConfig& c = cfg_;
  Graph& g = impl_->g;
  const int K = std::max(0, c.nics_per_node);
  up_ports_ = std::max(1, static_cast<int>(std::floor(c.leaf_radix / (1.0 + c.blocking_factor))));
  down_ports_ = c.leaf_radix - up_ports_;
  if (c.rail) {
    // Rail-optimised: a group of down_ports nodes shares K rail leaves, one per adapter index.
    group_nodes_ = c.nodes_per_leaf > 0 ? std::min(c.nodes_per_leaf, down_ports_) : down_ports_;
    nodes_per_leaf_ = group_nodes_;
    leaves_ = (c.nodes + group_nodes_ - 1) / group_nodes_ * K;
  } else {
    int max_nodes_per_leaf = down_ports_ / K;
    if (max_nodes_per_leaf < 1) throw InputError("fabric.leaf_radix is too small for node.nics adapters per node");
    nodes_per_leaf_ = c.nodes_per_leaf > 0 ? std::min(c.nodes_per_leaf, max_nodes_per_leaf) : max_nodes_per_leaf;
    leaves_ = (c.nodes + nodes_per_leaf_ - 1) / nodes_per_leaf_;
  }
  tiers_ = c.tiers != 0 ? c.tiers : (leaves_ <= c.leaf_radix ? 2 : 3);
  if (leaves_ == 1) tiers_ = 1;
  if (tiers_ == 2) {
    spines_ = leaves_ > 1 ? up_ports_ : 0;
  } else if (tiers_ == 3) {
    pod_leaves_ = std::max(1, c.leaf_radix / 2);
    pods_ = (leaves_ + pod_leaves_ - 1) / pod_leaves_;
    spines_ = pods_ * up_ports_;
    cores_per_spine_ = std::max(1, c.leaf_radix - pod_leaves_);
    cores_ = pods_ > 1 ? up_ports_ * cores_per_spine_ : 0;
  }
  first_leaf_ = static_cast<int>(boost::num_vertices(g));
  for (int i = 0; i < leaves_; ++i) boost::add_vertex(VertexProp{VertexKind::Leaf}, g);
  first_spine_ = static_cast<int>(boost::num_vertices(g));
  for (int i = 0; i < spines_; ++i) boost::add_vertex(VertexProp{VertexKind::Spine}, g);
  first_core_ = static_cast<int>(boost::num_vertices(g));
  for (int i = 0; i < cores_; ++i) boost::add_vertex(VertexProp{VertexKind::Core}, g);
}

// Each adapter to its leaf (rail-optimised: the rail leaf of its index in its node group).
void Fabric::build_host_links() {
  const FabricConfig& c = cfg_;
  const int G = c.gpus_per_node, K = std::max(0, c.nics_per_node);
  const int per_node = G + 1 + K;
  const double ib = c.nic_bps * c.inter_efficiency;
  nic_leaf_.assign(static_cast<std::size_t>(c.nodes) * static_cast<std::size_t>(K), -1);
  leaf_nic_.assign(nic_leaf_.size(), -1);
  for (int n = 0; n < c.nodes; ++n) {
    for (int k = 0; k < K; ++k) {
      int nic = n * per_node + G + 1 + k;
      auto ni = static_cast<std::size_t>(n) * static_cast<std::size_t>(K) + static_cast<std::size_t>(k);
      nic_leaf_[ni] = add_duplex(nic, first_leaf_ + leaf_of_nic(n, k), ib, c.nic_latency_s / 2, c.nic_latency_s / 2 + c.switch_latency_s,
                                 LinkKind::HostLink, kCostHost);
      leaf_nic_[ni] = nic_leaf_[ni] + 1;
    }
  }
}

// Leaf-spine links (two tiers: every leaf to every spine; three: to the spines of its pod) and
// spine-core links. Other jobs' traffic leaving each leaf: background_load of the down-port
// capacity, spread over the up ports, i.e. a share background_load x b of every uplink.
void Fabric::build_uplinks() {
  const FabricConfig& c = cfg_;
  double busy = std::min(0.95, c.background_load * c.blocking_factor);
  double up_bps = c.link_bps * c.inter_efficiency * (1.0 - busy);
  if (tiers_ == 2) {
    leaf_spine_.assign(static_cast<std::size_t>(leaves_) * static_cast<std::size_t>(spines_), -1);
    spine_leaf_.assign(leaf_spine_.size(), -1);
    for (int i = 0; i < leaves_; ++i) {
      for (int s2 = 0; s2 < spines_; ++s2) {
        auto li = static_cast<std::size_t>(i) * static_cast<std::size_t>(spines_) + static_cast<std::size_t>(s2);
        leaf_spine_[li] = add_duplex(first_leaf_ + i, first_spine_ + s2, up_bps, c.switch_latency_s, c.switch_latency_s, LinkKind::Uplink, kCostUplink);
        spine_leaf_[li] = leaf_spine_[li] + 1;
      }
    }
  } else if (tiers_ == 3) {
    leaf_spine_.assign(static_cast<std::size_t>(leaves_) * static_cast<std::size_t>(up_ports_), -1);
    spine_leaf_.assign(leaf_spine_.size(), -1);
    for (int i = 0; i < leaves_; ++i) {
      int pod = i / pod_leaves_;
      for (int j = 0; j < up_ports_; ++j) {
        auto li = static_cast<std::size_t>(i) * static_cast<std::size_t>(up_ports_) + static_cast<std::size_t>(j);
        leaf_spine_[li] = add_duplex(first_leaf_ + i, first_spine_ + pod * up_ports_ + j, up_bps, c.switch_latency_s, c.switch_latency_s,
                                     LinkKind::Uplink, kCostUplink);
        spine_leaf_[li] = leaf_spine_[li] + 1;
      }
    }
    if (cores_ > 0) {
      spine_core_.assign(static_cast<std::size_t>(spines_) * static_cast<std::size_t>(cores_per_spine_), -1);
      core_spine_.assign(spine_core_.size(), -1);
      for (int sp = 0; sp < spines_; ++sp) {
        int j = sp % up_ports_;
        for (int m = 0; m < cores_per_spine_; ++m) {
          auto si = static_cast<std::size_t>(sp) * static_cast<std::size_t>(cores_per_spine_) + static_cast<std::size_t>(m);
          spine_core_[si] = add_duplex(first_spine_ + sp, first_core_ + j * cores_per_spine_ + m, up_bps, c.switch_latency_s,
                                       c.switch_latency_s, LinkKind::CoreLink, kCostUplink);
          core_spine_[si] = spine_core_[si] + 1;
        }
      }
    }
  }
}

int Fabric::leaf_of_nic(int node, int nic) const {
  if (cfg_.rail) return node / group_nodes_ * std::max(1, cfg_.nics_per_node) + nic;
  return leaf_of_node(node);
}

Fabric::~Fabric() = default;

int Fabric::vertices() const { return static_cast<int>(boost::num_vertices(impl_->g)); }

int Fabric::gpu_vertex(int node, int local_gpu) const {
  return node * (cfg_.gpus_per_node + 1 + cfg_.nics_per_node) + local_gpu;
}

int Fabric::leaf_of_node(int node) const {
  if (cfg_.rail && group_nodes_ > 0) return node / group_nodes_ * std::max(1, cfg_.nics_per_node);  // its first rail leaf
  return nodes_per_leaf_ > 0 ? node / nodes_per_leaf_ : 0;
}

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

std::vector<int> Fabric::route_reference(int src, int dst, std::uint64_t flow_hash) const {
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
    const auto& pick = next[mix64(flow_hash + 0x9E3779B97F4A7C15ull * static_cast<std::uint64_t>(++hop)) % next.size()];
    path.push_back(pick.first);
    u = pick.second;
  }
  return path;
}

namespace {
int pick(std::uint64_t flow_hash, int hop, int count) {
  return static_cast<int>(mix64(flow_hash + 0x9E3779B97F4A7C15ull * static_cast<std::uint64_t>(hop)) % static_cast<std::uint64_t>(count));
}
}  // namespace

void Fabric::route_leaves(int a, int b, std::uint64_t h, int& hop, std::vector<int>& path) const {
  if (a == b) return;
  if (tiers_ == 2) {
    int j = pick(h, ++hop, spines_);
    path.push_back(leaf_spine_[static_cast<std::size_t>(a) * static_cast<std::size_t>(spines_) + static_cast<std::size_t>(j)]);
    path.push_back(spine_leaf_[static_cast<std::size_t>(b) * static_cast<std::size_t>(spines_) + static_cast<std::size_t>(j)]);
    ++hop;
    return;
  }
  const auto up = static_cast<std::size_t>(up_ports_);
  int j = pick(h, ++hop, up_ports_);
  path.push_back(leaf_spine_[static_cast<std::size_t>(a) * up + static_cast<std::size_t>(j)]);
  int pa = a / pod_leaves_, pb = b / pod_leaves_;
  if (pa != pb) {
    int m = pick(h, ++hop, cores_per_spine_);
    const auto cps = static_cast<std::size_t>(cores_per_spine_);
    auto sa = static_cast<std::size_t>(pa) * up + static_cast<std::size_t>(j), sb = static_cast<std::size_t>(pb) * up + static_cast<std::size_t>(j);
    path.push_back(spine_core_[sa * cps + static_cast<std::size_t>(m)]);
    path.push_back(core_spine_[sb * cps + static_cast<std::size_t>(m)]);
    ++hop;
  }
  path.push_back(spine_leaf_[static_cast<std::size_t>(b) * up + static_cast<std::size_t>(j)]);
  ++hop;
}

std::vector<int> Fabric::route(int src, int dst, std::uint64_t h) const {
  std::vector<int> path;
  if (src == dst) return path;
  const int per_node = cfg_.gpus_per_node + 1 + std::max(0, cfg_.nics_per_node);
  const int G = cfg_.gpus_per_node, K = cfg_.nics_per_node;
  int n1 = src / per_node, l1 = src % per_node, n2 = dst / per_node, l2 = dst % per_node;
  if (src >= per_node * cfg_.nodes || dst >= per_node * cfg_.nodes || l1 >= G || l2 >= G) return route_reference(src, dst, h);
  auto gi = [&](int n, int l) { return static_cast<std::size_t>(n) * static_cast<std::size_t>(G) + static_cast<std::size_t>(l); };
  auto ni = [&](int n, int k) { return static_cast<std::size_t>(n) * static_cast<std::size_t>(K) + static_cast<std::size_t>(k); };
  if (n1 == n2) {
    path = {gpu_nvs_[gi(n1, l1)], nvs_gpu_[gi(n2, l2)]};
    return path;
  }
  int k1 = nic_of_gpu(l1), k2 = nic_of_gpu(l2);
  int hop = 0;
  if (cfg_.rail && k1 != k2 && leaf_of_nic(n1, k2) == leaf_of_nic(n2, k2)) {
    // Same rail group, different rails: cross NVLink on the source side (PXN) or on the
    // destination side; both cost the same, ECMP at the first hop (NVLink listed first).
    std::vector<int> cand;
    if (pick(h, ++hop, 2) == 0) {
      path.push_back(gpu_nvs_[gi(n1, l1)]);
      for (int l = 0; l < G; ++l) {
        if (nic_of_gpu(l) == k2) cand.push_back(l);
      }
      int lp = cand[static_cast<std::size_t>(pick(h, ++hop, static_cast<int>(cand.size())))];
      path.push_back(nvs_gpu_[gi(n1, lp)]);
      path.push_back(gpu_nic_[gi(n1, lp)]);
      path.push_back(nic_leaf_[ni(n1, k2)]);
      path.push_back(leaf_nic_[ni(n2, k2)]);
      path.push_back(nic_gpu_[gi(n2, l2)]);
      return path;
    }
    path.push_back(gpu_nic_[gi(n1, l1)]);
    path.push_back(nic_leaf_[ni(n1, k1)]);
    path.push_back(leaf_nic_[ni(n2, k1)]);
    hop += 2;
    for (int l = 0; l < G; ++l) {
      if (nic_of_gpu(l) == k1) cand.push_back(l);
    }
    int lp = cand[static_cast<std::size_t>(pick(h, ++hop, static_cast<int>(cand.size())))];
    path.push_back(nic_gpu_[gi(n2, lp)]);
    path.push_back(gpu_nvs_[gi(n2, lp)]);
    path.push_back(nvs_gpu_[gi(n2, l2)]);
    return path;
  }
  path.push_back(gpu_nic_[gi(n1, l1)]);
  path.push_back(nic_leaf_[ni(n1, k1)]);
  hop = 2;
  route_leaves(leaf_of_nic(n1, k1), leaf_of_nic(n2, k2), h, hop, path);
  path.push_back(leaf_nic_[ni(n2, k2)]);
  path.push_back(nic_gpu_[gi(n2, l2)]);
  return path;
}

double Fabric::route_latency_s(const std::vector<int>& r) const {
  double t = 0;
  for (int l : r) t += link_latency_[static_cast<std::size_t>(l)];
  return t;
}

std::string Fabric::describe() const {
  std::string out = fmt::format("{} nodes x {} GPUs, {} adapters/node; {} leaves ({} down, {} up ports, {} nodes/leaf), {} spines", cfg_.nodes,
                                cfg_.gpus_per_node, cfg_.nics_per_node, leaves_, down_ports_, up_ports_, nodes_per_leaf_, spines_);
  if (tiers_ == 3) out += fmt::format(" in {} pods of {} leaves, {} cores", pods_, pod_leaves_, cores_);
  if (cfg_.rail) out += ", rail-optimised";
  return out;
}

}  // namespace ddpsim
