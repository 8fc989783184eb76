#pragma once
// Collective communication models.
//
// 1. CommModel: the first, analytical model: a hierarchical ring with alpha-beta costs.
// 2. Flow-level collectives on a Fabric, NCCL-like: an allreduce is planned as phases of
//    concurrent point-to-point flows (ring with channels, double binary tree, hierarchical
//    reduce-scatter / inter-node ring / all-gather), each phase paying per-step latency
//    (route latency + protocol latency) and moving bytes / protocol efficiency through
//    max-min shared links. A tuner picks algorithm and protocol by simulating each candidate,
//    as NCCL's tuner picks by its cost model; results are memoised per message size.
#include <map>
#include <tuple>
#include <string>
#include <utility>
#include <vector>

#include "hwmodels/fabric.hpp"

namespace ddpsim {

struct CommModel {
  int gpus_per_node = 4;
  int nics_per_node = 2;
  double nic_bandwidth_bps = 25e9;      // B/s per adapter and direction
  double nic_latency_s = 1e-6;
  double nvlink_bandwidth_bps = 300e9;  // B/s per GPU and direction
  double nvlink_latency_s = 2e-6;
  double intra_efficiency = 0.7;        // achieved / nominal NVLink bandwidth
  double inter_efficiency = 0.96;       // achieved / nominal IB bandwidth (24 of 25 GB/s)
  double call_overhead_s = 20e-6;       // launch + protocol per collective call

  /// Time of an allreduce of `bytes` over `ranks` GPUs placed on full nodes.
  double allreduce_s(double bytes, int ranks) const;
  /// Bus bandwidth as nccl-tests reports it: algbw * 2(n-1)/n.
  static double busbw_bps(double bytes, int ranks, double time_s);
};

enum class Algorithm { Ring = 0, Tree = 1, Hierarchical = 2, Auto = 3 };
enum class Protocol { LL = 0, LL128 = 1, Simple = 2, Auto = 3 };
const char* algorithm_name(Algorithm a);
const char* protocol_name(Protocol p);
Algorithm parse_algorithm(const std::string& s);  // InputError with suggestion
Protocol parse_protocol(const std::string& s);

struct ProtocolParams {
  double step_latency_s[3] = {1e-6, 2e-6, 6e-6};     // LL, LL128, Simple
  double efficiency[3] = {0.5, 120.0 / 128.0, 1.0};  // share of link bandwidth carrying data
};

struct FlowSpec {
  int src, dst;  // fabric vertices
  double bytes;
};
struct CollectivePhase {
  std::vector<FlowSpec> flows;
  int latency_steps = 0;  // latency-bound steps of the phase
};
struct CollectivePlan {
  Algorithm algorithm = Algorithm::Ring;
  Protocol protocol = Protocol::Simple;
  std::vector<CollectivePhase> phases;
};

struct CollectiveTiming {
  double time_s = 0;
  Algorithm algorithm = Algorithm::Ring;
  Protocol protocol = Protocol::Simple;
};

/// Allreduce planning and timing on one fabric for a fixed set of ranks (rank r sits on node
/// r / gpus_per_node, local GPU r % gpus_per_node).
class FabricCollectives {
 public:
  FabricCollectives(const Fabric& fabric, int ranks, int channels, ProtocolParams proto, double call_overhead_s);
  CollectivePlan plan_allreduce(double bytes, Algorithm algo, Protocol proto) const;
  /// Time of the plan alone on an idle fabric (flow-level simulation).
  double time_alone_s(const CollectivePlan& plan) const;
  /// Allreduce time with the given (or tuned, for Auto) algorithm and protocol. Every flow of a
  /// plan scales with the message size, so max-min rates do not depend on it: each algorithm's
  /// phases are simulated once (per byte) and the time of any size and protocol follows exactly.
  CollectiveTiming allreduce(double bytes, Algorithm algo = Algorithm::Auto, Protocol proto = Protocol::Auto) const;
  double allreduce_s(double bytes, Algorithm algo, Protocol proto) const;
  /// Latency of one step of a phase: the longest route latency of its flows + protocol latency.
  double step_latency_s(const CollectivePhase& phase, Protocol proto) const;
  int ranks() const { return ranks_; }
  const Fabric& fabric() const { return *fabric_; }
  std::uint64_t flow_hash(const FlowSpec& f) const;
  /// Flows identical by symmetry simulated once per class (default) or every flow on its own
  /// (the exact per-flow model, for checks). Both give the same times (tests: 1e-9 relative).
  void set_aggregation(bool on) { aggregate_ = on; }
  struct Stats {
    long long phases = 0, aggregated_phases = 0, flows = 0, flow_classes = 0;
  };
  const Stats& stats() const { return stats_; }

 private:
  int gpu(int rank) const;
  void ring_phase(CollectivePhase& ph, double bytes) const;
  void tree_phase(CollectivePhase& ph, double bytes) const;
  void hierarchical_phases(CollectivePlan& plan, double bytes) const;

  const Fabric* fabric_;
  int ranks_, g_, nodes_, channels_;
  ProtocolParams proto_;
  double call_overhead_s_;
  struct PhaseProfile {
    double drain_s_per_byte;   // flow time of the phase per byte of message
    double latency_steps;
    double route_latency_s;    // longest route of the phase
  };
  const std::vector<PhaseProfile>& profile(Algorithm algo) const;
  double drain_alone_s(const std::vector<std::vector<int>>& routes, const std::vector<double>& bytes) const;
  bool aggregate_ = true;
  mutable Stats stats_;
  mutable std::map<int, std::vector<PhaseProfile>> profiles_;
};

}  // namespace ddpsim
