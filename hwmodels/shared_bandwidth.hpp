#pragma once
// Rate-based resources. EqualShareResource is pure model (no engine): active flows share the
// capacity equally, each also limited by a per-flow cap (processor sharing). It tracks a
// "virtual service" V = bytes delivered to every active flow since the resource was created, so
// a start or an end costs O(log n) and the next completion is the flow with the smallest target.
// BandwidthActor binds it to an Engine (resource_actor.hpp).
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "hwmodels/resource_actor.hpp"
#include "sim/core/engine.hpp"

namespace ddpsim {

class EqualShareResource {
 public:
  EqualShareResource(double capacity_bps, double per_flow_cap_bps);
  /// Starts a flow of `bytes` at time `now` carrying `tag`.
  void start(Tick now, double bytes, std::uint64_t tag);
  /// Advances the virtual service to `now` at the current rate.
  void advance(Tick now);
  /// Absolute tick of the next flow completion, if any flow is active.
  std::optional<Tick> next_completion() const;
  /// After advance(now): removes every finished flow and appends its tag to `tags`.
  void pop_finished(std::vector<std::uint64_t>& tags);
  std::size_t active() const { return heap_.size(); }
  /// Current rate of each active flow in B/s.
  double rate_per_flow_bps() const;
  double capacity_bps() const { return capacity_bps_; }
  /// Each flow stands for `m` identical flows started and ended with it (rank classes: one
  /// simulated node reads for `m` nodes): the share is capacity / (m x active flows).
  void set_flow_multiplicity(double m);
  double flow_multiplicity() const { return multiplicity_; }
  double bytes_delivered() const { return delivered_; }

 private:
  struct Flow {
    double target;  // V at which the flow is complete
    std::uint64_t seq;
    std::uint64_t tag;
  };
  static bool later(const Flow& x, const Flow& y) { return x.target > y.target || (x.target == y.target && x.seq > y.seq); }
  double capacity_bps_, per_flow_cap_bps_;
  double virtual_bytes_ = 0.0;
  double delivered_ = 0.0;
  double multiplicity_ = 1.0;
  Tick last_ = 0;
  std::uint64_t seq_ = 0;
  std::vector<Flow> heap_;  // min-heap on target
};

using BandwidthActor = ResourceActor<EqualShareResource>;

}  // namespace ddpsim
