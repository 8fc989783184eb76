#pragma once
// The cluster fabric as a Boost Graph: per node, GPUs on an NVLink/NVSwitch vertex and on PCIe
// links to the node's InfiniBand adapters; adapters on leaf switches of a fat tree (leaf radix
// split into down and up ports by the blocking factor).
//  - Two tiers: every leaf connects to every spine (as long as a spine's radix has a port for
//    every leaf).
//  - Three tiers (more leaves than that, or fabric.tiers = 3): leaves form pods of radix/2
//    leaves; each leaf connects to the up-ports spines of its pod; spine j of every pod connects
//    to its own radix/2 core switches (core group j), so a core reaches each pod through one spine.
//  - Layout "fat_tree": all adapters of a node on one leaf. Layout "rail" (rail-optimised, as
//    DGX SuperPODs are cabled): adapter k of every node of a group goes to the group's rail
//    leaf k, so same-rail traffic of a group stays on one leaf and other traffic of a group
//    crosses NVLink first (PXN).
// Routing is deterministic: weighted shortest paths with equal-cost choices (ECMP) picked by a
// hash of the flow. route_reference() computes them by Dijkstra on the graph (the definition);
// route() computes the same links from the tree's structure in O(path length), so fabrics of
// tens of thousands of GPUs need no per-destination search (tests check both agree).
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace ddpsim {

struct FabricConfig {
  int nodes = 1;
  int gpus_per_node = 4;
  int nics_per_node = 2;
  double nvlink_bps = 300e9;      // per GPU and direction, nominal
  double nvlink_latency_s = 2e-6;
  double pcie_bps = 25e9;         // GPU <-> adapter
  double nic_bps = 25e9;          // adapter <-> leaf, per direction
  double nic_latency_s = 1e-6;    // adapter-to-adapter latency
  double link_bps = 25e9;         // leaf <-> spine, per direction
  double switch_latency_s = 130e-9;
  int leaf_radix = 40;
  double blocking_factor = 1.0;   // down : up ports of a leaf
  int nodes_per_leaf = 0;         // placement: 0 = fill leaves (packed)
  double background_load = 0.0;   // other jobs' share of a leaf's host capacity leaving the leaf
  int tiers = 0;                  // switch tiers: 0 = auto (2 while a spine has a port per leaf, else 3)
  bool rail = false;              // rail-optimised layout (adapter k of a node on rail leaf k)
  double intra_efficiency = 1.0;  // achieved share of NVLink bandwidth
  double inter_efficiency = 1.0;  // achieved share of InfiniBand bandwidth
};

enum class VertexKind { Gpu, NvSwitch, Nic, Leaf, Spine, Core };
enum class LinkKind { NvLink, Pcie, HostLink, Uplink, CoreLink };

class Fabric {
 public:
  explicit Fabric(const FabricConfig& config);
  ~Fabric();
  Fabric(const Fabric&) = delete;
  Fabric& operator=(const Fabric&) = delete;

  const FabricConfig& config() const { return cfg_; }
  int gpu_vertex(int node, int local_gpu) const;
  int nic_of_gpu(int local_gpu) const { return local_gpu * cfg_.nics_per_node / cfg_.gpus_per_node; }
  int vertices() const;
  int links() const { return static_cast<int>(link_capacity_.size()); }
  int leaves() const { return leaves_; }
  int spines() const { return spines_; }
  int cores() const { return cores_; }
  int tiers() const { return tiers_; }
  int pods() const { return pods_; }
  int up_ports() const { return up_ports_; }
  int down_ports() const { return down_ports_; }
  int leaf_of_node(int node) const;
  VertexKind kind(int vertex) const;

  /// Link ids of the route from `src` to `dst`; ECMP among equal-cost next hops by `flow_hash`.
  std::vector<int> route(int src, int dst, std::uint64_t flow_hash) const;
  /// The same route found by Dijkstra on the graph (slow on large fabrics: for checks).
  std::vector<int> route_reference(int src, int dst, std::uint64_t flow_hash) const;
  /// Sum of link latencies along a route.
  double route_latency_s(const std::vector<int>& route) const;

  const std::vector<double>& link_capacities_bps() const { return link_capacity_; }
  double link_latency_s(int link) const { return link_latency_[static_cast<std::size_t>(link)]; }
  LinkKind link_kind(int link) const { return link_kind_[static_cast<std::size_t>(link)]; }
  std::string describe() const;

 private:
  struct Impl;
  const std::vector<double>& distances_to(int dst) const;
  int leaf_of_nic(int node, int nic) const;
  void route_leaves(int from, int to, std::uint64_t flow_hash, int& hop, std::vector<int>& path) const;
  // Construction, in order: each node (GPUs, NVSwitch, adapters and their links), the fat tree's
  // size (leaves, spines, cores, tiers), the adapter-to-leaf links, the switch uplinks.
  void add_link(int u, int v, double bps, double lat_s, LinkKind kind, double cost);
  int add_duplex(int u, int v, double bps, double lat_uv, double lat_vu, LinkKind kind, double cost);  // id of u->v; v->u is id + 1
  void build_nodes();
  void size_fat_tree();
  void build_host_links();
  void build_uplinks();

  FabricConfig cfg_;
  std::unique_ptr<Impl> impl_;
  int leaves_ = 0, spines_ = 0, up_ports_ = 0, down_ports_ = 0, nodes_per_leaf_ = 0;
  int tiers_ = 1, pods_ = 0, pod_leaves_ = 0, cores_ = 0, cores_per_spine_ = 0, group_nodes_ = 0;
  int first_leaf_ = 0, first_spine_ = 0, first_core_ = 0;
  // Link ids by structure (for route()): per GPU (node * g + local), per adapter
  // (node * nics + k), per leaf-spine port (leaf * spine ports + j), per spine-core port.
  std::vector<int> gpu_nvs_, nvs_gpu_, gpu_nic_, nic_gpu_, nic_leaf_, leaf_nic_;
  std::vector<int> leaf_spine_, spine_leaf_, spine_core_, core_spine_;
  std::vector<double> link_capacity_, link_latency_;
  std::vector<LinkKind> link_kind_;
  mutable std::unordered_map<int, std::vector<double>> dist_cache_;
};

}  // namespace ddpsim
