#include "hwmodels/flow_network.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "sim/core/errors.hpp"

namespace ddpsim {

FlowNetwork::FlowNetwork(std::vector<double> link_capacity_bps)
    : cap_(std::move(link_capacity_bps)),
      remaining_cap_(cap_.size()),
      unfrozen_count_(cap_.size(), 0) {
  for (double c : cap_) {
    if (!(c > 0)) throw ModelError("internal: link with non-positive capacity");
  }
}

int FlowNetwork::start(Tick now, const std::vector<int>& path, double bytes, std::uint64_t tag) {
  advance(now);
  int id;
  if (!free_.empty()) {
    id = free_.back();
    free_.pop_back();
  } else {
    id = static_cast<int>(flows_.size());
    flows_.emplace_back();
  }
  Flow& f = flows_[static_cast<std::size_t>(id)];
  f.path = path;
  f.remaining = std::max(0.0, bytes);
  f.rate = 0;
  f.tag = tag;
  f.live = true;
  active_.push_back(id);
  for (int l : path) {
    if (l < 0 || static_cast<std::size_t>(l) >= cap_.size()) throw ModelError("internal: flow over an unknown link");
  }
  dirty_ = true;
  return id;
}

double FlowNetwork::rate_bps(int flow) {
  if (dirty_) recompute();
  return flows_[static_cast<std::size_t>(flow)].rate;
}

void FlowNetwork::advance(Tick now) {
  if (dirty_) recompute();  // rates valid since the last change
  if (now > last_) {
    double dt = ticks_to_seconds(now - last_);
    for (int id : active_) {
      Flow& f = flows_[static_cast<std::size_t>(id)];
      f.remaining -= f.rate * dt;
    }
  }
  last_ = std::max(last_, now);
}

void FlowNetwork::recompute() {
  // Progressive filling: raise all unfrozen rates together; the link whose fair share
  // (remaining capacity / unfrozen flows) is smallest saturates first and freezes its flows.
  dirty_ = false;
  touched_links_.clear();
  frozen_.assign(active_.size(), 0);
  for (int id : active_) {
    for (int l : flows_[static_cast<std::size_t>(id)].path) {
      auto li = static_cast<std::size_t>(l);
      if (unfrozen_count_[li] == 0) {
        touched_links_.push_back(l);
        remaining_cap_[li] = cap_[li];
      }
      ++unfrozen_count_[li];
    }
  }
  std::size_t left = active_.size();
  for (std::size_t k = 0; k < active_.size(); ++k) {
    Flow& f = flows_[static_cast<std::size_t>(active_[k])];
    if (f.path.empty()) {  // a flow crossing no link is limited by nothing: treat as instant
      f.rate = std::numeric_limits<double>::infinity();
      frozen_[k] = 1;
      --left;
    }
  }
  while (left > 0) {
    double best = std::numeric_limits<double>::infinity();
    for (int l : touched_links_) {
      auto li = static_cast<std::size_t>(l);
      if (unfrozen_count_[li] > 0) best = std::min(best, remaining_cap_[li] / unfrozen_count_[li]);
    }
    const double tol = best * 1e-12;
    for (std::size_t k = 0; k < active_.size(); ++k) {
      if (frozen_[k]) continue;
      Flow& f = flows_[static_cast<std::size_t>(active_[k])];
      bool bottlenecked = false;
      for (int l : f.path) {
        auto li = static_cast<std::size_t>(l);
        if (remaining_cap_[li] / unfrozen_count_[li] <= best + tol) {
          bottlenecked = true;
          break;
        }
      }
      if (!bottlenecked) continue;
      f.rate = best;
      frozen_[k] = 1;
      --left;
      for (int l : f.path) {
        auto li = static_cast<std::size_t>(l);
        remaining_cap_[li] -= best;
        --unfrozen_count_[li];
      }
    }
  }
  for (int l : touched_links_) unfrozen_count_[static_cast<std::size_t>(l)] = 0;
}

std::optional<Tick> FlowNetwork::next_completion() {
  if (dirty_) recompute();
  double best = std::numeric_limits<double>::infinity();
  for (int id : active_) {
    const Flow& f = flows_[static_cast<std::size_t>(id)];
    double t = f.remaining <= 0 ? 0.0 : f.remaining / f.rate;
    best = std::min(best, t);
  }
  if (!std::isfinite(best)) return std::nullopt;
  return last_ + static_cast<Tick>(std::ceil(best * 1e9));
}

void FlowNetwork::pop_finished(std::vector<std::uint64_t>& tags) {
  std::size_t keep = 0;
  for (std::size_t k = 0; k < active_.size(); ++k) {
    int id = active_[k];
    Flow& f = flows_[static_cast<std::size_t>(id)];
    double tol = 1e-9 * f.rate + 1e-6;  // sub-byte remainder after rounding up to a tick
    if (f.remaining <= tol) {
      tags.push_back(f.tag);
      f.live = false;
      f.path.clear();
      free_.push_back(id);
      dirty_ = true;
    } else {
      active_[keep++] = id;
    }
  }
  active_.resize(keep);
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

double FlowNetwork::link_load_bps(int link) {
  if (dirty_) recompute();
  double sum = 0;
  for (int id : active_) {
    const Flow& f = flows_[static_cast<std::size_t>(id)];
    if (std::find(f.path.begin(), f.path.end(), link) != f.path.end()) sum += f.rate;
  }
  return sum;
}

}  // namespace ddpsim
