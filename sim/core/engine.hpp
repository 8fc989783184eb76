#pragma once
// The discrete-event engine: an object (never a global). Time is integer nanosecond ticks.
// Events are ordered by (time, priority, insertion sequence), so same-time events run in
// priority order and then in the order they were scheduled: every run is deterministic.
//
// Queue: an implicit 4-ary min-heap of 16-byte keys, apart from the payloads. A key is the event
// time and one 64-bit word (priority << 56 | sequence << 24 | payload slot), so comparing two
// events is comparing two 64-bit pairs, and a node's four children share one cache line. pop()
// sifts down bottom-up (the hole goes to a leaf along the smallest children, then the last key
// climbs back), which halves the comparisons of the textbook sift-down. Payloads (target, kind,
// a, b) sit in a slot array with a free list and are touched once per event.
//   schedule: O(log4 n), pop: O(log4 n), no heap allocation once the vectors have grown.
// Sequence numbers have 32 bits; when they run out, the pending events are renumbered in
// order (rare, O(n log n)), so the order stays (time, priority, insertion) for any run length.
// Cancellation is by the caller: handlers carry a generation number in the payload and ignore
// stale events (the pattern rate-based resources use when their next completion moves).
#include <cstdint>
#include <vector>

#include "sim/core/units.hpp"

namespace ddpsim {

class Engine;

struct Event {
  Tick time;
  std::uint64_t order;  // (priority << 56) | (sequence << 24) | slot: compares like the insertion order
  class EventHandler* target;
  std::uint32_t kind_a;  // (kind << 24) | a
  std::uint32_t b;
  std::uint32_t kind() const { return kind_a >> 24; }
  std::uint32_t a() const { return kind_a & 0xFFFFFFu; }
};
static_assert(sizeof(Event) == 32, "events stay 32 bytes");

/// Largest payload `a` (24 bits) and `kind` (8 bits) an event can carry.
constexpr std::uint32_t kMaxEventA = 0xFFFFFFu;
constexpr std::uint32_t kMaxEventKind = 0xFFu;

/// Receiver of events; `kind`, `a` and `b` are the handler's own payload.
class EventHandler {
 public:
  virtual void on_event(Engine& engine, const Event& event) = 0;

 protected:
  EventHandler() = default;
  EventHandler(const EventHandler&) = default;
  EventHandler& operator=(const EventHandler&) = default;
  ~EventHandler() = default;
};

/// Named priorities: lower runs first among events at the same tick.
enum class Priority : std::uint8_t {
  kFirst = 0,
  kResource = 32,   // rate-based resource completions
  kCompute = 64,    // GPU work completions
  kNormal = 128,
  kCollective = 160,  // collective completions (after all same-time contributions)
  kLast = 255,
};

class Engine {
 public:
  Engine() = default;
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  Tick now() const { return now_; }
  double now_s() const { return ticks_to_seconds(now_); }

  /// Schedules an event at absolute time `time` (>= now(); throws ModelError otherwise).
  /// `kind` < 256 and `a` < 2^24 are the handler's payload, as is `b`.
  void schedule_at(Tick time, EventHandler* target, std::uint32_t kind, std::uint32_t a = 0, std::uint32_t b = 0,
                   Priority prio = Priority::kNormal) {
    if (time < now_ || kind > kMaxEventKind || a > kMaxEventA) bad_schedule(time, kind, a);
    std::uint32_t slot;
    if (free_top_ > 0) {
      slot = free_[--free_top_];
    } else {
      slot = static_cast<std::uint32_t>(slots_.size());
      if (slot > kSlotMask) too_many_pending();
      slots_.push_back({});
      free_.push_back(0);
    }
    slots_[slot] = {target, (kind << 24) | a, b};
    if (seq_ > kSeqMask) renumber();
    Key k = make_key(time, (static_cast<std::uint64_t>(prio) << 56) | (seq_++ << 24) | slot);
    if (hole_) {
      hole_ = false;
      sift_from_root(k);  // the event being handled left its key's place free: reuse it
    } else {
      push(k);
    }
  }
  void schedule_in(Tick delay, EventHandler* target, std::uint32_t kind, std::uint32_t a = 0, std::uint32_t b = 0,
                   Priority prio = Priority::kNormal) {
    schedule_at(now_ + delay, target, kind, a, b, prio);
  }

  /// Runs until the queue is empty or stop() is called.
  void run() {
    stopped_ = false;
    while (!stopped_ && step()) {
    }
  }
  /// Runs events with time <= limit; afterwards now() == limit if the queue still has events.
  void run_until(Tick limit);
  /// Processes one event; false if the queue is empty.
  bool step() {
    settle();
    if (heap_.empty()) return false;
    // The top key stays in place as a hole while its handler runs: the first event the handler
    // schedules takes its place with one sift-down (a 'hold' costs one heap pass, not two).
    Key k = heap_[0];
    hole_ = true;
    auto slot = static_cast<std::uint32_t>(key_word(k) & kSlotMask);
    const Payload p = slots_[slot];
    free_[free_top_++] = slot;
    now_ = key_time(k);
    ++processed_;
    Event e{now_, key_word(k), p.target, p.kind_a, p.b};
    p.target->on_event(*this, e);
    return true;
  }
  void stop() { stopped_ = true; }
  /// Test hook: continue numbering at `seq` (exercises the renumbering at 2^32 schedules).
  void set_sequence_for_testing(std::uint64_t seq) { seq_ = seq; }

  std::size_t pending() const { return heap_.size() - (hole_ ? 1 : 0); }
  std::uint64_t events_processed() const { return processed_; }
  std::size_t queue_capacity() const { return heap_.capacity(); }
  void reserve(std::size_t n) {
    heap_.reserve(n);
    slots_.reserve(n);
    free_.reserve(n);
  }

 private:
  // Key: time (high 64 bits; ticks are >= 0) and priority | sequence | slot (low 64 bits), one
  // unsigned 128-bit integer: a comparison is a subtract-with-borrow, free of branches.
  __extension__ typedef unsigned __int128 Key;
  static Key make_key(Tick time, std::uint64_t word) { return (static_cast<Key>(static_cast<std::uint64_t>(time)) << 64) | word; }
  static Tick key_time(Key k) { return static_cast<Tick>(static_cast<std::uint64_t>(k >> 64)); }
  static std::uint64_t key_word(Key k) { return static_cast<std::uint64_t>(k); }
  struct Payload {
    EventHandler* target;
    std::uint32_t kind_a;
    std::uint32_t b;
  };
  static constexpr std::uint64_t kSlotMask = (1ull << 24) - 1;
  static constexpr std::uint64_t kSeqMask = (1ull << 32) - 1;
  static bool less(Key x, Key y) { return x < y; }

  void push(Key k) {
    heap_.push_back(k);
    std::size_t i = heap_.size() - 1;
    Key* h = heap_.data();
    while (i > 0) {
      std::size_t parent = (i - 1) >> 2;
      if (!less(k, h[parent])) break;
      h[i] = h[parent];
      i = parent;
    }
    h[i] = k;
  }
  Key pop() {
    Key top = heap_[0];
    Key last = heap_.back();
    heap_.pop_back();
    if (!heap_.empty()) sift_from_root(last);
    return top;
  }
  // Puts `last` into the heap whose root is free.
  void sift_from_root(Key last) {
    Key* h = heap_.data();
    const std::size_t n = heap_.size();
    // Bottom-up: move the hole down along the smallest children to a leaf...
    std::size_t i = 0;
    for (;;) {
      std::size_t c = 4 * i + 1;
      if (c + 3 < n) {
        // Branch-free choice of the smallest of four children (random keys defeat prediction).
        std::size_t b01 = c + static_cast<std::size_t>(h[c + 1] < h[c]);
        std::size_t b23 = c + 2 + static_cast<std::size_t>(h[c + 3] < h[c + 2]);
        std::size_t pick = static_cast<std::size_t>(0) - static_cast<std::size_t>(h[b23] < h[b01]);
        std::size_t best = b01 ^ ((b01 ^ b23) & pick);
        h[i] = h[best];
        i = best;
      } else {
        if (c >= n) break;
        std::size_t best = c;
        for (std::size_t k = c + 1; k < n; ++k) {
          if (less(h[k], h[best])) best = k;
        }
        h[i] = h[best];
        i = best;
        break;
      }
    }
    // ...then let the last key climb back to its place.
    while (i > 0) {
      std::size_t parent = (i - 1) >> 2;
      if (!less(last, h[parent])) break;
      h[i] = h[parent];
      i = parent;
    }
    h[i] = last;
  }
  // Removes the key of the event handled last if no new event took its place.
  void settle() {
    if (hole_) {
      hole_ = false;
      pop();
    }
  }
  [[noreturn]] void bad_schedule(Tick time, std::uint32_t kind, std::uint32_t a) const;
  [[noreturn]] static void too_many_pending();
  void renumber();

  std::vector<Key> heap_;
  std::vector<Payload> slots_;
  std::vector<std::uint32_t> free_;  // free slots (a stack of size free_top_)
  std::size_t free_top_ = 0;
  Tick now_ = 0;
  std::uint64_t seq_ = 0;
  std::uint64_t processed_ = 0;
  bool stopped_ = false;
  bool hole_ = false;  // heap_[0] belongs to the event being handled (see step())
};

}  // namespace ddpsim
