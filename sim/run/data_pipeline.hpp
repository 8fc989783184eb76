#pragma once
// The data-pipeline component of a training run, per rank: a PyTorch-style dataloader
// (workloads/dataloader.hpp) whose workers read each batch through node-local NVMe or the shared
// file system (bandwidth shared among concurrent reads), then decode it on the node's CPU cores
// (loader.decode_per_sample plus the CPU cost of the read; slower beyond one busy thread per
// core; seeded jitter), and, with pin_memory, a pin-memory thread copying each built batch to
// page-locked memory. Each pass starts fresh workers (unless they are persistent): worker k is
// up at (k + 1) * launch_s + init_s (loader_startup). The component also plans an epoch's
// passes (training, an optional extra forward pass over the training set, validation) and
// keeps the first-batch waits and pass durations.
#include <cstdint>
#include <memory>
#include <vector>

#include "hwmodels/shared_bandwidth.hpp"
#include "sim/core/engine.hpp"
#include "sim/core/rng.hpp"
#include "sim/run/gpu_power.hpp"
#include "workloads/dataloader.hpp"
#include "workloads/workload.hpp"

namespace ddpsim {

struct Scenario;

/// The data-pipeline parameters of a run, filled from the resolved scenario in one place.
struct DataPipelineParams {
  int ranks = 1, gpus_per_node = 4, nodes = 1;  // of the job (passes are split over every rank)
  // Rank classes: the loaders of `simulated_nodes` nodes are simulated, each standing for
  // `node_multiplicity` identical nodes (their reads share the file system m times over).
  int simulated_nodes = 1;
  double node_multiplicity = 1;
  int workers = 4, prefetch = 2;          // per rank; prefetch_factor batches per worker
  bool pin_memory = false;
  bool persistent_workers = false;        // workers survive the pass (start once, in epoch 0)
  double bytes_per_sample = 0;            // read from storage
  double device_bytes_per_sample = 0;     // copied by the pin-memory thread
  double decode_per_sample_s = 0;         // CPU time per sample
  double read_cpu_bps = 1;                // CPU cost of reading: bytes per CPU-second
  double loader_jitter_cv = 0;            // coefficient of variation of a batch's decode time
  double memcpy_bps = 1;                  // pin-memory copy bandwidth
  int cores_per_node = 76;
  int sockets_per_node = 2;
  bool shared_fs = false;                 // storage: the shared file system, else node-local NVMe
  double fs_aggregate_bps = 1, fs_stream_bps = 1;  // shared file system: all readers / one reader
  double local_read_bps = 1;              // node-local NVMe
  double worker_launch_s = 0, worker_init_s = 0;   // loader_startup
  long long lbs = 1, train_samples = 0, val_samples = 0;
  bool train_eval_pass = false;

  static DataPipelineParams from_scenario(const Scenario& scenario);
  int simulated_ranks() const { return simulated_nodes * gpus_per_node < ranks ? simulated_nodes * gpus_per_node : ranks; }
};

enum class PassKind { Train = 0, TrainEval = 1, Validation = 2 };

struct PassPlan {
  PassKind kind;
  PassSplit split;
};

/// The passes of one epoch.
std::vector<PassPlan> plan_passes(const DataPipelineParams& p);
/// When each worker of a fresh pass can fetch, from the pass start: (k + 1) * launch + init.
std::vector<Tick> worker_up_ticks(const DataPipelineParams& p);

/// Worker index of a "workers started" event meaning every worker at once.
constexpr std::uint32_t kAllWorkers = 0xFFFFFFFFu;

class DataPipeline final : public EventHandler, public FlowSink {
 public:
  /// `host` is the loaders' host (it forwards start_batch and start_pin here and hears about
  /// ready batches); `sockets` books the decoding workers' busy cores.
  DataPipeline(const DataPipelineParams& p, std::uint64_t seed, Engine& engine, LoaderHost* host, CpuSockets& sockets);
  DataPipeline(const DataPipeline&) = delete;
  DataPipeline& operator=(const DataPipeline&) = delete;

  DataLoader& loader(int rank) { return ranks_[static_cast<std::size_t>(rank)].loader; }
  int socket(int rank) const { return ranks_[static_cast<std::size_t>(rank)].socket; }

  /// Worker `worker` of rank `rank` starts building a batch of `samples`: read, then decode.
  void start_batch(int rank, int worker, long long samples);
  /// The pin-memory thread of rank `rank` starts copying a batch of `samples`.
  void start_pin(int rank, long long samples);
  /// CPU time to decode `samples` samples on a node with `busy_cores` busy cores (before jitter).
  double decode_s(long long samples, int busy_cores) const;

  // Passes.
  const PassPlan& pass() const { return passes_[pass_idx_]; }
  const std::vector<PassPlan>& passes() const { return passes_; }
  /// Samples in batch `batch` of the current pass (the last one may be partial).
  long long batch_samples(long long batch) const {
    return batch + 1 == pass().split.batches ? pass().split.last_batch_size : p_.lbs;
  }
  /// Every loader begins the current pass at `now` (workers not yet up).
  void begin_pass(Tick now);
  /// Whether the workers of a pass in epoch `epoch` must start afresh.
  bool fresh_workers(int epoch) const { return !(p_.persistent_workers && epoch > 0); }
  /// Pass start -> worker k up, for fresh workers.
  const std::vector<Tick>& worker_up() const { return worker_up_; }
  /// Worker `worker` (or kAllWorkers) of every rank is up.
  void workers_started(std::uint32_t worker);
  /// A rank consumed the current pass's first batch at `now`.
  void first_batch_consumed(Tick now);
  /// The current pass ended at `now` (its barrier is done): moves to the next pass; true when
  /// that starts a new epoch.
  bool end_pass(Tick now);

  // Statistics per pass kind, means over the passes so far.
  double mean_first_batch_wait_s(PassKind k) const;
  double mean_pass_s(PassKind k) const;
  /// Pass start -> last worker up, for fresh workers.
  double worker_startup_s() const { return worker_up_.empty() ? 0 : ticks_to_seconds(worker_up_.back()); }

  void on_event(Engine& engine, const Event& e) override;
  void on_flow_done(std::uint64_t tag) override;

 private:
  enum EventKind : std::uint32_t {
    kDecodeDone = 1,  // a = rank, b = worker
    kPinDone,         // a = rank: the pin-memory thread copied its current batch
  };
  struct Rank {
    int node = 0, socket = 0;
    DataLoader loader;
    Rng rng{0, 0};  // its own stream: loader variability leaves the compute draws unchanged
    std::vector<long long> worker_samples;
  };
  void start_decode(int rank, int worker);

  DataPipelineParams p_;
  Engine* eng_;
  CpuSockets* sockets_;
  std::vector<Rank> ranks_;
  std::unique_ptr<BandwidthActor> fs_;
  std::vector<std::unique_ptr<BandwidthActor>> nvme_;
  std::vector<Tick> worker_up_;
  std::vector<PassPlan> passes_;
  std::size_t pass_idx_ = 0;
  Tick pass_start_ = 0;
  double first_wait_sum_s_[3] = {0, 0, 0};  // over ranks and passes
  double pass_time_sum_s_[3] = {0, 0, 0};
  long long first_wait_n_[3] = {0, 0, 0}, pass_n_[3] = {0, 0, 0};
};

}  // namespace ddpsim
