#pragma once
// Calibrated model parameters. A calibration file holds, per hardware type, the parameters of
// the node (CPU/RAM power, file system, communication efficiency) and, per workload and hardware,
// the step-cost and power parameters. Each parameter is declared once below; missing values use
// the declared defaults (datasheet-based priors). `ddpsim calibrate` (calibration/) writes these
// files with value, standard error, unit and provenance.
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "sim/core/params.hpp"
#include "sim/uncertainty/fit_uncertainty.hpp"

namespace ddpsim {

// X(id, name, dim, default_si, min_si, max_si, help, source)
#define DDPSIM_NODE_CAL_PARAMS(X)                                                                                      \
  X(kCpuIdlePower, "cpu.idle_power", Power, 80, 0, 2000, "CPU socket power with all cores idle",                      \
    "prior: ~30 % of a 270 W TDP")                                                                                    \
  X(kCpuCorePower, "cpu.core_power", Power, 4, 0, 100, "extra CPU power per busy core",                               \
    "prior: (TDP - idle) / cores")                                                                                    \
  X(kRamPower, "ram.power", Power, 30, 0, 2000, "RAM power per node", "public facts: 27-32 W DRAM on HAICORE A100")    \
  X(kGpuCommFraction, "gpu.comm_fraction", Ratio, 0.15, 0, 1,                                                          \
    "share of the GPU's dynamic power range drawn during exposed communication", "prior")                            \
  X(kGpuLimitGamma, "gpu.limit_gamma", Dimensionless, 1.0 / 3.0, 0.01, 3,                                             \
    "compute-time stretch exponent under a power cap, above the knee", "DVFS: dynamic power ~ f^3; Zeus fits")        \
  X(kGpuLimitKnee, "gpu.limit_knee", Ratio, 0.5, 0, 1,                                                                 \
    "capped/demanded dynamic power below which time stretches linearly (voltage floor)", "prior; Zeus fits")          \
  X(kGpuCapSharpness, "gpu.cap_sharpness", Dimensionless, 8, 1, 1000,                                                  \
    "sharpness p of the soft power cap (large = hard cap)", "prior; Zeus fits")                                       \
  X(kFsAggregateBw, "fs.aggregate_bandwidth", Bandwidth, 20e9, 1e6, 1e14,                                              \
    "shared parallel file system bandwidth available to the job", "prior")                                            \
  X(kFsStreamBw, "fs.stream_bandwidth", Bandwidth, 150e6, 1e5, 1e12, "read bandwidth of one reader process",          \
    "prior: single-stream HDF5 reads from a parallel file system")                                                    \
  X(kCommIntraEff, "comm.intra_efficiency", Ratio, 0.7, 0.01, 1, "achieved share of NVLink bandwidth", "prior")      \
  X(kCommInterEff, "comm.inter_efficiency", Ratio, 0.96, 0.01, 1, "achieved share of InfiniBand bandwidth",           \
    "public facts: ~24 GB/s per 25 GB/s HDR port")                                                                    \
  X(kCommCallOverhead, "comm.call_overhead", Time, 20e-6, 0, 1, "fixed cost per collective call", "prior")            \
  X(kForkBase, "loader.fork_base", Time, 4.32e-3, 0, 60,                                                               \
    "time the main process spends forking one worker, beyond the per-GB part (workers are forked one after another)",  \
    "traced: experiments/reference/capture-cpu/startup_fit.yaml (intercept of fork time vs parent RSS)")                   \
  X(kForkPerGb, "loader.fork_per_gb", Time, 10.37e-3, 0, 60,                                                             \
    "extra fork time per GB of the main process's resident memory (page tables are copied)",                          \
    "traced: experiments/reference/capture-cpu/startup_fit.yaml (slope of fork time vs parent RSS)")                       \
  X(kWorkerInit, "loader.worker_init", Time, 16.84e-3, 0, 600,                                                             \
    "time from a forked worker's start to its first fetch (seeding, fetcher, first file open)",                       \
    "traced: experiments/reference/capture-cpu/startup_fit.yaml (first batch - fork, batch of 1)")                         \
  X(kSpawnInit, "loader.spawn_init", Time, 1.069, 0, 3600,                                                              \
    "time a spawned worker needs before its first fetch (a new interpreter imports torch and unpickles the dataset)", \
    "traced: experiments/reference/capture-cpu/startup_fit.yaml (spawn context, one worker)")                              \
  X(kStepLatLL, "comm.step_latency_ll", Time, 1e-6, 0, 1e-2, "per-step protocol latency of NCCL's LL protocol",        \
    "prior: NCCL tuning model")                                                                                       \
  X(kStepLatLL128, "comm.step_latency_ll128", Time, 2e-6, 0, 1e-2, "per-step protocol latency of LL128",               \
    "prior: NCCL tuning model")                                                                                       \
  X(kStepLatSimple, "comm.step_latency_simple", Time, 6e-6, 0, 1e-2, "per-step protocol latency of Simple",           \
    "prior: NCCL tuning model")                                                                                       \
  X(kEffLL, "comm.efficiency_ll", Ratio, 0.5, 0.01, 1, "share of bandwidth carrying data with LL (8-byte flags)",      \
    "NCCL: 4 data bytes per 8")                                                                                       \
  X(kEffLL128, "comm.efficiency_ll128", Ratio, 0.9375, 0.01, 1, "share of bandwidth carrying data with LL128",         \
    "NCCL: 120 data bytes per 128")

#define DDPSIM_WORKLOAD_CAL_PARAMS(X)                                                                                  \
  X(kStepOverhead, "compute.step_overhead", Time, 0.015, 0, 3600, "fixed GPU time per training step",                 \
    "prior")                                                                                                          \
  X(kPerSample, "compute.per_sample", Time, 1.2e-3, 0, 3600, "training (forward+backward) time per sample",           \
    "prior: ~850 img/s, DeepLearningExamples TF32")                                                                  \
  X(kBatchGrowth, "compute.batch_growth", Dimensionless, 0, 0, 1,                                                       \
    "growth of the per-sample time with the local batch: per_sample x (1 + batch_growth x LBS) (padding to the "      \
    "longest sample of a batch, allocator pressure at large activations)", "prior: none (0)")                        \
  X(kEvalSampleOverhead, "compute.eval_sample_overhead", Time, 0, 0, 60,                                               \
    "host-side time per sample in evaluation passes (per-sample Python loops)", "prior")                              \
  X(kOverheadStretch, "compute.overhead_stretch", Ratio, 0, 0, 1,                                                      \
    "share of the fixed step overhead that a power cap stretches (0 = host-bound)", "prior; Zeus fits")               \
  X(kOptimizer, "compute.optimizer", Time, 0.005, 0, 3600, "optimizer step time", "prior")                             \
  X(kJitterCv, "compute.jitter_cv", Ratio, 0.02, 0, 1, "coefficient of variation of step compute time", "prior")      \
  X(kActivity, "power.activity", Ratio, 0.8, 0, 1, "share of the GPU's dynamic power range at full occupancy",        \
    "prior")                                                                                                          \
  X(kOverheadActivity, "power.overhead_activity", Ratio, 1, 0, 10,                                                   \
    "GPU activity during the fixed per-step overhead, relative to the per-sample work (1 = as busy; 0 = idle while " \
    "the host launches the step after a host-GPU sync; above 1 where the fixed cost is GPU work that draws more "    \
    "than a small batch, e.g. recurrent kernels run once per time step)", "prior; Zeus fits")                       \
  X(kLbsHalf, "power.lbs_half", Dimensionless, 8, 0, 1e6, "LBS at which the GPU reaches half its dynamic power",       \
    "prior")                                                                                                          \
  X(kDecodePerSample, "loader.decode_per_sample", Time, 5.5e-3, 0, 3600,                                               \
    "CPU time per sample to decode and augment (one core)", "prior: PIL JPEG decode + RandomResizedCrop")            \
  X(kReadCpuBw, "loader.read_cpu_bandwidth", Bandwidth, 1e9, 1e5, 1e13,                                                \
    "CPU-side throughput of one worker for deserialising the bytes it reads", "prior")                              \
  X(kLoaderJitterCv, "loader.jitter_cv", Ratio, 0, 0, 1,                                                               \
    "coefficient of variation of one worker's batch build time (it desynchronises the workers)",                     \
    "assumption: off by default; 0.1 worsens the paper-stage fit (README)")

// Roofline of a model family at a training precision (calibration section `efficiency:
// <family>: <precision>: {...}`): per-sample training time = 3 x F / (peak x efficiency) +
// 3 x F x bytes_per_flop / memory bandwidth (F = model.forward_flops_per_sample).
#define DDPSIM_EFFICIENCY_PARAMS(X)                                                                                    \
  X(kRoofEfficiency, "roofline.efficiency", Ratio, 0.4, 1e-4, 1,                                                       \
    "achieved share of the datasheet peak FLOP/s of the training precision", "prior: typical dense training")         \
  X(kRoofBytesPerFlop, "roofline.bytes_per_flop", Dimensionless, 0, 0, 1e3,                                            \
    "memory traffic per training FLOP (B/FLOP) priced at gpu.memory_bandwidth", "prior: compute-bound (0)")

enum NodeCalParam : std::size_t {
#define DDPSIM_ENUM(id, ...) id,
  DDPSIM_NODE_CAL_PARAMS(DDPSIM_ENUM)
  kNodeCalParamCount
};
enum WorkloadCalParam : std::size_t {
  DDPSIM_WORKLOAD_CAL_PARAMS(DDPSIM_ENUM)
  kWorkloadCalParamCount
};
enum EfficiencyParam : std::size_t {
  DDPSIM_EFFICIENCY_PARAMS(DDPSIM_ENUM)
#undef DDPSIM_ENUM
  kEfficiencyParamCount
};

const ParamTable& node_calibration_table();
const ParamTable& workload_calibration_table();
const ParamTable& efficiency_table();

/// A loaded calibration: parameter sets per hardware and per (workload, hardware).
class Calibration {
 public:
  std::string file;        // path it was loaded from ("" = built-in defaults)
  std::string id;          // short content hash, recorded with every result
  std::string description;
  std::map<std::string, std::string> provenance;

  /// Parameters for hardware `hw` (defaults where the file has none).
  ParamSet node(const std::string& hw) const;
  /// Parameters for workload `wl` on hardware `hw`.
  ParamSet workload(const std::string& wl, const std::string& hw) const;

  std::map<std::string, ParamSet> node_sets;
  std::map<std::pair<std::string, std::string>, ParamSet> workload_sets;
  /// Roofline efficiency per (model family, precision) (names as in model.family / model.precision).
  std::map<std::pair<std::string, std::string>, ParamSet> efficiency_sets;
  /// Large-batch model per (workload, phase) (sim/large_batch.hpp); absent = no fit.
  std::map<std::pair<std::string, std::string>, ParamSet> large_batch_sets;
  /// Covariance and discrepancy of each fit stage (section `uncertainty:`; empty = none stored).
  std::vector<FitUncertainty> fits;
  const ParamSet* large_batch(const std::string& wl, const std::string& phase) const {
    auto it = large_batch_sets.find({wl, phase});
    return it != large_batch_sets.end() ? &it->second : nullptr;
  }
};

/// Reads a parameter's value from a calibration (defaults if absent).
double calibration_value(const Calibration& cal, const CalibrationTarget& t);
/// Writes a value (and optional stderr) into a calibration, creating the entry if needed; the
/// value is clamped to the parameter's declared range.
void set_calibration_value(Calibration& cal, const CalibrationTarget& t, double value_si, double stderr_si, const std::string& citation);
/// Writes a fit's parameter values (SI) into their targets, as the fit itself did.
void apply_fit_values(Calibration& cal, const FitUncertainty& fit, const std::vector<double>& values_si, const std::string& origin);

/// Path of the shipped default calibration.
std::string default_calibration_path();
/// Loads a calibration YAML (strict keys, units, ranges; ConfigError with file:line).
Calibration load_calibration(const std::string& path);

}  // namespace ddpsim
