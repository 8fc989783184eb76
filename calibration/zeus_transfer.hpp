#pragma once
// The roofline's efficiency factors: fitted from measured (workload, GPU) pairs, and the
// cross-hardware experiment on the Zeus power traces (calibrate on two GPU types, predict the
// other two; hold out whole batch sizes within a GPU). See README "Compute from a model of the hardware".
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "calibration/stages.hpp"
#include "sim/provenance/calibration_file.hpp"

namespace ddpsim {

/// One measured per-sample training time of a workload on a GPU.
struct RooflinePoint {
  std::string label;  // "resnet50 on zeus-v100"
  double forward_flops = 0, peak_flops = 0, memory_bw = 0, per_sample_s = 0;
};
struct RooflineFit {
  double efficiency = 0, bytes_per_flop = 0, efficiency_se = 0;
  int points = 0;
};
/// Relative least squares of t = 3F (1 / (peak x eff) + q / BW) over `pts` (q >= 0; q = 0 when
/// `with_memory` is false, there are fewer than two distinct GPUs, or it would come out negative).
RooflineFit fit_roofline(const std::vector<RooflinePoint>& pts, bool with_memory);

/// Calibrate step: efficiency(family, precision) from every pair of `cal` whose
/// compute.per_sample is fitted ("fit: ...") and whose workload states its forward FLOPs.
void efficiency_stage(Calibration& cal, CalibrationLog& log);

/// One Zeus trace row at the default power limit: batch size, epoch time, mean GPU power.
struct ZeusPairPoint {
  int bs;
  double time_s, power_w;
};
/// The simulator's single-GPU steady state fitted to a (workload, GPU)'s rows. Time: epoch =
/// steps x c + N x p x (1 + g x b) (c: fixed cost per step, p: per sample, g:
/// compute.batch_growth). Power: the time-weighted mix of the per-sample work, drawing idle +
/// (tdp - idle) x act x b / (b + half), and the fixed overhead at power.overhead_activity (oa)
/// of that dynamic part.
struct ZeusPairFit {
  double c = 0, p = 0, g = 0, act = 0.5, half = 1, oa = 1;
  double overhead_s(double n, int b) const { return std::ceil(n / b) * c; }
  double work_s(double n, int b) const { return n * p * (1 + g * b); }
};
/// Relative least squares over `pts` of a data set of `samples` samples. `rich`: the within-GPU
/// model (g >= 0 and oa fitted, 0 <= act x oa <= 1); otherwise g = 0 and oa = 1, the two-term
/// model that transfers across GPUs.
ZeusPairFit fit_zeus_pair(const std::vector<ZeusPairPoint>& pts, double samples, double idle_w, double tdp_w, bool rich);

struct ZeusTransferCell {
  std::string workload, gpu;
  double time_mape = 0, power_mape = 0;
  int points = 0;
};
struct ZeusTransferReport {
  std::vector<ZeusTransferCell> cross_gpu, cross_gpu_compute_only, held_out_bs;
  double cross_time = 0, cross_power = 0, cross_time_compute_only = 0, bs_time = 0, bs_power = 0;  // overall MAPE (fractions)
  // Cross-GPU with the within-GPU model (batch growth, overhead activity) transferred as well.
  double cross_time_rich = 0, cross_power_rich = 0;
  // Diagnosis: the cross-GPU errors when one part comes from the held-out GPU's own fit, the
  // fixed cost per step (host) or the per-sample time (GPU), and the other is transferred.
  double oracle_host_time = 0, oracle_host_power = 0, oracle_gpu_time = 0, oracle_gpu_power = 0;
  // Transformers (family transformer, int32 token ids: dataset.sample_bytes / 4 tokens per
  // sample): each pair's half-occupancy batch of the two-term fit, in samples and in tokens.
  struct HalfTokens {
    std::string workload, gpu;
    double half_samples = 0, tokens_per_sample = 0;
  };
  std::vector<HalfTokens> transformer_half;
  double transformer_half_tokens_gmean = 0;
  // Cross-GPU errors of the points whose predicted epoch is mostly GPU work (fixed cost per step
  // below kHostBoundShare of it) and of the host-bound rest.
  static constexpr double kHostBoundShare = 0.25;
  struct Split {
    double time_mape = 0, power_mape = 0;
    int points = 0;
  };
  Split gpu_bound, host_bound;
  // Per (workload, GPU): the two-term fit's fixed cost per step on all batch sizes.
  struct FixedCost {
    std::string workload, gpu;
    double step_s = 0;
  };
  std::vector<FixedCost> fixed_cost;
  // Per GPU: the lowest mean power of any trace row (and its workload) and the catalog idle power.
  struct Floor {
    double lowest_w = 0, idle_w = 0;
    std::string workload;
  };
  std::map<std::string, Floor> power_floor;
  std::vector<std::string> notes;
};
/// Runs the experiment on the summary_power_<gpu>.csv files in `dir` (default power limit rows).
ZeusTransferReport run_zeus_transfer(const std::string& dir);
std::string zeus_transfer_markdown(const ZeusTransferReport& rep);

}  // namespace ddpsim
