#pragma once
// Flows on shared links with max-min fair bandwidth sharing (progressive filling). Rates are
// recomputed only when a flow starts or ends; between those instants every rate is constant,
// so the next completion is known exactly and an engine can jump to it (SimGrid's model).
//
// Scaling: every link keeps the list of flows crossing it, and a change (a flow starting or
// ending) re-rates only the flows connected to it through shared links (max-min allocations
// decompose over connected components, so this is exact); when flows only end, flows slower
// than the slowest ended one keep their rates too (also exact; see recompute()). Inside a component, progressive
// filling pops the bottleneck link from a heap keyed by its fair share, so one recomputation
// costs O(sum of path lengths x log links) instead of one full scan per freezing round.
//
// Weighted flows: a flow may cross a link with a coefficient c (it then uses c x its rate on
// that link). This is how a class of flows identical by symmetry is simulated once: one
// representative flow crossing each class of equivalent links with the number of the class's
// flows that share one such link (see flow_classes.hpp).
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "hwmodels/resource_actor.hpp"
#include "sim/core/engine.hpp"

namespace ddpsim {

class FlowNetwork {
 public:
  explicit FlowNetwork(std::vector<double> link_capacity_bps);
  /// Starts a flow of `bytes` over `path` (link ids) at `now`; returns its id.
  int start(Tick now, const std::vector<int>& path, double bytes, std::uint64_t tag);
  /// Starts a weighted flow: it uses coefficient x rate on each (link, coefficient) of `path`.
  int start_weighted(Tick now, const std::vector<std::pair<int, double>>& path, double bytes, std::uint64_t tag);
  /// Moves every active flow forward to `now` at its current rate.
  void advance(Tick now);
  /// Absolute tick at which the next flow completes (rounded up to a whole tick).
  std::optional<Tick> next_completion();
  /// After advance(now): removes every finished flow and appends its tag to `tags`.
  void pop_finished(std::vector<std::uint64_t>& tags);
  /// Runs every active flow to completion with no further arrivals; returns the end time.
  Tick drain(Tick now);
  /// As drain(), in continuous time (no rounding to ticks): seconds from the last change until
  /// the last flow ends. Flows whose ends coincide up to 1e-12 relative end together.
  double drain_s();

  std::size_t active() const { return active_.size(); }
  /// Current rate of flow `flow` (B/s).
  double rate_bps(int flow);
  double link_capacity_bps(int link) const { return cap_[static_cast<std::size_t>(link)]; }
  /// Sum of the current rates crossing `link` (weighted by the flows' coefficients).
  double link_load_bps(int link);
  /// Rate recomputations so far and flows re-rated by them (a measure of incremental work).
  std::uint64_t recomputations() const { return recomputations_; }
  std::uint64_t flows_rerated() const { return flows_rerated_; }
  std::uint64_t links_rerated() const { return links_rerated_; }

 private:
  struct Hop {
    int link;
    double coeff;
    int slot;  // position of this flow in the link's list
  };
  struct LinkUse {
    int flow;
    int hop;  // index into the flow's path
  };
  struct Flow {
    std::vector<Hop> path;
    double remaining = 0;
    double initial = 0;  // remaining when drain_s() began
    double rate = 0;
    std::uint64_t tag = 0;
    int active_pos = -1;
    bool live = false;
  };
  int add_flow(double bytes, std::uint64_t tag);
  void attach(int id);
  void detach(int id);
  void recompute();
  /// Removes every active flow for which done(flow) is true (keeping the others' order).
  template <typename Done>
  void retire_if(Done&& done);
  void mark_links(const Flow& f);

  std::vector<double> cap_;
  std::vector<std::vector<LinkUse>> link_flows_;
  std::vector<Flow> flows_;
  std::vector<int> free_;
  std::vector<int> active_;  // ids of live flows
  Tick last_ = 0;
  // Links whose flows must be re-rated (a flow on them started or ended).
  std::vector<int> dirty_links_;
  bool started_ = false;                // a flow started since the last recomputation
  double removed_min_rate_ = 1e300;     // slowest flow ended since the last recomputation
  std::vector<char> link_dirty_;
  // Scratch for progressive filling (no allocation once grown).
  std::vector<double> remaining_cap_, unfrozen_weight_;
  std::vector<char> link_seen_, flow_seen_;
  std::vector<int> comp_links_, comp_flows_, changed_links_;
  std::vector<std::pair<double, int>> heap_;
  std::uint64_t recomputations_ = 0, flows_rerated_ = 0, links_rerated_ = 0;
};

using FlowNetworkActor = ResourceActor<FlowNetwork>;

}  // namespace ddpsim
