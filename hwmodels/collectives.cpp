#include "hwmodels/collectives.hpp"

#include <algorithm>

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
