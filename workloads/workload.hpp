#pragma once
// Workload catalog: one YAML file per workload in workloads/catalog/ with the dataset sizes, the
// model's gradient size, memory footprint and dataloader settings, and its training phases.
#include <cstdint>
#include <string>
#include <vector>

#include "sim/core/params.hpp"

namespace ddpsim {

// X(id, name, dim, default_si, min_si, max_si, help, source)
#define DDPSIM_WORKLOAD_PARAMS(X)                                                                                    \
  X(kTrainSamples, "dataset.train_samples", Count, 1281167, 1, 1e12, "training samples per epoch", "ImageNet-2012")  \
  X(kValSamples, "dataset.val_samples", Count, 50000, 0, 1e12, "validation samples per epoch", "ImageNet-2012")      \
  X(kInputBytes, "dataset.input_bytes", Data, 110e3, 0, 1e12, "bytes read per sample (input)", "ImageNet mean JPEG") \
  X(kSampleBytes, "dataset.sample_bytes", Data, 0, 0, 1e12,                                                          \
    "bytes of one sample on storage (sets dataset.input_bytes when that is not given; 0 = not stated)", "not stated") \
  X(kTargetBytes, "dataset.target_bytes", Data, 0, 0, 1e12, "bytes read per sample per rollout step (target)",       \
    "none for classification")                                                                                       \
  X(kDeviceBytes, "dataset.device_bytes", Data, 602112, 0, 1e12, "bytes of the input tensor copied to the GPU per sample (targets add dataset.target_bytes per rollout step)",               \
    "3x224x224 float32")                                                                                             \
  X(kStorage, "dataset.storage", Choice, 0, 0, 1, "where samples are read from", "paper code release",               \
    "local_nvme|shared_fs")                                                                                          \
  X(kTrainEvalPass, "dataset.train_eval_pass", Flag, 0, 0, 1,                                                        \
    "an extra forward pass over the training set every epoch (as the measured ResNet50 code does)",                  \
    "RAI-SCC/ResNet train.py")                                                                                       \
  X(kGradientBytes, "model.gradient_bytes", Data, 102228128, 1, 1e13, "bytes of gradients allreduced per step",      \
    "25 557 032 FP32 parameters")                                                                                    \
  X(kParameters, "model.parameters", Count, 0, 0, 1e13,                                                              \
    "trainable parameters (with model.gradient_dtype gives model.gradient_bytes and memory.fixed when those are not set; 0 = not stated)", \
    "not stated")                                                                                                    \
  X(kGradientDtype, "model.gradient_dtype", Choice, 0, 0, 2, "dtype of the allreduced gradients", "PyTorch DDP: parameter dtype", \
    "fp32|bf16|fp16")                                                                                                \
  X(kForwardFlops, "model.forward_flops_per_sample", Dimensionless, 0, 0, 1e18,                                       \
    "forward-pass FLOP per sample (a multiply-add = 2 FLOP); training costs ~3x; 0 = not stated (no roofline)",        \
    "not stated")                                                                                                    \
  X(kPrecision, "model.precision", Choice, 1, 0, 3,                                                                  \
    "training precision: its datasheet peak (gpu.fp32_tflops, gpu.tensor_tflops for tf32, gpu.bf16_tflops for bf16 and fp16 AMP) drives the roofline", \
    "PyTorch default on Ampere and newer: TF32 tensor cores", "fp32|tf32|bf16|fp16")                                  \
  X(kFamily, "model.family", Choice, 4, 0, 4, "model family: keys the roofline's achieved-efficiency factor",        \
    "not stated", "cnn|transformer|rnn|mlp|other")                                                                   \
  X(kOptimizerKind, "model.optimizer", Choice, 0, 0, 2,                                                              \
    "optimizer: bytes it touches per parameter (sgd 20, adam 28, lars 28) over gpu.memory_bandwidth is the optimizer step", \
    "PyTorch torch.optim (momentum SGD, Adam, LARS)", "sgd|adam|lars")                                               \
  X(kForwardFraction, "model.forward_fraction", Ratio, 1.0 / 3.0, 0.01, 0.99,                                        \
    "share of forward in a training step's compute", "rule of thumb: backward ~2x forward")                          \
  X(kMemFixed, "memory.fixed", Data, 2e9, 0, 1e13, "GPU memory independent of the batch (weights, optimizer, ws)",   \
    "estimate")                                                                                                      \
  X(kMemPerSample, "memory.per_sample", Data, 140e6, 1, 1e13, "activation memory per sample and rollout step",       \
    "estimate: LBS 256 is the largest that fits 40 GB")                                                              \
  X(kWorkers, "loader.workers", Count, 4, 1, 256, "dataloader worker processes per GPU", "paper code release")       \
  X(kPrefetch, "loader.prefetch_factor", Count, 2, 1, 64, "batches prefetched per worker", "PyTorch default")        \
  X(kPersistentWorkers, "loader.persistent_workers", Flag, 0, 0, 1, "keep workers across epochs", "PyTorch default")  \
  X(kStartMethod, "loader.start_method", Choice, 0, 0, 1,                                                            \
    "how workers start: fork (Linux default under torchrun/srun) or spawn (default inside torch.multiprocessing.spawn)", \
    "Python multiprocessing; traced in experiments/reference/capture-cpu", "fork|spawn")                             \
  X(kParentRss, "loader.parent_rss", Data, 3e9, 0, 1e13,                                                             \
    "resident memory of the training process that forks the workers (fork copies its page tables)",                 \
    "estimate: torch + CUDA/cuDNN host libraries and the dataset index")                                              \
  X(kPinMemory, "loader.pin_memory", Flag, 0, 0, 1,                                                                  \
    "a pin-memory thread copies every batch to page-locked memory before the step can use it", "PyTorch default")    \
  X(kBucketCap, "ddp.bucket_cap", Data, 25e6, 1e3, 1e12, "DDP gradient bucket size", "PyTorch DDP bucket_cap_mb=25")  \
  X(kFirstBucketCap, "ddp.first_bucket_cap", Data, 1e6, 1e3, 1e12, "DDP first bucket size", "PyTorch DDP default")   \
  X(kCommStreams, "ddp.comm_streams", Count, 1, 1, 64,                                                               \
    "concurrent allreduce streams (DDP: 1; more lets buckets overlap and compete for links)", "PyTorch DDP")

enum WorkloadParam : std::size_t {
#define DDPSIM_ENUM(id, ...) id,
  DDPSIM_WORKLOAD_PARAMS(DDPSIM_ENUM)
#undef DDPSIM_ENUM
  kWorkloadParamCount
};

#define DDPSIM_PHASE_PARAMS(X)                                                                                   \
  X(kPhaseEpochs, "epochs", Count, 100, 1, 1e6, "default number of epochs", "paper")                            \
  X(kRolloutSteps, "rollout_steps", Count, 1, 1, 64, "autoregressive steps per sample (compute and memory scale)", \
    "FourCastNet fine-tuning: 2")

enum PhaseParam : std::size_t {
#define DDPSIM_ENUM(id, ...) id,
  DDPSIM_PHASE_PARAMS(DDPSIM_ENUM)
#undef DDPSIM_ENUM
  kPhaseParamCount
};

const ParamTable& workload_param_table();
const ParamTable& phase_param_table();

enum class Storage { LocalNvme = 0, SharedFs = 1 };

struct PhaseSpec {
  std::string name;
  ParamSet params{phase_param_table()};
  int epochs() const { return static_cast<int>(params[kPhaseEpochs]); }
  int rollout_steps() const { return static_cast<int>(params[kRolloutSteps]); }
};

/// The metric a workload is judged by (workload file: target_metric: {name, better: higher|lower, bound}).
struct TargetMetric {
  std::string name;             // "" = the workload declares none
  bool higher_is_better = true;
  double bound = 1;             // the perfect value (accuracy 1, RMSE 0)
  /// Distance from the perfect value (positive where the metric can still improve).
  double distance(double value) const { return higher_is_better ? bound - value : value - bound; }
};

struct WorkloadSpec {
  std::string name, description, file;
  ParamSet params{workload_param_table()};
  std::vector<PhaseSpec> phases;  // first is the default
  TargetMetric target;             // name "" = none declared
  double p(WorkloadParam id) const { return params[id]; }
  Storage storage() const { return static_cast<Storage>(static_cast<int>(params[kStorage])); }
  /// Phase by name ("" = default); InputError with suggestion if unknown.
  const PhaseSpec& phase(const std::string& wanted) const;
  /// Bytes read per sample in `phase` (input + rollout targets).
  double bytes_per_sample(const PhaseSpec& phase) const {
    return p(kInputBytes) + p(kTargetBytes) * phase.rollout_steps();
  }
  /// Largest LBS that fits a GPU with `gpu_memory_bytes`: floor((mem - fixed) / (per_sample * rollout)).
  long long max_lbs(double gpu_memory_bytes, const PhaseSpec& phase) const;
  /// True when the workload states its forward FLOPs per sample (the roofline can price it).
  bool has_flops() const { return p(kForwardFlops) > 0; }
  /// DDP bucket sizes in launch order (first bucket small, then bucket_cap each).
  std::vector<double> bucket_bytes() const;
};

/// Bytes per gradient element of model.gradient_dtype (fp32 4, bf16/fp16 2).
double gradient_dtype_bytes(int dtype);
/// Optimizer state bytes per parameter of model.optimizer (sgd 4, adam 8, lars 4).
double optimizer_state_bytes(int optimizer);
/// Bytes the optimizer step reads and writes per parameter (sgd 20, adam 28, lars 28).
double optimizer_bytes_touched(int optimizer);

std::string workload_catalog_dir();
std::vector<std::string> list_workloads();
WorkloadSpec load_workload(const std::string& name);
WorkloadSpec load_workload_file(const std::string& path);

/// Data-parallel split of one pass over `samples` by `ranks` with local batch `lbs`, as
/// PyTorch's DistributedSampler (padding to equal shares) and drop_last=False do.
struct PassSplit {
  long long samples_per_rank = 0;
  long long batches = 0;          // = ceil(samples / (ranks * lbs))
  long long last_batch_size = 0;  // size of the final batch on each rank
};
PassSplit split_pass(long long samples, int ranks, long long lbs);

}  // namespace ddpsim
