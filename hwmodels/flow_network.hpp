#pragma once
// Flows on shared links with max-min fair bandwidth sharing (progressive filling). Rates are
// recomputed only when a flow starts or ends; between those instants every rate is constant,
// so the next completion is known exactly and an engine can jump to it (SimGrid's model).
#include <cstdint>
#include <optional>
#include <vector>

#include "hwmodels/resource_actor.hpp"
#include "sim/core/engine.hpp"

namespace ddpsim {

class FlowNetwork {
 public:
  explicit FlowNetwork(std::vector<double> link_capacity_bps);
  /// Starts a flow of `bytes` over `path` (link ids) at `now`; returns its id.
  int start(Tick now, const std::vector<int>& path, double bytes, std::uint64_t tag);
  /// Moves every active flow forward to `now` at its current rate.
  void advance(Tick now);
  /// Absolute tick at which the next flow completes (rounded up to a whole tick).
  std::optional<Tick> next_completion();
  /// After advance(now): removes every finished flow and appends its tag to `tags`.
  void pop_finished(std::vector<std::uint64_t>& tags);
  /// Runs every active flow to completion with no further arrivals; returns the end time.
  Tick drain(Tick now);

  std::size_t active() const { return active_.size(); }
  /// Current rate of flow `flow` (B/s).
  double rate_bps(int flow);
  double link_capacity_bps(int link) const { return cap_[static_cast<std::size_t>(link)]; }
  /// Sum of the current rates crossing `link`.
  double link_load_bps(int link);

 private:
  struct Flow {
    std::vector<int> path;
    double remaining = 0;
    double rate = 0;
    std::uint64_t tag = 0;
    bool live = false;
  };
  void recompute();

  std::vector<double> cap_;
  std::vector<Flow> flows_;
  std::vector<int> free_;
  std::vector<int> active_;  // ids of live flows
  Tick last_ = 0;
  bool dirty_ = false;
  // Scratch for progressive filling (no allocation once grown).
  std::vector<double> remaining_cap_;
  std::vector<int> unfrozen_count_;
  std::vector<char> frozen_;
  std::vector<int> touched_links_;
};

using FlowNetworkActor = ResourceActor<FlowNetwork>;

}  // namespace ddpsim
