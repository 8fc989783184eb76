#pragma once
// The discrete-event engine: an object (never a global). Time is integer nanosecond ticks.
// Events are ordered by (time, priority, insertion sequence), so same-time events run in
// priority order and then in the order they were scheduled: every run is deterministic.
//
// Queue: an implicit 4-ary min-heap in one std::vector of 32-byte POD events.
//   schedule: O(log4 n), pop: O(log4 n), no heap allocation once the vector has grown
//   (reserve() up front; the vector never shrinks during a run).
// Cancellation is by the caller: handlers carry a generation number in the payload and ignore
// stale events (the pattern rate-based resources use when their next completion moves).
#include <cstdint>
#include <vector>

#include "sim/core/units.hpp"

namespace ddpsim {

class Engine;

struct Event {
  Tick time;
  std::uint64_t order;  // (priority << 48) | sequence
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
                   Priority prio = Priority::kNormal);
  void schedule_in(Tick delay, EventHandler* target, std::uint32_t kind, std::uint32_t a = 0, std::uint32_t b = 0,
                   Priority prio = Priority::kNormal) {
    schedule_at(now_ + delay, target, kind, a, b, prio);
  }

  /// Runs until the queue is empty or stop() is called.
  void run();
  /// Runs events with time <= limit; afterwards now() == limit if the queue still has events.
  void run_until(Tick limit);
  /// Processes one event; false if the queue is empty.
  bool step();
  void stop() { stopped_ = true; }

  std::size_t pending() const { return heap_.size(); }
  std::uint64_t events_processed() const { return processed_; }
  std::size_t queue_capacity() const { return heap_.capacity(); }
  void reserve(std::size_t n) { heap_.reserve(n); }

 private:
  static bool less(const Event& x, const Event& y) {
    return x.time < y.time || (x.time == y.time && x.order < y.order);
  }
  void push(const Event& e);
  Event pop();

  std::vector<Event> heap_;
  Tick now_ = 0;
  std::uint64_t seq_ = 0;
  std::uint64_t processed_ = 0;
  bool stopped_ = false;
};

}  // namespace ddpsim
