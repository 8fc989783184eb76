#pragma once
// Aggregation of flows that are identical by symmetry.
//
// The flows of one collective phase (rings, trees) cross links that are equivalent by the
// fabric's symmetry with equal demands. Colour refinement (1-dimensional Weisfeiler-Leman) on
// the bipartite flow-link incidence graph, started from the flows' sizes and the links'
// capacities, finds an equitable partition: every link of a link class carries the same number
// of flows of each flow class, and every flow of a flow class crosses the same number of links
// of each link class. Max-min progressive filling treats all members of a class alike (by
// induction over its freezing rounds), and flows of one class end together, so simulating one
// representative per class, crossing each link class with the number of its class's flows that
// share one such link, gives exactly the per-flow rates and completion times.
//
// The partition is verified after refinement (a hash collision cannot merge classes silently):
// `equitable` is false if the check fails, and callers then fall back to the per-flow model.
#include <cstdint>
#include <utility>
#include <vector>

namespace ddpsim {

struct FlowQuotient {
  struct ClassFlow {
    std::vector<std::pair<int, double>> path;  // (link class, flows of this class per link of it)
    double bytes = 0;
    long long members = 0;
  };
  std::vector<double> class_capacity_bps;  // per link class
  std::vector<long long> class_links;      // links per link class
  std::vector<ClassFlow> flows;
  int rounds = 0;
  bool equitable = false;
};

/// Quotient of the flows `routes[i]` (link ids) of `bytes[i]` bytes on links of the given
/// capacities. Flows with an empty route are left out (they take no time).
FlowQuotient aggregate_flows(const std::vector<std::vector<int>>& routes, const std::vector<double>& bytes,
                             const std::vector<double>& link_capacity_bps);

}  // namespace ddpsim
