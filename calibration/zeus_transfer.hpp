#pragma once
// The roofline's efficiency factors: fitted from measured (workload, GPU) pairs, and the
// cross-hardware experiment on the Zeus power traces (calibrate on two GPU types, predict the
// other two; hold out whole batch sizes within a GPU). See README "Compute from a model of the hardware".
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

struct ZeusTransferCell {
  std::string workload, gpu;
  double time_mape = 0, power_mape = 0;
  int points = 0;
};
struct ZeusTransferReport {
  std::vector<ZeusTransferCell> cross_gpu, cross_gpu_compute_only, held_out_bs;
  double cross_time = 0, cross_power = 0, cross_time_compute_only = 0, bs_time = 0, bs_power = 0;  // overall MAPE (fractions)
  std::vector<std::string> notes;
};
/// Runs the experiment on the summary_power_<gpu>.csv files in `dir` (default power limit rows).
ZeusTransferReport run_zeus_transfer(const std::string& dir);
std::string zeus_transfer_markdown(const ZeusTransferReport& rep);

}  // namespace ddpsim
