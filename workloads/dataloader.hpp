#pragma once
// PyTorch DataLoader semantics for one rank (map-style dataset, W worker processes):
//  - batch i is built by worker i mod W, whole, in order; workers work through their own
//    batches one at a time;
//  - at most W * prefetch_factor batches are dispatched and not yet consumed;
//  - the training loop consumes batches strictly in order; each consumption dispatches one more;
//  - a new iterator (each pass unless workers are persistent) starts its workers one by one
//    (the host says when each is up: the main process forks or spawns them in turn), with an
//    empty queue; every started worker builds its first batch at once, so the first batch
//    arrives one batch-build time after its worker is up and the next ones in round-robin order;
//  - with pin_memory, one pin-memory thread copies each built batch into page-locked memory,
//    one batch at a time in arrival order; a batch is ready only once it is pinned.
// The loader is a state machine; its host (the training-run model) performs the actual reads,
// CPU work and copies on simulated resources and reports their completion back.
#include <cstdint>
#include <deque>
#include <vector>

namespace ddpsim {

class LoaderHost {
 public:
  /// Worker `worker` of rank `rank` starts building batch `batch` of `samples` samples.
  virtual void loader_start_batch(int rank, int worker, long long batch, long long samples) = 0;
  /// Batch `batch` of rank `rank` is ready.
  virtual void loader_batch_ready(int rank, long long batch) = 0;
  /// The pin-memory thread of rank `rank` starts copying batch `batch` (only with pin_memory);
  /// the host calls DataLoader::pin_done() when the copy is over.
  virtual void loader_start_pin(int /*rank*/, long long /*batch*/, long long /*samples*/) {}

 protected:
  ~LoaderHost() = default;
};

class DataLoader {
 public:
  DataLoader() = default;
  DataLoader(int rank, int workers, int prefetch_factor, LoaderHost* host, bool pin_memory = false);

  /// A new pass of `batches` batches of `lbs` samples (the last one has `last_batch_size`).
  /// Workers stay inactive until they are started.
  void begin_pass(long long batches, long long lbs, long long last_batch_size);
  /// Worker `worker` is up: it begins building its first batch.
  void worker_started(int worker);
  /// Every worker is up (persistent workers, or a start-up the host does not resolve).
  void workers_started();
  /// Worker `worker` finished its current batch.
  void batch_built(int worker);
  /// The pin-memory thread finished its current copy.
  void pin_done();
  bool ready(long long batch) const;
  /// Consumes batch `batch` (must be ready and the next in order) and dispatches one more.
  void consume(long long batch);

  long long next_to_consume() const { return consumed_; }
  long long batches() const { return batches_; }
  int workers() const { return static_cast<int>(workers_.size()); }
  int busy_workers() const;
  bool pin_memory() const { return pin_; }

 private:
  struct Worker {
    long long next = 0;  // next batch index this worker will build
    bool busy = false;
    bool started = false;
  };
  long long batch_size(long long i) const { return i + 1 == batches_ ? last_batch_size_ : lbs_; }
  void wake(int worker);
  void mark_ready(long long batch);
  void pump_pin();
  std::size_t slot(long long i) const { return static_cast<std::size_t>(i % static_cast<long long>(ready_.size())); }

  int rank_ = 0;
  int prefetch_ = 2;
  LoaderHost* host_ = nullptr;
  bool pin_ = false;
  std::vector<Worker> workers_;
  std::vector<char> ready_;  // ring over the dispatched, unconsumed window (W * prefetch)
  std::deque<long long> pin_queue_;
  bool pin_busy_ = false;
  long long batches_ = 0, lbs_ = 0, last_batch_size_ = 0;
  long long dispatched_ = 0, consumed_ = 0;
};

}  // namespace ddpsim
