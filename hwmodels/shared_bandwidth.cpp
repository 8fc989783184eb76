#include "hwmodels/shared_bandwidth.hpp"

#include <algorithm>
#include <cmath>

#include "sim/core/errors.hpp"

namespace ddpsim {

EqualShareResource::EqualShareResource(double capacity_bps, double per_flow_cap_bps)
    : capacity_bps_(capacity_bps), per_flow_cap_bps_(per_flow_cap_bps) {
  if (!(capacity_bps > 0) || !(per_flow_cap_bps > 0)) throw ModelError("bandwidth resource needs positive capacity");
}

double EqualShareResource::rate_per_flow_bps() const {
  if (heap_.empty()) return 0.0;
  return std::min(per_flow_cap_bps_, capacity_bps_ / (multiplicity_ * static_cast<double>(heap_.size())));
}

void EqualShareResource::set_flow_multiplicity(double m) {
  if (!(m >= 1.0)) throw ModelError("internal: flow multiplicity below 1");
  if (!heap_.empty()) throw ModelError("internal: flow multiplicity changed while flows are active");
  multiplicity_ = m;
}

void EqualShareResource::advance(Tick now) {
  if (now > last_ && !heap_.empty()) {
    double dv = rate_per_flow_bps() * ticks_to_seconds(now - last_);
    virtual_bytes_ += dv;
    delivered_ += dv * multiplicity_ * static_cast<double>(heap_.size());
  }
  last_ = now;
}

void EqualShareResource::start(Tick now, double bytes, std::uint64_t tag) {
  advance(now);
  heap_.push_back(Flow{virtual_bytes_ + std::max(0.0, bytes), seq_++, tag});
  std::push_heap(heap_.begin(), heap_.end(), later);
}

std::optional<Tick> EqualShareResource::next_completion() const {
  if (heap_.empty()) return std::nullopt;
  double remaining = heap_.front().target - virtual_bytes_;
  if (remaining <= 0) return last_;
  double dt_s = remaining / rate_per_flow_bps();
  return last_ + static_cast<Tick>(std::ceil(dt_s * 1e9));
}

void EqualShareResource::pop_finished(std::vector<std::uint64_t>& tags) {
  while (!heap_.empty()) {
    const Flow& f = heap_.front();
    // Tolerance: rounding the completion up to a whole tick may leave a sub-byte remainder.
    double tol = 1e-9 * std::fabs(f.target) + 1e-6;
    if (f.target - virtual_bytes_ > tol) return;
    tags.push_back(f.tag);
    std::pop_heap(heap_.begin(), heap_.end(), later);
    heap_.pop_back();
  }
}

}  // namespace ddpsim
