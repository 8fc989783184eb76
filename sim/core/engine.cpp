#include "sim/core/engine.hpp"

#include <algorithm>
#include <string>

#include "sim/core/errors.hpp"

namespace ddpsim {

void Engine::bad_schedule(Tick time, std::uint32_t kind, std::uint32_t a) const {
  if (time < now_) {
    throw ModelError("internal: event scheduled in the past (t=" + std::to_string(time) + " < now=" + std::to_string(now_) + ")");
  }
  (void)kind;
  (void)a;
  throw ModelError("internal: event payload out of range");
}

void Engine::too_many_pending() { throw ModelError("internal: more than 16777216 pending events"); }

void Engine::renumber() {
  // Keep the order of the pending events, give them sequence numbers 0..n-1.
  settle();
  std::vector<Key> keys(heap_.begin(), heap_.end());
  std::sort(keys.begin(), keys.end(), less);
  std::uint64_t seq = 0;
  for (Key& k : keys) k = make_key(key_time(k), (key_word(k) & ~(kSeqMask << 24)) | (seq++ << 24));
  heap_ = std::move(keys);  // a sorted array is a valid heap
  seq_ = seq;
}

void Engine::run_until(Tick limit) {
  stopped_ = false;
  for (;;) {
    settle();
    if (stopped_ || heap_.empty() || key_time(heap_.front()) > limit) break;
    step();
  }
  if (!heap_.empty() && now_ < limit) now_ = limit;
}

}  // namespace ddpsim
