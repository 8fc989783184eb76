#pragma once
// The training-run model: one data-parallel training run simulated event by event.
//
// Per rank: a PyTorch-style dataloader (workers reading through node-local NVMe or the shared
// file system, decoding on the node's CPU cores, a bounded prefetch queue), host-to-device copy,
// forward/backward compute with seeded jitter, DDP gradient buckets whose allreduce overlaps the
// backward pass and completes only when every rank has contributed, the optimizer step. Each
// epoch: the training pass, optionally an extra forward pass over the training set, and the
// validation pass, each with freshly started workers and a barrier at its end.
//
// Each mechanism is a component with its own parameters (filled by from_scenario): the data
// pipeline (sim/run/data_pipeline.hpp), compute (compute_model.hpp), DDP communication
// (ddp_comm.hpp) and power (gpu_power.hpp); training_run.cpp wires them to the engine.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "hwmodels/hardware.hpp"
#include "sim/provenance/calibration_file.hpp"
#include "sim/run/energy.hpp"
#include "sim/provenance/calibration_lookup.hpp"
#include "sim/run/large_batch.hpp"
#include "sim/output/site.hpp"
#include "workloads/workload.hpp"

namespace ddpsim {

struct RunConfig {
  std::string workload = "resnet50";
  std::string phase;  // "" = the workload's default phase
  std::string hardware = "a100";
  int gpus = 1;
  long long lbs = 0;  // 0 = derive from gbs
  long long gbs = 0;  // 0 = derive from lbs
  int epochs = 0;     // 0 = the phase's default
  long long samples_per_gpu = 0;  // 0 = the full data set; otherwise scaled with n
  std::uint64_t seed = 1;
  int repeats = 1;
  std::string calibration;  // "" = shipped default
  std::vector<std::pair<std::string, std::string>> overrides;  // --set name=value
  /// Steady-state fast-forward: simulate this many epochs and extrapolate the rest (0 = off).
  /// Every epoch starts from the same state (barrier, fresh workers, empty queues), so epochs
  /// are statistically identical; the extrapolation error is the epoch-to-epoch jitter noise.
  int fast_forward_epochs = 0;
  /// --target METRIC=VALUE: train the epochs the large-batch model says reach VALUE at this GBS
  /// (sim/large_batch.hpp); "" = no target (epochs as given).
  std::string target_metric;
  double target_value = 0;
  /// Outputs only: a sweep point's prediction-interval level (0 < level < 1; 0 = none), stored
  /// with its result (sim/uncertainty/interval.hpp).
  double interval_level = 0;
  /// Rank classes (--rank-classes): simulate one node whose ranks each stand for the same local
  /// rank of every node (nodes are identical by symmetry), with each step's stragglers drawn
  /// from the order statistics of the per-rank compute jitter. Exact without jitter.
  bool rank_classes = false;
};

/// Parses "METRIC=VALUE" into the config (InputError naming the form).
void parse_target(const std::string& text, RunConfig& config);

/// What a --target run aims at and what the model says it takes.
struct TargetSpec {
  std::string metric;
  double value = 0;
  double epochs_model = 0;  // E(GBS), fractional
  double small_batch_epochs = 0;  // E_min(value)
  double b_noise = 0;
  double max_epochs = 0;
};

/// Everything a simulation needs, resolved and validated.
struct Scenario {
  RunConfig config;
  HardwareSpec hw;
  WorkloadSpec wl;
  PhaseSpec phase;
  ParamSet node_cal{node_calibration_table()};
  ParamSet wl_cal{workload_calibration_table()};
  SiteSpec site;  // PUE, carbon intensity, prices (site.* overrides)
  std::string calibration_file, calibration_id;
  CalibrationSource node_source, workload_source;  // where node_cal and wl_cal come from
  std::vector<std::string> calibration_warnings;   // one line each: transfers and defaults
  int gpus = 1, gpus_per_node = 4, nodes = 1;
  long long lbs = 1, gbs = 1, max_lbs = 0;
  int epochs = 1;
  long long train_samples = 0, val_samples = 0;
  long long steps_per_epoch = 0;
  ParamSet large_batch{large_batch_table()};  // the calibration's fit for (workload, phase), after --set
  bool has_target = false;
  TargetSpec target;
};

/// Resolves and validates a configuration (InputError on bad input, naming the bound).
Scenario resolve_scenario(const RunConfig& config);
Scenario resolve_scenario(const RunConfig& config, const Calibration& calibration);
/// The same with the workload and hardware already loaded (config.workload / config.hardware
/// are not looked up again): for callers that resolve one configuration many times.
Scenario resolve_scenario(const RunConfig& config, const Calibration& calibration, const WorkloadSpec& workload, const HardwareSpec& hardware);

struct RunResult {
  std::uint64_t seed = 0;
  double runtime_s = 0;
  double gpu_hours = 0;
  double energy_j[kComponents] = {0, 0, 0};
  double energy_total_j = 0;
  double observed_energy_j[kComponents] = {0, 0, 0};  // integral of component power (cross-check)
  double phase_time_s[kPhases] = {0, 0, 0, 0};        // GPU device-seconds per phase
  double phase_energy_j[kPhases] = {0, 0, 0, 0};      // GPU energy per phase
  double mean_gpu_power_w = 0;
  double mean_cpu_socket_power_w = 0;
  long long steps = 0;
  long long samples_trained = 0;
  std::uint64_t events = 0;
  int cpu_sockets = 0;
  int simulated_epochs = 0;  // < epochs when fast-forwarded
  // Per pass kind (0 train, 1 extra eval pass over the training set, 2 validation), means over
  // the simulated passes (0 where the run has no such pass):
  double pass_first_batch_wait_s[3] = {0, 0, 0};  // pass start -> first batch consumed (mean over ranks)
  double pass_duration_s[3] = {0, 0, 0};          // pass start -> end-of-pass barrier done
  double worker_startup_s = 0;                    // pass start -> last worker up (fresh workers)
  int simulated_ranks = 0;                        // ranks simulated event by event (< gpus with rank classes)
  long long rank_class_size = 1;                  // ranks each simulated rank stands for
};

/// Dataloader worker start-up of a fresh pass: the main process launches the workers one after
/// another (`launch_s` each: fork copies the parent's page tables, so it grows with its resident
/// memory); each worker then needs `init_s` before its first fetch (a spawned worker starts a new
/// interpreter and imports torch). Worker k (0-based) is up at (k + 1) * launch_s + init_s.
struct LoaderStartup {
  double launch_s = 0, init_s = 0, last_worker_up_s = 0;
};
LoaderStartup loader_startup(const Scenario& scenario);

/// Simulates one run with `seed`; `observer` (may be null) sees the power timeline. With
/// config.fast_forward_epochs = k < epochs, simulates k epochs and scales every total by
/// epochs / k (the observer then sees only the simulated epochs).
RunResult simulate(const Scenario& scenario, std::uint64_t seed, PowerObserver* observer = nullptr);

/// Names of every parameter that --set accepts.
std::vector<std::string> overridable_parameters();

struct FabricConfig;
struct CommModel;
struct ProtocolParams;
/// The fabric of a job of `nodes` nodes of hardware `hw` with node calibration `node_cal`.
FabricConfig fabric_config(const HardwareSpec& hw, const ParamSet& node_cal, int nodes);
/// The analytical (alpha-beta) communication model of hardware `hw`.
CommModel alpha_beta_model(const HardwareSpec& hw, const ParamSet& node_cal);
/// NCCL protocol latencies and efficiencies from the node calibration.
ProtocolParams protocol_params(const ParamSet& node_cal);

}  // namespace ddpsim
