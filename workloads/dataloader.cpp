#include "workloads/dataloader.hpp"

#include <algorithm>

#include "sim/core/errors.hpp"

namespace ddpsim {

DataLoader::DataLoader(int rank, int workers, int prefetch_factor, LoaderHost* host)
    : rank_(rank), prefetch_(prefetch_factor), host_(host), workers_(static_cast<std::size_t>(std::max(1, workers))) {}

void DataLoader::begin_pass(long long batches, long long lbs, long long last_batch_size) {
  batches_ = batches;
  lbs_ = lbs;
  last_batch_size_ = last_batch_size;
  consumed_ = 0;
  long long w = static_cast<long long>(workers_.size());
  dispatched_ = std::min(batches, w * prefetch_);
  for (std::size_t k = 0; k < workers_.size(); ++k) {
    if (workers_[k].busy) throw ModelError("internal: dataloader pass started while a worker is busy");
    workers_[k].next = static_cast<long long>(k);
    workers_[k].done_next = static_cast<long long>(k);
  }
  started_ = false;
}

void DataLoader::workers_started() {
  started_ = true;
  for (int k = 0; k < static_cast<int>(workers_.size()); ++k) wake(k);
}

void DataLoader::wake(int k) {
  Worker& w = workers_[static_cast<std::size_t>(k)];
  if (!started_ || w.busy || w.next >= dispatched_) return;
  w.busy = true;
  host_->loader_start_batch(rank_, k, w.next, batch_size(w.next));
}

void DataLoader::batch_built(int k) {
  Worker& w = workers_[static_cast<std::size_t>(k)];
  if (!w.busy) throw ModelError("internal: batch_built on an idle worker");
  long long built = w.next;
  w.busy = false;
  w.next += static_cast<long long>(workers_.size());
  w.done_next = w.next;
  host_->loader_batch_ready(rank_, built);
  wake(k);
}

bool DataLoader::ready(long long i) const {
  if (i < consumed_ || i >= batches_) return false;
  const Worker& w = workers_[static_cast<std::size_t>(i % static_cast<long long>(workers_.size()))];
  return i < w.done_next;
}

void DataLoader::consume(long long i) {
  if (i != consumed_ || !ready(i)) throw ModelError("internal: batch consumed out of order or before it was ready");
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
