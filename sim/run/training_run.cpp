#include "sim/run/training_run.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "sim/core/engine.hpp"
#include "sim/core/errors.hpp"
#include "sim/core/limits.hpp"
#include "sim/core/rng.hpp"
#include "sim/run/compute_model.hpp"
#include "sim/run/data_pipeline.hpp"
#include "sim/run/ddp_comm.hpp"
#include "sim/run/gpu_power.hpp"
#include "sim/run/rank_classes.hpp"
#include "workloads/dataloader.hpp"

namespace ddpsim {

// ----------------------------------------------------------------------------------------------
// Scenario resolution
// ----------------------------------------------------------------------------------------------

std::vector<std::string> overridable_parameters() {
  std::vector<std::string> out;
  for (const ParamTable* t : {&hardware_param_table(), &workload_param_table(), &node_calibration_table(),
                              &workload_calibration_table(), &large_batch_table()}) {
    for (const auto& s : t->specs()) out.emplace_back(s.name);
  }
  for (const auto& s : site_param_table().specs()) out.emplace_back(s.name);
  for (const auto& t : site_text_params()) out.emplace_back(t.name);
  return out;
}

void parse_target(const std::string& text, RunConfig& config) {
  auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size()) {
    throw InputError("--target expects METRIC=VALUE, e.g. top1=0.72 (got " + quote_user(text) + "; 'ddpsim list workloads' names each metric)");
  }
  std::string value = text.substr(eq + 1);
  const std::optional<double> v = parse_plain_number(value);
  if (!v) throw InputError("--target: " + quote_user(value) + " is not a number");
  config.target_metric = text.substr(0, eq);
  config.target_value = *v;
}

Scenario resolve_scenario(const RunConfig& config) {
  Calibration cal = load_calibration(config.calibration.empty() ? default_calibration_path() : config.calibration);
  return resolve_scenario(config, cal);
}

Scenario resolve_scenario(const RunConfig& cfg, const Calibration& cal) {
  return resolve_scenario(cfg, cal, load_workload(cfg.workload), load_hardware(cfg.hardware));
}

namespace {

// --set name=value: each name goes to the one parameter set that declares it (site.* to the site).
void apply_overrides(Scenario& s, const RunConfig& cfg) {
  s.site = resolve_site(cfg.overrides);
  for (const auto& [name, value] : cfg.overrides) {
    if (is_site_param(name)) continue;
    bool done = false;
    for (ParamSet* set : {&s.hw.params, &s.wl.params, &s.node_cal, &s.wl_cal, &s.large_batch}) {
      if (set->table().find(name) >= 0) {
        set->set_text(name, value, "--set");
        done = true;
        break;
      }
    }
    if (!done) throw InputError("--set: unknown parameter '" + name + "'" + did_you_mean(name, overridable_parameters()) + " (see 'ddpsim list params')");
  }
  if (s.hw.p(kGpuPowerLimit) > s.hw.p(kGpuTdp)) throw InputError("gpu.power_limit is above gpu.tdp (" + s.hw.params.format(kGpuTdp) + ")");
  if (s.hw.p(kGpuIdlePower) >= s.hw.p(kGpuPowerLimit)) throw InputError("gpu.idle_power must be below gpu.power_limit");
}

// GPUs, nodes (a job beyond one node takes whole nodes), and LBS / GBS (two of n, LBS, GBS with
// GBS = n x LBS; the LBS must fit in GPU memory).
void resolve_batch(Scenario& s, const RunConfig& cfg) {
  if (cfg.gpus <= 0) throw InputError("--gpus must be a positive integer (got " + std::to_string(cfg.gpus) + ")");
  if (cfg.gpus > 1 << 20) throw InputError("--gpus " + std::to_string(cfg.gpus) + " is above the supported 1048576");
  s.gpus = cfg.gpus;
  s.gpus_per_node = s.hw.gpus_per_node();
  if (s.gpus > s.gpus_per_node && s.gpus % s.gpus_per_node != 0) {
    throw InputError("--gpus " + std::to_string(s.gpus) + " does not fill whole nodes of " + std::to_string(s.gpus_per_node) + " GPUs (" +
                     s.hw.name + "); a job beyond one node takes whole nodes");
  }
  s.nodes = (s.gpus + s.gpus_per_node - 1) / s.gpus_per_node;

  long long lbs = cfg.lbs, gbs = cfg.gbs;
  if (lbs < 0) throw InputError("--lbs must be a positive integer");
  if (gbs < 0) throw InputError("--gbs must be a positive integer");
  if (lbs == 0 && gbs == 0) throw InputError("give --lbs or --gbs (GBS = gpus x LBS)");
  if (lbs == 0) {
    if (gbs % s.gpus != 0) {
      throw InputError("--gbs " + std::to_string(gbs) + " is not divisible by --gpus " + std::to_string(s.gpus) + " (GBS must equal gpus x LBS)");
    }
    lbs = gbs / s.gpus;
  } else if (gbs == 0) {
    gbs = lbs * s.gpus;
  } else if (gbs != lbs * s.gpus) {
    throw InputError("GBS must equal gpus x LBS: --gbs " + std::to_string(gbs) + " is not --gpus x --lbs = " + std::to_string(s.gpus) + " x " +
                     std::to_string(lbs) + " = " + std::to_string(lbs * s.gpus));
  }
  s.max_lbs = s.wl.max_lbs(s.hw.p(kGpuMemory), s.phase);
  if (lbs > s.max_lbs) {
    throw InputError("LBS " + std::to_string(lbs) + " does not fit: " + s.wl.name + " (" + s.phase.name + ") on " + s.hw.name +
                     " (" + s.hw.params.format(kGpuMemory) + " GPU memory) allows at most LBS " + std::to_string(s.max_lbs));
  }
  s.lbs = lbs;
  s.gbs = gbs;
}

// --target METRIC=VALUE: the epochs the large-batch model says the GBS needs (or why it cannot).
void resolve_target(Scenario& s, const RunConfig& cfg, const Calibration& cal) {
  if (cfg.epochs != 0) throw InputError("give --epochs or --target, not both: --target sets the epochs");
  const TargetMetric& tm = s.wl.target;
  if (tm.name.empty()) {
    throw InputError("--target: workload " + s.wl.name + " (" + s.wl.file + ") declares no target_metric {name, better, bound}");
  }
  if (cfg.target_metric != tm.name) {
    throw InputError("--target: workload " + s.wl.name + " is judged by " + quote_user(tm.name) + ", not " + quote_user(cfg.target_metric) +
                     " (give --target " + tm.name + "=VALUE)");
  }
  std::string missing;
  for (LargeBatchParam p : {kLbBNoise, kLbEMin, kLbTargetRef}) {
    if (!s.large_batch.is_set(p)) missing += (missing.empty() ? "" : ", ") + std::string(large_batch_table().spec(p).name);
  }
  if (!missing.empty()) {
    throw InputError("--target: no large-batch fit for workload " + s.wl.name + " phase " + s.phase.name + ": the calibration (" +
                     (cal.file.empty() ? std::string("built-in defaults") : cal.file) + ") lacks " + missing +
                     " (section large_batch." + s.wl.name + "." + s.phase.name + ", or --set them)");
  }
  TargetPlan plan = plan_target(s.large_batch, tm, cfg.target_value, s.gbs, s.phase.epochs());
  if (!plan.reachable) throw InputError("--target: " + plan.why);
  s.epochs = plan.epochs;
  s.has_target = true;
  s.target.metric = tm.name;
  s.target.value = cfg.target_value;
  s.target.epochs_model = plan.epochs_model;
  s.target.small_batch_epochs = small_batch_epochs(s.large_batch, tm, cfg.target_value);
  s.target.b_noise = s.large_batch[kLbBNoise];
  s.target.max_epochs = plan.max_epochs;
}

// Dataset sizes (weak scaling: the training set scaled with n, the validation set keeps its
// share) and steps per epoch.
void resolve_dataset(Scenario& s, const RunConfig& cfg) {
  if (cfg.samples_per_gpu < 0) throw InputError("--samples-per-gpu must be a positive integer");
  auto full_train = static_cast<long long>(s.wl.p(kTrainSamples));
  auto full_val = static_cast<long long>(s.wl.p(kValSamples));
  if (cfg.samples_per_gpu > 0) {
    s.train_samples = cfg.samples_per_gpu * s.gpus;
    s.val_samples = static_cast<long long>(std::llround(static_cast<double>(full_val) * static_cast<double>(s.train_samples) / static_cast<double>(full_train)));
  } else {
    s.train_samples = full_train;
    s.val_samples = full_val;
  }
  s.steps_per_epoch = split_pass(s.train_samples, s.gpus, s.lbs).batches;
}

}  // namespace

Scenario resolve_scenario(const RunConfig& cfg, const Calibration& cal, const WorkloadSpec& workload, const HardwareSpec& hardware) {
  Scenario s;
  s.config = cfg;
  s.wl = workload;
  s.hw = hardware;
  s.phase = s.wl.phase(cfg.phase);
  s.config.phase = s.phase.name;
  {
    CalibrationLookup look = lookup_calibration(cal, s.wl, s.hw);
    s.node_cal = std::move(look.node_cal);
    s.wl_cal = std::move(look.wl_cal);
    s.node_source = std::move(look.node);
    s.workload_source = std::move(look.workload);
    s.calibration_warnings = std::move(look.warnings);
  }
  s.calibration_file = cal.file;
  s.calibration_id = cal.id;
  if (const ParamSet* lb = cal.large_batch(s.wl.name, s.phase.name)) s.large_batch = *lb;
  apply_overrides(s, cfg);
  resolve_batch(s, cfg);
  if (cfg.epochs < 0) throw InputError("--epochs must be a positive integer");
  s.epochs = cfg.epochs == 0 ? s.phase.epochs() : cfg.epochs;
  if (!cfg.target_metric.empty()) resolve_target(s, cfg, cal);
  resolve_dataset(s, cfg);
  if (cfg.rank_classes && s.wl_cal[kLoaderJitterCv] > 0) {
    throw InputError("--rank-classes needs loader.jitter_cv = 0 (it is " + s.wl_cal.format(kLoaderJitterCv) +
                     "): per-batch loader variability makes ranks differ in their data stalls, which one simulated node cannot stand for; drop --rank-classes");
  }
  if (cfg.repeats <= 0) throw InputError("--repeats must be a positive integer");
  if (cfg.fast_forward_epochs < 0) throw InputError("--fast-forward must be a positive number of epochs");
  return s;
}

// ----------------------------------------------------------------------------------------------
// The simulation
// ----------------------------------------------------------------------------------------------

namespace {

// The orchestrator: wires the components (data pipeline, compute, DDP communication, power) to
// the engine and moves every rank through its passes. It is the loaders' host (reads, decodes
// and pin copies go to the data pipeline; a ready batch wakes its rank), books every GPU's
// power in the energy ledger and handles the step and pass events below.
class TrainingRun final : public EventHandler, public LoaderHost {
 public:
  TrainingRun(const Scenario& s, std::uint64_t seed, PowerObserver* observer)
      : TrainingRun(s, seed, observer, PowerParams::from_scenario(s)) {}
  RunResult run();

  void on_event(Engine& engine, const Event& e) override;
  void loader_start_batch(int rank, int worker, long long /*batch*/, long long samples) override {
    pipeline_.start_batch(rank, worker, samples);
  }
  void loader_batch_ready(int rank, long long batch) override {
    if (ranks_[static_cast<std::size_t>(rank)].waiting && batch == pipeline_.loader(rank).next_to_consume()) rank_next(rank);
  }
  void loader_start_pin(int rank, long long /*batch*/, long long samples) override { pipeline_.start_pin(rank, samples); }

 private:
  enum EventKind : std::uint32_t {
    kWorkersStarted = 1,  // b = worker (or kAllWorkers): the pass's dataloader workers are up
    kComputeDone,         // a = rank: forward+backward finished
    kCollectiveDone,      // the step's last gradient bucket is reduced (scheduled by DdpComm)
    kOptimizerDone,       // every rank finished its optimizer step
    kEvalDone,            // a = rank: forward-only batch finished
    kBarrierDone,         // end-of-pass barrier finished
  };
  struct Rank {
    int gpu_dev = -1;
    Rng rng{0, 0};  // compute jitter
    bool waiting = false;
    EvalStreak streak;  // rank classes: its back-to-back evaluation batches
  };

  TrainingRun(const Scenario& s, std::uint64_t seed, PowerObserver* observer, const PowerParams& power);
  void start_pass();
  void rank_next(int r);
  void begin_train_step(int r, long long samples);
  void begin_eval_batch(int r, long long samples);
  void arrive_barrier(int r);

  const Scenario& s_;
  int R_ = 1;  // ranks of the job
  RankClassPlan classes_;
  int sim_nodes_ = 1;         // nodes simulated (rank classes: one, standing for every node)
  int sim_R_ = 1;             // ranks simulated
  long long class_size_ = 1;  // ranks (and nodes) each simulated one stands for
  Engine eng_;
  EnergyLedger ledger_;
  GpuPower gpu_;
  CpuSockets sockets_;
  ComputeModel compute_;
  DdpComm comm_;
  DataPipeline pipeline_;
  std::vector<Rank> ranks_;
  double optimizer_power_w_ = 0;  // GPU power during the optimizer step (full-LBS compute power)

  // Progress.
  int epoch_ = 0;
  int arrived_ = 0;
  Tick barrier_ready_ = 0;  // when the last rank (of every class) reaches the end-of-pass barrier
  long long steps_ = 0, samples_trained_ = 0;
  bool finished_ = false;
};

// Rank classes: the data pipeline simulates one node's loaders, the communication waits for
// one node's ranks each step.
DataPipelineParams pipeline_params(const Scenario& s, const RankClassPlan& rc) {
  DataPipelineParams p = DataPipelineParams::from_scenario(s);
  p.simulated_nodes = rc.simulated_nodes;
  p.node_multiplicity = static_cast<double>(rc.class_size);
  return p;
}

DdpCommParams comm_params(const Scenario& s, const RankClassPlan& rc) {
  DdpCommParams p = DdpCommParams::from_scenario(s);
  if (rc.on) p.contributors = rc.simulated_ranks;
  return p;
}

TrainingRun::TrainingRun(const Scenario& s, std::uint64_t seed, PowerObserver* observer, const PowerParams& power)
    : s_(s),
      R_(s.gpus),
      classes_(RankClassPlan::from_scenario(s)),
      sim_nodes_(classes_.simulated_nodes),
      sim_R_(classes_.simulated_ranks),
      class_size_(classes_.class_size),
      ledger_(observer),
      gpu_(power),
      sockets_(power, sim_nodes_),
      compute_(ComputeParams::from_scenario(s), gpu_),
      comm_(comm_params(s, classes_), eng_, this, kCollectiveDone),
      pipeline_(pipeline_params(s, classes_), seed, eng_, this, sockets_) {
  optimizer_power_w_ = gpu_.optimizer_power_w(static_cast<double>(s.lbs));

  // Devices: every GPU, every socket of every node touched (whole-socket charging), RAM. With
  // rank classes, those of one node, each standing for class_size_ identical devices.
  const auto weight = static_cast<double>(class_size_);
  ranks_.resize(static_cast<std::size_t>(sim_R_));
  for (int r = 0; r < sim_R_; ++r) {
    Rank& rk = ranks_[static_cast<std::size_t>(r)];
    int node = r / s.gpus_per_node;
    rk.gpu_dev = ledger_.add_device(Component::Gpu, gpu_.idle_power_w(), Phase::Idle,
                                    ledger_.observer() ? ledger_.observer()->probes_node(node) : node == 0, weight);
    rk.rng = Rng(seed, static_cast<std::uint64_t>(r));
  }
  sockets_.add_devices(ledger_, weight);
  // Each rank's training process keeps one core busy (it spins on CUDA synchronisation).
  for (int r = 0; r < sim_R_; ++r) sockets_.set_busy(pipeline_.socket(r), +1, eng_.now());
  if (power.ram_metered) {
    for (int n = 0; n < sim_nodes_; ++n) ledger_.add_device(Component::Ram, power.ram_power_w, Phase::Idle, false, weight);
  }
  int workers = static_cast<int>(s.wl.p(kWorkers));
  eng_.reserve(static_cast<std::size_t>(sim_R_) * static_cast<std::size_t>(workers + 4) + 64);
}

RunResult TrainingRun::run() {
  start_pass();
  eng_.run();
  if (!finished_) throw ModelError("internal: simulation ended before the training finished (deadlock)");
  Tick end = eng_.now();
  ledger_.finish(end);

  RunResult res;
  res.runtime_s = ticks_to_seconds(end);
  res.gpu_hours = res.runtime_s * R_ / 3600.0;
  for (int c = 0; c < kComponents; ++c) {
    res.energy_j[c] = ledger_.energy_j(static_cast<Component>(c));
    res.observed_energy_j[c] = ledger_.observed_energy_j(static_cast<Component>(c));
  }
  res.energy_total_j = res.energy_j[0] + res.energy_j[1] + res.energy_j[2];
  for (int p = 0; p < kPhases; ++p) {
    res.phase_time_s[p] = ledger_.phase_time_s(Component::Gpu, static_cast<Phase>(p));
    res.phase_energy_j[p] = ledger_.phase_energy_j(Component::Gpu, static_cast<Phase>(p));
  }
  res.cpu_sockets = static_cast<int>(sockets_.count() * class_size_);
  res.mean_gpu_power_w = res.runtime_s > 0 ? res.energy_j[0] / (res.runtime_s * R_) : 0;
  res.mean_cpu_socket_power_w = res.runtime_s > 0 ? res.energy_j[1] / (res.runtime_s * res.cpu_sockets) : 0;
  res.steps = steps_;
  res.samples_trained = samples_trained_;
  res.events = eng_.events_processed();
  for (int k = 0; k < 3; ++k) {
    res.pass_first_batch_wait_s[k] = pipeline_.mean_first_batch_wait_s(static_cast<PassKind>(k));
    res.pass_duration_s[k] = pipeline_.mean_pass_s(static_cast<PassKind>(k));
  }
  res.worker_startup_s = pipeline_.worker_startup_s();
  res.simulated_ranks = sim_R_;
  res.rank_class_size = class_size_;
  return res;
}

void TrainingRun::start_pass() {
  pipeline_.begin_pass(eng_.now());
  for (auto& rk : ranks_) {
    rk.waiting = true;
    ledger_.set(rk.gpu_dev, eng_.now(), gpu_.idle_power_w(), Phase::Stall);
  }
  arrived_ = 0;
  barrier_ready_ = 0;
  if (!pipeline_.fresh_workers(epoch_)) {
    eng_.schedule_in(0, this, kWorkersStarted, 0, kAllWorkers);
  } else {
    const std::vector<Tick>& up = pipeline_.worker_up();
    for (std::size_t k = 0; k < up.size(); ++k) eng_.schedule_in(up[k], this, kWorkersStarted, 0, static_cast<std::uint32_t>(k));
  }
}

void TrainingRun::rank_next(int r) {
  Rank& rk = ranks_[static_cast<std::size_t>(r)];
  DataLoader& dl = pipeline_.loader(r);
  long long i = dl.next_to_consume();
  if (i >= dl.batches()) {
    arrive_barrier(r);
    return;
  }
  if (!dl.ready(i)) {
    if (!rk.waiting) {
      rk.waiting = true;
      ledger_.set(rk.gpu_dev, eng_.now(), gpu_.idle_power_w(), Phase::Stall);
    }
    return;
  }
  if (rk.waiting) rk.streak.restart();  // it waited: its finish time restarts from this batch
  rk.waiting = false;
  long long samples = pipeline_.batch_samples(i);
  dl.consume(i);
  if (i == 0) pipeline_.first_batch_consumed(eng_.now());
  if (pipeline_.pass().kind == PassKind::Train) {
    begin_train_step(r, samples);
  } else {
    begin_eval_batch(r, samples);
  }
}

void TrainingRun::begin_train_step(int r, long long samples) {
  Rank& rk = ranks_[static_cast<std::size_t>(r)];
  BatchCost cost = compute_.train_cost(samples, rk.rng);
  Tick t0 = eng_.now();
  Tick start = t0 + seconds_to_ticks(cost.h2d_s);
  Tick done = start + seconds_to_ticks(cost.gpu_s);
  ledger_.set(rk.gpu_dev, t0, cost.power_w, Phase::Compute);
  eng_.schedule_at(done, this, kComputeDone, static_cast<std::uint32_t>(r), 0, Priority::kCompute);
  samples_trained_ += samples * class_size_;
  // The backward pass fills the gradient buckets; the last rank to start it launches the
  // allreduces. With rank classes the class's slowest rank sets when its buckets are ready.
  StepSplit split = compute_.split(step_straggler_gpu_s(classes_, cost.gpu_s, cost.jitter, rk.rng));
  comm_.rank_backward(start, split.forward_s, split.backward_s);
}

void TrainingRun::begin_eval_batch(int r, long long samples) {
  Rank& rk = ranks_[static_cast<std::size_t>(r)];
  BatchCost cost = compute_.eval_cost(samples, rk.rng);
  if (classes_.on) rk.streak.add(cost.gpu_s / cost.jitter, cost.gpu_s);
  EvalBatch batch = compute_.eval_batch(cost, samples);
  ledger_.set(rk.gpu_dev, eng_.now(), batch.power_w, Phase::Compute);
  eng_.schedule_in(seconds_to_ticks(batch.total_s), this, kEvalDone, static_cast<std::uint32_t>(r), 0, Priority::kCompute);
}

void TrainingRun::arrive_barrier(int r) {
  Rank& rk = ranks_[static_cast<std::size_t>(r)];
  ledger_.set(rk.gpu_dev, eng_.now(), gpu_.idle_power_w(), Phase::Idle);
  Tick ready = eng_.now();
  // Rank classes: the class's slowest member of an evaluation pass arrives later (rank_classes.hpp).
  if (pipeline_.pass().kind != PassKind::Train) ready += seconds_to_ticks(rk.streak.straggler_delay_s(classes_, rk.rng));
  barrier_ready_ = std::max(barrier_ready_, ready);
  if (++arrived_ == sim_R_) eng_.schedule_at(barrier_ready_ + seconds_to_ticks(comm_.barrier_s()), this, kBarrierDone, 0, 0, Priority::kCollective);
}

void TrainingRun::on_event(Engine& engine, const Event& e) {
  switch (e.kind()) {
    case kWorkersStarted:
      pipeline_.workers_started(e.b);
      for (int r = 0; r < sim_R_; ++r) {
        if (ranks_[static_cast<std::size_t>(r)].waiting) rank_next(r);
      }
      break;
    case kComputeDone: {
      const Rank& rk = ranks_[static_cast<std::size_t>(e.a())];
      ledger_.set(rk.gpu_dev, engine.now(), gpu_.comm_power_w(), Phase::Communication);
      break;
    }
    case kCollectiveDone: {
      double power = optimizer_power_w_;
      for (const auto& rk : ranks_) ledger_.set(rk.gpu_dev, engine.now(), power, Phase::Compute);
      engine.schedule_in(seconds_to_ticks(compute_.optimizer_s()), this, kOptimizerDone, 0, 0, Priority::kCompute);
      break;
    }
    case kOptimizerDone:
      ++steps_;
      for (int r = 0; r < sim_R_; ++r) rank_next(r);
      break;
    case kEvalDone:
      rank_next(static_cast<int>(e.a()));
      break;
    case kBarrierDone:
      if (pipeline_.end_pass(engine.now()) && ++epoch_ == s_.epochs) {
        finished_ = true;
        engine.stop();
        return;
      }
      start_pass();
      break;
    default:
      throw ModelError("internal: unknown event kind");
  }
}

}  // namespace


RunResult simulate(const Scenario& scenario, std::uint64_t seed, PowerObserver* observer) {
  int k = scenario.config.fast_forward_epochs;
  if (k <= 0 || k >= scenario.epochs) {
    TrainingRun run(scenario, seed, observer);
    RunResult r = run.run();
    r.seed = seed;
    r.simulated_epochs = scenario.epochs;
    return r;
  }
  Scenario part = scenario;
  part.epochs = k;
  TrainingRun run(part, seed, observer);
  RunResult r = run.run();
  const double f = static_cast<double>(scenario.epochs) / k;
  r.runtime_s *= f;
  r.gpu_hours *= f;
  for (int c = 0; c < kComponents; ++c) {
    r.energy_j[c] *= f;
    r.observed_energy_j[c] *= f;
  }
  r.energy_total_j *= f;
  for (int p = 0; p < kPhases; ++p) {
    r.phase_time_s[p] *= f;
    r.phase_energy_j[p] *= f;
  }
  r.steps = r.steps / k * scenario.epochs;  // every epoch has the same number of steps
  r.samples_trained = r.samples_trained / k * scenario.epochs;
  r.seed = seed;
  r.simulated_epochs = k;
  return r;
}

}  // namespace ddpsim

