#include "workloads/dataloader.hpp"

#include <algorithm>

#include "sim/core/errors.hpp"

namespace ddpsim {

DataLoader::DataLoader(int rank, int workers, int prefetch_factor, LoaderHost* host, bool pin_memory)
    : rank_(rank),
      prefetch_(std::max(1, prefetch_factor)),
      host_(host),
      pin_(pin_memory),
      workers_(static_cast<std::size_t>(std::max(1, workers))),
      ready_(workers_.size() * static_cast<std::size_t>(prefetch_), 0) {}

void DataLoader::begin_pass(long long batches, long long lbs, long long last_batch_size) {
  if (pin_busy_ || !pin_queue_.empty()) throw ModelError("internal: dataloader pass started while a batch is being pinned");
  batches_ = batches;
  lbs_ = lbs;
  last_batch_size_ = last_batch_size;
  consumed_ = 0;
  long long w = static_cast<long long>(workers_.size());
  dispatched_ = std::min(batches, w * prefetch_);
  for (std::size_t k = 0; k < workers_.size(); ++k) {
    if (workers_[k].busy) throw ModelError("internal: dataloader pass started while a worker is busy");
    workers_[k].next = static_cast<long long>(k);
    workers_[k].started = false;
  }
  std::fill(ready_.begin(), ready_.end(), 0);
}

void DataLoader::worker_started(int k) {
  if (k < 0 || k >= static_cast<int>(workers_.size())) throw ModelError("internal: worker index out of range");
  workers_[static_cast<std::size_t>(k)].started = true;
  wake(k);
}

void DataLoader::workers_started() {
  for (int k = 0; k < static_cast<int>(workers_.size()); ++k) worker_started(k);
}

void DataLoader::wake(int k) {
  Worker& w = workers_[static_cast<std::size_t>(k)];
  if (!w.started || w.busy || w.next >= dispatched_) return;
  w.busy = true;
  host_->loader_start_batch(rank_, k, w.next, batch_size(w.next));
}

void DataLoader::batch_built(int k) {
  Worker& w = workers_[static_cast<std::size_t>(k)];
  if (!w.busy) throw ModelError("internal: batch_built on an idle worker");
  long long built = w.next;
  w.busy = false;
  w.next += static_cast<long long>(workers_.size());
  if (pin_) {
    pin_queue_.push_back(built);
    pump_pin();
  } else {
    mark_ready(built);
  }
  wake(k);
}

void DataLoader::pump_pin() {
  if (pin_busy_ || pin_queue_.empty()) return;
  pin_busy_ = true;
  long long b = pin_queue_.front();
  host_->loader_start_pin(rank_, b, batch_size(b));
}

void DataLoader::pin_done() {
  if (!pin_busy_ || pin_queue_.empty()) throw ModelError("internal: pin_done without a copy in progress");
  long long b = pin_queue_.front();
  pin_queue_.pop_front();
  pin_busy_ = false;
  mark_ready(b);
  pump_pin();
}

void DataLoader::mark_ready(long long b) {
  ready_[slot(b)] = 1;
  host_->loader_batch_ready(rank_, b);
}

bool DataLoader::ready(long long i) const {
  if (i < consumed_ || i >= dispatched_) return false;
  return ready_[slot(i)] != 0;
}

void DataLoader::consume(long long i) {
  if (i != consumed_ || !ready(i)) throw ModelError("internal: batch consumed out of order or before it was ready");
  ready_[slot(i)] = 0;
  ++consumed_;
  if (dispatched_ < batches_) {
    long long d = dispatched_++;
    wake(static_cast<int>(d % static_cast<long long>(workers_.size())));
  }
}

int DataLoader::busy_workers() const {
  int n = 0;
  for (const auto& w : workers_) n += w.busy ? 1 : 0;
  return n;
}

}  // namespace ddpsim
