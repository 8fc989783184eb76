#pragma once
// PyTorch DataLoader semantics for one rank (map-style dataset, W worker processes):
//  - batch i is built by worker i mod W, whole, in order; workers work through their own
//    batches one at a time;
//  - at most W * prefetch_factor batches are dispatched and not yet consumed;
//  - the training loop consumes batches strictly in order; each consumption dispatches one more;
//  - a new iterator (each pass unless workers are persistent) starts workers after a start-up
//    delay, with an empty queue.
// The loader is a state machine; its host (the training-run model) performs the actual reads
// and CPU work on simulated resources and reports their completion back.
#include <cstdint>
#include <vector>

namespace ddpsim {

class LoaderHost {
 public:
  /// Worker `worker` of rank `rank` starts building batch `batch` of `samples` samples.
  virtual void loader_start_batch(int rank, int worker, long long batch, long long samples) = 0;
  /// Batch `batch` of rank `rank` is ready.
  virtual void loader_batch_ready(int rank, long long batch) = 0;

 protected:
  ~LoaderHost() = default;
};

class DataLoader {
 public:
  DataLoader() = default;
  DataLoader(int rank, int workers, int prefetch_factor, LoaderHost* host);

  /// A new pass of `batches` batches of `lbs` samples (the last one has `last_batch_size`).
  /// Workers stay inactive until workers_started().
  void begin_pass(long long batches, long long lbs, long long last_batch_size);
  /// Start-up delay is over: workers begin building their first batches.
  void workers_started();
  /// Worker `worker` finished its current batch.
  void batch_built(int worker);
  bool ready(long long batch) const;
  /// Consumes batch `batch` (must be ready and the next in order) and dispatches one more.
  void consume(long long batch);

  long long next_to_consume() const { return consumed_; }
  long long batches() const { return batches_; }
  int workers() const { return static_cast<int>(workers_.size()); }
  int busy_workers() const;

 private:
  struct Worker {
    long long next = 0;      // next batch index this worker will build
    long long done_next = 0; // every batch of this worker below this index is built
    bool busy = false;
  };
  long long batch_size(long long i) const { return i + 1 == batches_ ? last_batch_size_ : lbs_; }
  void wake(int worker);

  int rank_ = 0;
  int prefetch_ = 2;
  LoaderHost* host_ = nullptr;
  std::vector<Worker> workers_;
  long long batches_ = 0, lbs_ = 0, last_batch_size_ = 0;
  long long dispatched_ = 0, consumed_ = 0;
  bool started_ = false;
};

}  // namespace ddpsim
