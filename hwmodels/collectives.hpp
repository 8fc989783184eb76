#pragma once
// Collective cost models. This first model is a hierarchical ring with alpha-beta costs:
// reduce-scatter inside the node over NVLink, a ring allreduce of each GPU's shard across nodes
// through the node's InfiniBand adapters, all-gather inside the node.
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

}  // namespace ddpsim
