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
  return std::min(per_flow_cap_bps_, capacity_bps_ / static_cast<double>(heap_.size()));
}

void EqualShareResource::advance(Tick now) {
  if (now > last_ && !heap_.empty()) {
    double dv = rate_per_flow_bps() * ticks_to_seconds(now - last_);
    virtual_bytes_ += dv;
    delivered_ += dv * static_cast<double>(heap_.size());
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

bool EqualShareResource::pop_finished(std::uint64_t& tag) {
  if (heap_.empty()) return false;
  const Flow& f = heap_.front();
  // Tolerance: rounding the completion up to a whole tick may leave a sub-byte remainder.
  double tol = 1e-9 * std::fabs(f.target) + 1e-6;
  if (f.target - virtual_bytes_ > tol) return false;
  tag = f.tag;
  std::pop_heap(heap_.begin(), heap_.end(), later);
  heap_.pop_back();
  return true;
}

BandwidthActor::BandwidthActor(Engine& engine, FlowSink& sink, double capacity_bps, double per_flow_cap_bps)
    : engine_(&engine), sink_(&sink), res_(capacity_bps, per_flow_cap_bps) {}

void BandwidthActor::start(double bytes, std::uint64_t tag) {
  res_.start(engine_->now(), bytes, tag);
  reschedule();
}

void BandwidthActor::reschedule() {
  auto next = res_.next_completion();
  if (!next) {
    ++generation_;  // any pending event is now stale
    scheduled_ = -1;
    return;
  }
  if (*next == scheduled_) return;  // the pending event is still right
  ++generation_;
  scheduled_ = *next;
  engine_->schedule_at(*next, this, 0, 0, generation_, Priority::kResource);
}

void BandwidthActor::on_event(Engine& engine, const Event& event) {
  if (event.b != generation_) return;  // stale
  scheduled_ = -1;
  res_.advance(engine.now());
  done_.clear();
  std::uint64_t tag;
  while (res_.pop_finished(tag)) done_.push_back(tag);
  reschedule();
  // Sinks may start new flows (which reschedule again); iterate over a copy-safe index.
  for (std::size_t i = 0; i < done_.size(); ++i) sink_->on_flow_done(done_[i]);
}

}  // namespace ddpsim
