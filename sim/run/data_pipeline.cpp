#include "sim/run/data_pipeline.hpp"

#include <algorithm>

#include "sim/core/errors.hpp"
#include "sim/run/training_run.hpp"

namespace ddpsim {

LoaderStartup loader_startup(const Scenario& s) {
  LoaderStartup st;
  const auto& nc = s.node_cal;
  if (static_cast<int>(s.wl.p(kStartMethod)) == 0) {  // fork: page tables of the parent are copied
    st.launch_s = nc[kForkBase] + nc[kForkPerGb] * s.wl.p(kParentRss) / 1e9;
    st.init_s = nc[kWorkerInit];
  } else {  // spawn: a fresh interpreter per worker imports torch and unpickles the dataset
    st.launch_s = nc[kForkBase];
    st.init_s = nc[kSpawnInit];
  }
  int w = static_cast<int>(s.wl.p(kWorkers));
  st.last_worker_up_s = w * st.launch_s + st.init_s;
  return st;
}

DataPipelineParams DataPipelineParams::from_scenario(const Scenario& s) {
  const auto& hw = s.hw;
  const auto& nc = s.node_cal;
  const auto& wc = s.wl_cal;
  DataPipelineParams p;
  p.ranks = s.gpus;
  p.gpus_per_node = s.gpus_per_node;
  p.nodes = s.nodes;
  p.simulated_nodes = s.nodes;
  p.workers = static_cast<int>(s.wl.p(kWorkers));
  p.prefetch = static_cast<int>(s.wl.p(kPrefetch));
  p.pin_memory = s.wl.p(kPinMemory) != 0.0;
  p.persistent_workers = s.wl.p(kPersistentWorkers) != 0.0;
  p.bytes_per_sample = s.wl.bytes_per_sample(s.phase);
  p.device_bytes_per_sample = s.wl.p(kDeviceBytes) + s.wl.p(kTargetBytes) * s.phase.rollout_steps();  // input tensor + targets
  p.decode_per_sample_s = wc[kDecodePerSample];
  p.read_cpu_bps = wc[kReadCpuBw];
  p.loader_jitter_cv = wc[kLoaderJitterCv];
  p.memcpy_bps = hw.p(kCpuMemcpyBw);
  p.sockets_per_node = static_cast<int>(hw.p(kSockets));
  p.cores_per_node = static_cast<int>(hw.p(kCpuCores)) * p.sockets_per_node;
  p.shared_fs = s.wl.storage() == Storage::SharedFs;
  p.fs_aggregate_bps = nc[kFsAggregateBw];
  p.fs_stream_bps = nc[kFsStreamBw];
  p.local_read_bps = hw.p(kLocalReadBw);
  LoaderStartup st = loader_startup(s);
  p.worker_launch_s = st.launch_s;
  p.worker_init_s = st.init_s;
  p.lbs = s.lbs;
  p.train_samples = s.train_samples;
  p.val_samples = s.val_samples;
  p.train_eval_pass = s.wl.p(kTrainEvalPass) != 0.0;
  return p;
}

std::vector<PassPlan> plan_passes(const DataPipelineParams& p) {
  std::vector<PassPlan> passes;
  passes.push_back({PassKind::Train, split_pass(p.train_samples, p.ranks, p.lbs)});
  if (p.train_eval_pass) passes.push_back({PassKind::TrainEval, split_pass(p.train_samples, p.ranks, p.lbs)});
  if (p.val_samples > 0) passes.push_back({PassKind::Validation, split_pass(p.val_samples, p.ranks, p.lbs)});
  return passes;
}

std::vector<Tick> worker_up_ticks(const DataPipelineParams& p) {
  // The main process starts the workers one after another; each then initialises in parallel
  // with the others.
  std::vector<Tick> up;
  for (int k = 0; k < p.workers; ++k) up.push_back(seconds_to_ticks((k + 1) * p.worker_launch_s + p.worker_init_s));
  return up;
}

DataPipeline::DataPipeline(const DataPipelineParams& p, std::uint64_t seed, Engine& engine, LoaderHost* host, CpuSockets& sockets)
    : p_(p), eng_(&engine), sockets_(&sockets), worker_up_(worker_up_ticks(p)), passes_(plan_passes(p)) {
  if (p.simulated_nodes < 1 || p.simulated_nodes > p.nodes || !(p.node_multiplicity >= 1)) throw ModelError("internal: bad rank classes");
  const int simulated = p.simulated_ranks();
  ranks_.resize(static_cast<std::size_t>(simulated));
  for (int r = 0; r < simulated; ++r) {
    Rank& rk = ranks_[static_cast<std::size_t>(r)];
    rk.node = r / p.gpus_per_node;
    rk.socket = sockets.socket_of_rank(r);
    rk.loader = DataLoader(r, p.workers, p.prefetch, host, p.pin_memory);
    rk.rng = Rng(seed, (1ull << 32) + static_cast<std::uint64_t>(r));
    rk.worker_samples.assign(static_cast<std::size_t>(p.workers), 0);
  }
  if (p.shared_fs) {
    fs_ = std::make_unique<BandwidthActor>(engine, *this, p.fs_aggregate_bps, p.fs_stream_bps);
    fs_->model().set_flow_multiplicity(p.node_multiplicity);
  } else {
    for (int n = 0; n < p.simulated_nodes; ++n) nvme_.push_back(std::make_unique<BandwidthActor>(engine, *this, p.local_read_bps, p.local_read_bps));
  }
}

void DataPipeline::start_batch(int rank, int worker, long long samples) {
  Rank& rk = ranks_[static_cast<std::size_t>(rank)];
  rk.worker_samples[static_cast<std::size_t>(worker)] = samples;
  double bytes = static_cast<double>(samples) * p_.bytes_per_sample;
  std::uint64_t tag = (static_cast<std::uint64_t>(rank) << 20) | static_cast<std::uint64_t>(worker);
  if (bytes <= 0) {
    start_decode(rank, worker);
  } else if (fs_) {
    fs_->start(bytes, tag);
  } else {
    nvme_[static_cast<std::size_t>(rk.node)]->start(bytes, tag);
  }
}

void DataPipeline::on_flow_done(std::uint64_t tag) { start_decode(static_cast<int>(tag >> 20), static_cast<int>(tag & 0xFFFFF)); }

double DataPipeline::decode_s(long long samples, int busy_cores) const {
  double n = static_cast<double>(samples);
  // Workers compete for the node's cores: beyond one thread per core everything slows down.
  double contention = std::max(1.0, static_cast<double>(busy_cores + 1) / p_.cores_per_node);
  return n * (p_.decode_per_sample_s + p_.bytes_per_sample / p_.read_cpu_bps) * contention;
}

void DataPipeline::start_decode(int rank, int worker) {
  Rank& rk = ranks_[static_cast<std::size_t>(rank)];
  double cpu_s = decode_s(rk.worker_samples[static_cast<std::size_t>(worker)], sockets_->node_busy(rk.node)) * rk.rng.jitter(p_.loader_jitter_cv);
  sockets_->set_busy(rk.socket, +1, eng_->now());
  eng_->schedule_in(seconds_to_ticks(cpu_s), this, kDecodeDone, static_cast<std::uint32_t>(rank), static_cast<std::uint32_t>(worker),
                    Priority::kResource);
}

void DataPipeline::start_pin(int rank, long long samples) {
  double s = static_cast<double>(samples) * p_.device_bytes_per_sample / p_.memcpy_bps;
  eng_->schedule_in(seconds_to_ticks(s), this, kPinDone, static_cast<std::uint32_t>(rank), 0, Priority::kResource);
}

void DataPipeline::begin_pass(Tick now) {
  const PassPlan& p = pass();
  pass_start_ = now;
  for (auto& rk : ranks_) rk.loader.begin_pass(p.split.batches, p_.lbs, p.split.last_batch_size);
}

void DataPipeline::workers_started(std::uint32_t worker) {
  for (auto& rk : ranks_) {
    if (worker == kAllWorkers) {
      rk.loader.workers_started();
    } else {
      rk.loader.worker_started(static_cast<int>(worker));
    }
  }
}

void DataPipeline::first_batch_consumed(Tick now) {
  auto kind = static_cast<std::size_t>(pass().kind);
  first_wait_sum_s_[kind] += ticks_to_seconds(now - pass_start_);
  ++first_wait_n_[kind];
}

bool DataPipeline::end_pass(Tick now) {
  auto kind = static_cast<std::size_t>(pass().kind);
  pass_time_sum_s_[kind] += ticks_to_seconds(now - pass_start_);
  ++pass_n_[kind];
  if (++pass_idx_ < passes_.size()) return false;
  pass_idx_ = 0;
  return true;
}

double DataPipeline::mean_first_batch_wait_s(PassKind k) const {
  auto i = static_cast<std::size_t>(k);
  return first_wait_n_[i] ? first_wait_sum_s_[i] / static_cast<double>(first_wait_n_[i]) : 0;
}

double DataPipeline::mean_pass_s(PassKind k) const {
  auto i = static_cast<std::size_t>(k);
  return pass_n_[i] ? pass_time_sum_s_[i] / static_cast<double>(pass_n_[i]) : 0;
}

void DataPipeline::on_event(Engine& engine, const Event& e) {
  Rank& rk = ranks_[static_cast<std::size_t>(e.a())];
  switch (e.kind()) {
    case kDecodeDone:
      sockets_->set_busy(rk.socket, -1, engine.now());
      rk.loader.batch_built(static_cast<int>(e.b));
      break;
    case kPinDone:
      rk.loader.pin_done();
      break;
    default:
      throw ModelError("internal: unknown data-pipeline event kind");
  }
}

}  // namespace ddpsim
