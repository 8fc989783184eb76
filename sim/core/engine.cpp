#include "sim/core/engine.hpp"

#include <string>

#include "sim/core/errors.hpp"

namespace ddpsim {

void Engine::schedule_at(Tick time, EventHandler* target, std::uint32_t kind, std::uint32_t a, std::uint32_t b,
                         Priority prio) {
  if (time < now_) {
    throw ModelError("internal: event scheduled in the past (t=" + std::to_string(time) + " < now=" + std::to_string(now_) + ")");
  }
  if (kind > kMaxEventKind || a > kMaxEventA) throw ModelError("internal: event payload out of range");
  Event e{time, (static_cast<std::uint64_t>(prio) << 48) | (seq_++ & 0xFFFFFFFFFFFFull), target, (kind << 24) | a, b};
  push(e);
}

void Engine::push(const Event& e) {
  heap_.push_back(e);
  std::size_t i = heap_.size() - 1;
  Event* h = heap_.data();
  while (i > 0) {
    std::size_t parent = (i - 1) >> 2;
    if (!less(e, h[parent])) break;
    h[i] = h[parent];
    i = parent;
  }
  h[i] = e;
}

Event Engine::pop() {
  Event top = heap_.front();
  Event last = heap_.back();
  heap_.pop_back();
  std::size_t n = heap_.size();
  if (n > 0) {
    Event* h = heap_.data();
    std::size_t i = 0;
    for (;;) {
      std::size_t c = 4 * i + 1;
      if (c >= n) break;
      std::size_t best = c;
      std::size_t end = c + 4 < n ? c + 4 : n;
      for (std::size_t k = c + 1; k < end; ++k) {
        if (less(h[k], h[best])) best = k;
      }
      if (!less(h[best], last)) break;
      h[i] = h[best];
      i = best;
    }
    h[i] = last;
  }
  return top;
}

bool Engine::step() {
  if (heap_.empty()) return false;
  Event e = pop();
  now_ = e.time;
  ++processed_;
  e.target->on_event(*this, e);
  return true;
}

void Engine::run() {
  stopped_ = false;
  while (!stopped_ && step()) {
  }
}

void Engine::run_until(Tick limit) {
  stopped_ = false;
  while (!stopped_ && !heap_.empty() && heap_.front().time <= limit) step();
  if (!heap_.empty() && now_ < limit) now_ = limit;
}

}  // namespace ddpsim
