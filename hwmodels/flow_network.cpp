#include "hwmodels/flow_network.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

#include "sim/core/errors.hpp"

namespace ddpsim {

FlowNetwork::FlowNetwork(std::vector<double> link_capacity_bps)
    : cap_(std::move(link_capacity_bps)),
      link_flows_(cap_.size()),
      link_dirty_(cap_.size(), 0),
      remaining_cap_(cap_.size(), 0.0),
      unfrozen_weight_(cap_.size(), 0.0),
      link_seen_(cap_.size(), 0) {
  for (double c : cap_) {
    if (!(c > 0)) throw ModelError("internal: link with non-positive capacity");
  }
}

int FlowNetwork::add_flow(double bytes, std::uint64_t tag) {
  int id;
  if (!free_.empty()) {
    id = free_.back();
    free_.pop_back();
  } else {
    id = static_cast<int>(flows_.size());
    flows_.emplace_back();
    flow_seen_.push_back(0);
  }
  Flow& f = flows_[static_cast<std::size_t>(id)];
  f.path.clear();
  f.remaining = std::max(0.0, bytes);
  f.rate = 0;
  f.tag = tag;
  f.live = true;
  f.active_pos = static_cast<int>(active_.size());
  active_.push_back(id);
  return id;
}

void FlowNetwork::mark_links(const Flow& f) {
  for (const Hop& h : f.path) {
    auto li = static_cast<std::size_t>(h.link);
    if (!link_dirty_[li]) {
      link_dirty_[li] = 1;
      dirty_links_.push_back(h.link);
    }
  }
}

void FlowNetwork::attach(int id) {
  Flow& f = flows_[static_cast<std::size_t>(id)];
  for (std::size_t k = 0; k < f.path.size(); ++k) {
    auto& list = link_flows_[static_cast<std::size_t>(f.path[k].link)];
    f.path[k].slot = static_cast<int>(list.size());
    list.push_back({id, static_cast<int>(k)});
  }
  if (f.path.empty()) f.rate = std::numeric_limits<double>::infinity();  // limited by nothing: instant
  if (!f.path.empty()) started_ = true;
  mark_links(f);
}

void FlowNetwork::detach(int id) {
  Flow& f = flows_[static_cast<std::size_t>(id)];
  mark_links(f);
  if (!f.path.empty()) removed_min_rate_ = std::min(removed_min_rate_, f.rate);
  for (const Hop& h : f.path) {
    auto& list = link_flows_[static_cast<std::size_t>(h.link)];
    LinkUse moved = list.back();
    list[static_cast<std::size_t>(h.slot)] = moved;
    flows_[static_cast<std::size_t>(moved.flow)].path[static_cast<std::size_t>(moved.hop)].slot = h.slot;
    list.pop_back();
  }
}

int FlowNetwork::start(Tick now, const std::vector<int>& path, double bytes, std::uint64_t tag) {
  for (int l : path) {
    if (l < 0 || static_cast<std::size_t>(l) >= cap_.size()) throw ModelError("internal: flow over an unknown link");
  }
  advance(now);
  int id = add_flow(bytes, tag);
  Flow& f = flows_[static_cast<std::size_t>(id)];
  for (int l : path) {
    bool merged = false;
    for (Hop& h : f.path) {
      if (h.link == l) {
        h.coeff += 1.0;
        merged = true;
      }
    }
    if (!merged) f.path.push_back({l, 1.0, 0});
  }
  attach(id);
  return id;
}

int FlowNetwork::start_weighted(Tick now, const std::vector<std::pair<int, double>>& path, double bytes, std::uint64_t tag) {
  for (const auto& [l, c] : path) {
    if (l < 0 || static_cast<std::size_t>(l) >= cap_.size()) throw ModelError("internal: flow over an unknown link");
    if (!(c > 0)) throw ModelError("internal: flow with a non-positive link coefficient");
  }
  advance(now);
  int id = add_flow(bytes, tag);
  Flow& f = flows_[static_cast<std::size_t>(id)];
  for (const auto& [l, c] : path) {
    bool merged = false;
    for (Hop& h : f.path) {
      if (h.link == l) {
        h.coeff += c;
        merged = true;
      }
    }
    if (!merged) f.path.push_back({l, c, 0});
  }
  attach(id);
  return id;
}

double FlowNetwork::rate_bps(int flow) {
  recompute();
  return flows_[static_cast<std::size_t>(flow)].rate;
}

void FlowNetwork::advance(Tick now) {
  if (now > last_) {
    recompute();  // rates valid since the last change (nothing to do while time stands still)
    double dt = ticks_to_seconds(now - last_);
    for (int id : active_) {
      Flow& f = flows_[static_cast<std::size_t>(id)];
      f.remaining = std::isinf(f.rate) ? 0.0 : f.remaining - f.rate * dt;
    }
  }
  last_ = std::max(last_, now);
}

void FlowNetwork::recompute() {
  if (dirty_links_.empty()) return;
  ++recomputations_;
  // The flows to re-rate: every flow connected to a changed link through shared links. When
  // flows only ended, flows slower than the slowest of them keep their rates (the links that
  // bottleneck them saturate, in progressive filling, before any ended flow froze, so they
  // carried none of those), and the rest is re-rated on what the slower flows leave over.
  const double threshold = started_ ? -std::numeric_limits<double>::infinity() : removed_min_rate_ * (1.0 - 1e-12);
  started_ = false;
  removed_min_rate_ = std::numeric_limits<double>::infinity();
  comp_links_.clear();
  comp_flows_.clear();
  for (int l : dirty_links_) {
    link_dirty_[static_cast<std::size_t>(l)] = 0;
    if (!link_seen_[static_cast<std::size_t>(l)]) {
      link_seen_[static_cast<std::size_t>(l)] = 1;
      comp_links_.push_back(l);
    }
  }
  dirty_links_.clear();
  for (std::size_t i = 0; i < comp_links_.size(); ++i) {
    for (const LinkUse& u : link_flows_[static_cast<std::size_t>(comp_links_[i])]) {
      auto fi = static_cast<std::size_t>(u.flow);
      if (flow_seen_[fi] || flows_[fi].rate < threshold) continue;
      flow_seen_[fi] = 1;  // 1 = unfrozen
      comp_flows_.push_back(u.flow);
      for (const Hop& h : flows_[fi].path) {
        auto li = static_cast<std::size_t>(h.link);
        if (!link_seen_[li]) {
          link_seen_[li] = 1;
          comp_links_.push_back(h.link);
        }
      }
    }
  }
  flows_rerated_ += comp_flows_.size();
  links_rerated_ += comp_links_.size();

  // Progressive filling: raise all unfrozen rates together; the link whose fair share
  // (remaining capacity / unfrozen weight) is smallest saturates first and freezes its flows.
  auto greater = std::greater<std::pair<double, int>>();
  heap_.clear();
  for (int l : comp_links_) {
    auto li = static_cast<std::size_t>(l);
    double w = 0, fixed = 0;
    for (const LinkUse& u : link_flows_[li]) {
      const Flow& f = flows_[static_cast<std::size_t>(u.flow)];
      double c = f.path[static_cast<std::size_t>(u.hop)].coeff;
      if (flow_seen_[static_cast<std::size_t>(u.flow)]) {
        w += c;
      } else {
        fixed += c * f.rate;
      }
    }
    remaining_cap_[li] = cap_[li] - fixed;
    unfrozen_weight_[li] = w;
    if (w > 0) heap_.emplace_back(std::max(0.0, remaining_cap_[li]) / w, l);
  }
  std::make_heap(heap_.begin(), heap_.end(), greater);
  std::vector<int>& changed = changed_links_;
  while (!heap_.empty()) {
    std::pop_heap(heap_.begin(), heap_.end(), greater);
    auto [share, l] = heap_.back();
    heap_.pop_back();
    auto li = static_cast<std::size_t>(l);
    if (unfrozen_weight_[li] <= 1e-12) continue;
    double cur = std::max(0.0, remaining_cap_[li]) / unfrozen_weight_[li];
    if (cur != share) continue;  // stale entry: the link's share changed and was pushed again
    changed.clear();
    for (const LinkUse& u : link_flows_[li]) {
      auto fi = static_cast<std::size_t>(u.flow);
      if (flow_seen_[fi] != 1) continue;
      flow_seen_[fi] = 2;  // frozen
      Flow& f = flows_[fi];
      f.rate = share;
      for (const Hop& h : f.path) {
        auto hi = static_cast<std::size_t>(h.link);
        remaining_cap_[hi] -= h.coeff * share;
        unfrozen_weight_[hi] -= h.coeff;
        if (h.link != l) changed.push_back(h.link);
      }
    }
    unfrozen_weight_[li] = 0;
    for (int c : changed) {
      auto ci = static_cast<std::size_t>(c);
      if (unfrozen_weight_[ci] > 1e-12) {
        heap_.emplace_back(std::max(0.0, remaining_cap_[ci]) / unfrozen_weight_[ci], c);
        std::push_heap(heap_.begin(), heap_.end(), greater);
      }
    }
  }
  for (int id : comp_flows_) flow_seen_[static_cast<std::size_t>(id)] = 0;
  for (int l : comp_links_) link_seen_[static_cast<std::size_t>(l)] = 0;
}

std::optional<Tick> FlowNetwork::next_completion() {
  recompute();
  double best = std::numeric_limits<double>::infinity();
  for (int id : active_) {
    const Flow& f = flows_[static_cast<std::size_t>(id)];
    double t = f.remaining <= 0 ? 0.0 : f.remaining / f.rate;
    best = std::min(best, t);
  }
  if (!std::isfinite(best)) return std::nullopt;
  return last_ + static_cast<Tick>(std::ceil(best * 1e9));
}

template <typename Done>
void FlowNetwork::retire_if(Done&& done) {
  std::size_t keep = 0;
  for (std::size_t k = 0; k < active_.size(); ++k) {
    int id = active_[k];
    Flow& f = flows_[static_cast<std::size_t>(id)];
    if (done(f)) {
      detach(id);
      f.live = false;
      f.active_pos = -1;
      free_.push_back(id);
    } else {
      f.active_pos = static_cast<int>(keep);
      active_[keep++] = id;
    }
  }
  active_.resize(keep);
}

void FlowNetwork::pop_finished(std::vector<std::uint64_t>& tags) {
  retire_if([&](const Flow& f) {
    double tol = std::isinf(f.rate) ? 0.0 : 1e-9 * f.rate + 1e-6;  // sub-byte remainder after rounding up to a tick
    if (f.remaining > tol) return false;
    tags.push_back(f.tag);
    return true;
  });
}

Tick FlowNetwork::drain(Tick now) {
  advance(now);
  Tick t = now;
  std::vector<std::uint64_t> tags;
  while (!active_.empty()) {
    auto next = next_completion();
    if (!next) throw ModelError("internal: flows that can never finish");
    t = *next;
    advance(t);
    pop_finished(tags);
  }
  return t;
}

double FlowNetwork::drain_s() {
  double t = 0;
  for (int id : active_) flows_[static_cast<std::size_t>(id)].initial = flows_[static_cast<std::size_t>(id)].remaining;
  while (!active_.empty()) {
    recompute();
    double dt = std::numeric_limits<double>::infinity();
    for (int id : active_) {
      const Flow& f = flows_[static_cast<std::size_t>(id)];
      dt = std::min(dt, f.remaining <= 0 || std::isinf(f.rate) ? 0.0 : f.remaining / f.rate);
    }
    if (!std::isfinite(dt)) throw ModelError("internal: flows that can never finish");
    t += dt;
    retire_if([&](Flow& f) {
      f.remaining = std::isinf(f.rate) ? 0.0 : f.remaining - f.rate * dt;
      return f.remaining <= 1e-12 * f.initial;
    });
  }
  return t;
}

double FlowNetwork::link_load_bps(int link) {
  recompute();
  double sum = 0;
  for (const LinkUse& u : link_flows_[static_cast<std::size_t>(link)]) {
    const Flow& f = flows_[static_cast<std::size_t>(u.flow)];
    sum += f.rate * f.path[static_cast<std::size_t>(u.hop)].coeff;
  }
  return sum;
}

}  // namespace ddpsim
