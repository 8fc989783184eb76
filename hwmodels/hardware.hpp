#pragma once
// Hardware catalog: one YAML file per node type in hwmodels/catalog/, every number with its
// source. The parameters are declared once, in kHardwareParams below.
#include <algorithm>
#include <string>
#include <vector>

#include "sim/core/params.hpp"

namespace ddpsim {

// X(id, name, dim, default_si, min_si, max_si, help, source)
#define DDPSIM_HARDWARE_PARAMS(X)                                                                                   \
  X(kGpusPerNode, "node.gpus_per_node", Count, 4, 1, 64, "GPUs per node", "HoreKa A100 node (NHR docs)")            \
  X(kSockets, "node.sockets", Count, 2, 1, 8, "CPU sockets per node", "HoreKa A100 node (NHR docs)")                \
  X(kRam, "node.ram", Data, 512e9, 1e9, 64e12, "main memory per node", "HoreKa A100 node (NHR docs)")               \
  X(kNics, "node.nics", Count, 2, 0, 16, "InfiniBand adapters per node", "NHR docs: two HDR adapters per A100 node") \
  X(kLocalReadBw, "node.local_read_bandwidth", Bandwidth, 3e9, 1e6, 1e12, "node-local NVMe read bandwidth",         \
    "typical PCIe Gen4 NVMe datasheet")                                                                             \
  X(kGpuMemory, "gpu.memory", Data, 40e9, 1e9, 1e12, "GPU memory", "A100-SXM4-40GB datasheet")                       \
  X(kGpuTdp, "gpu.tdp", Power, 400, 10, 2000, "GPU board power (TDP)", "A100-SXM4 datasheet")                       \
  X(kGpuPowerLimit, "gpu.power_limit", Power, 400, 10, 2000, "GPU power limit (caps compute power, stretches time)", \
    "defaults to TDP")                                                                                              \
  X(kGpuIdlePower, "gpu.idle_power", Power, 50, 0, 500, "GPU power when idle or waiting", "nvidia-smi, A100 idle")  \
  X(kGpuSensorWindow, "gpu.power_sensor_window", Time, 0, 0, 60,                                                    \
    "window over which the GPU's power reading is averaged (0 = instantaneous)",                                     \
    "NVML nvmlDeviceGetPowerUsage: instantaneous on GA100 and older, 1 s average on newer GPUs")                     \
  X(kGpuTflops, "gpu.tensor_tflops", Dimensionless, 156, 0.1, 1e4, "dense TF32 tensor TFLOP/s (the FP32 peak on GPUs without TF32)",   \
    "A100 datasheet")                                                                                               \
  X(kGpuFp32Tflops, "gpu.fp32_tflops", Dimensionless, 19.5, 0.1, 1e4, "dense FP32 (non-tensor) TFLOP/s",             \
    "A100 datasheet")                                                                                               \
  X(kGpuBf16Tflops, "gpu.bf16_tflops", Dimensionless, 312, 0.1, 1e5,                                                 \
    "dense BF16/FP16 tensor TFLOP/s (the mixed-precision peak)", "A100 datasheet")                                   \
  X(kGpuMemBw, "gpu.memory_bandwidth", Bandwidth, 1555e9, 1e9, 1e14, "GPU memory bandwidth", "A100-40GB datasheet") \
  X(kGpuPcieBw, "gpu.pcie_bandwidth", Bandwidth, 25e9, 1e8, 1e12, "host-to-device copy bandwidth",                 \
    "PCIe Gen4 x16, ~80% of 32 GB/s")                                                                               \
  X(kNvlinkBw, "gpu.nvlink_bandwidth", Bandwidth, 300e9, 1e8, 1e13, "NVLink bandwidth per GPU and direction",       \
    "A100: 12 NVLink3 links x 25 GB/s")                                                                             \
  X(kNvlinkLatency, "gpu.nvlink_latency", Time, 2e-6, 0, 1e-3, "NVLink hop latency", "estimate")                     \
  X(kCpuCores, "cpu.cores_per_socket", Count, 38, 1, 1024, "cores per CPU socket", "Xeon Platinum 8368 datasheet")   \
  X(kCpuTdp, "cpu.tdp", Power, 270, 1, 2000, "CPU socket TDP", "Xeon Platinum 8368 datasheet")                       \
  X(kCpuClock, "cpu.base_clock", Frequency, 2.4e9, 1e8, 1e10, "CPU base clock", "Xeon Platinum 8368 datasheet")      \
  X(kCpuMemcpyBw, "cpu.memcpy_bandwidth", Bandwidth, 8e9, 1e7, 1e12,                                              \
    "copy bandwidth of one thread into page-locked memory (the pin-memory thread)",                                    \
    "estimate: single-core streaming copy of a DDR4/DDR5 server socket")                                              \
  X(kNicBw, "nic.bandwidth", Bandwidth, 25e9, 1e6, 1e13, "InfiniBand adapter bandwidth per direction",              \
    "HDR 200 Gbit/s")                                                                                               \
  X(kNicLatency, "nic.latency", Time, 1e-6, 0, 1e-2, "InfiniBand latency per hop", "public facts: IB ~1 us")         \
  X(kRamMetered, "ram.metered", Flag, 1, 0, 1, "RAM energy counted in the total (false: not measured, as on H100)", \
    "paper: H100 RAM not measured")                                                                                 \
  X(kLeafRadix, "fabric.leaf_radix", Count, 40, 2, 4096, "ports per leaf switch", "HDR QM8700 switch: 40 ports")     \
  X(kBlockingFactor, "fabric.blocking_factor", Dimensionless, 1, 1, 64,                                             \
    "leaf down:up port ratio (1 = non-blocking, 2 = 2:1 oversubscribed)", "assumed non-blocking")                   \
  X(kFabricLinkBw, "fabric.link_bandwidth", Bandwidth, 25e9, 1e6, 1e13, "leaf-spine link bandwidth per direction",   \
    "HDR 200 Gbit/s")                                                                                               \
  X(kSwitchLatency, "fabric.switch_latency", Time, 130e-9, 0, 1e-3, "switch port-to-port latency",                   \
    "QM8700 datasheet: 130 ns")                                                                                     \
  X(kNodesPerLeaf, "fabric.nodes_per_leaf", Count, 0, 0, 4096, "job placement: nodes per leaf (0 = packed)",         \
    "assumption: packed placement")                                                                                 \
  X(kFabricLayout, "fabric.layout", Choice, 0, 0, 1, "how adapters are cabled: fat_tree (a node's adapters on one leaf) or rail (adapter k of a group's nodes on rail leaf k)", \
    "DGX SuperPOD reference architecture (rail-optimised)", "fat_tree|rail")                                                      \
  X(kBackgroundLoad, "fabric.background_load", Ratio, 0, 0, 1,                                                      \
    "other jobs' traffic leaving each leaf, as a share of its host-port capacity", "assumption")                    \
  X(kNcclModel, "nccl.model", Choice, 0, 0, 1, "communication model", "fabric: flow-level; alpha_beta: analytical",  \
    "fabric|alpha_beta")                                                                                            \
  X(kNcclAlgorithm, "nccl.algorithm", Choice, 0, 0, 3, "allreduce algorithm (auto = tuned per message size)",        \
    "NCCL_ALGO", "auto|ring|tree|hierarchical")                                                                     \
  X(kNcclProtocol, "nccl.protocol", Choice, 0, 0, 3, "NCCL protocol (auto = tuned per message size)", "NCCL_PROTO",  \
    "auto|LL|LL128|Simple")                                                                                         \
  X(kNcclChannels, "nccl.channels", Count, 0, 0, 64, "rings (channels) per ring allreduce; 0 = one per adapter, at least 2", \
    "NCCL spreads its channels over the node's NICs")                                                               \
  X(kNcclLiveFlows, "nccl.live_flows", Flag, 0, 0, 1,                                                               \
    "simulate every allreduce's flows live even with one communication stream (slower; a check)", "ddpsim")

enum HardwareParam : std::size_t {
#define DDPSIM_ENUM(id, ...) id,
  DDPSIM_HARDWARE_PARAMS(DDPSIM_ENUM)
#undef DDPSIM_ENUM
  kHardwareParamCount
};

const ParamTable& hardware_param_table();

struct HardwareSpec {
  std::string name;         // catalog key, e.g. "a100"
  std::string description;  // one line
  std::string gpu_model, cpu_model;
  std::string file;         // where it was loaded from
  ParamSet params{hardware_param_table()};
  double p(HardwareParam id) const { return params[id]; }
  int gpus_per_node() const { return static_cast<int>(params[kGpusPerNode]); }
  /// NCCL channels (rings): nccl.channels, or with 0 one per adapter and at least 2.
  int nccl_channels() const {
    int set = static_cast<int>(params[kNcclChannels]);
    return set > 0 ? set : std::max(2, static_cast<int>(params[kNics]));
  }
};

/// Datasheet peak FLOP/s (SI) for a training precision (model.precision: 0 fp32, 1 tf32,
/// 2 bf16, 3 fp16): gpu.fp32_tflops, gpu.tensor_tflops, gpu.bf16_tflops (fp16 = bf16).
double peak_flops(const HardwareSpec& hw, int precision);

/// Directory of the shipped hardware catalog.
std::string hardware_catalog_dir();
/// Names of the catalog entries (sorted).
std::vector<std::string> list_hardware();
/// Loads catalog entry `name` (InputError with suggestion if unknown) or a YAML file path.
HardwareSpec load_hardware(const std::string& name);
/// Loads a hardware YAML file.
HardwareSpec load_hardware_file(const std::string& path);

}  // namespace ddpsim
