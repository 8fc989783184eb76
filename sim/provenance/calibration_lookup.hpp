#pragma once
// Which calibration a run uses, and where every calibrated value comes from. No silent fallback:
// a (workload, hardware) pair without its own entry takes a stated transfer (same GPU model, or
// the closest calibrated GPU scaled by datasheet ratios) or, with nothing to transfer from, the
// declared defaults, and says so (warnings for stderr, provenance for JSON and `run --explain`).
#include <string>
#include <vector>

#include "hwmodels/hardware.hpp"
#include "sim/provenance/calibration_file.hpp"
#include "workloads/workload.hpp"

namespace ddpsim {

/// How one calibration set (node or workload) was obtained.
struct CalibrationSource {
  std::string kind;   // "own entry" | "transferred" | "defaults"
  std::string entry;  // the calibration entry used ("a100", "resnet50 on a100"); empty for defaults
  std::string how;    // one sentence: the rule and the ratios applied
};

struct CalibrationLookup {
  ParamSet node_cal{node_calibration_table()};
  ParamSet wl_cal{workload_calibration_table()};
  CalibrationSource node, workload;
  std::vector<std::string> warnings;  // one line each, for stderr
};

/// Roofline step cost of a workload that states its forward FLOPs, on one GPU.
struct Roofline {
  double per_sample_s = 0;  // 3 F / (peak x efficiency) + 3 F x bytes_per_flop / memory bandwidth
  double optimizer_s = 0;   // parameters x bytes touched (model.optimizer) / memory bandwidth; 0 without parameters
  double peak_flops = 0, efficiency = 0, bytes_per_flop = 0;
  std::string family, precision;
  std::string efficiency_from;  // where the efficiency came from (calibration entry or declared default)
  std::string how;              // one sentence for the provenance
};
/// 3 x forward_flops / (peak_flops x efficiency) + 3 x forward_flops x bytes_per_flop / memory_bw (SI).
double roofline_per_sample_s(double forward_flops, double peak_flops, double efficiency, double bytes_per_flop, double memory_bw);
/// The roofline of (wl, hw) with the efficiency of the workload's (family, precision) from `cal`:
/// that entry, else the family at another precision, else the declared defaults (said in efficiency_from).
Roofline roofline(const Calibration& cal, const WorkloadSpec& wl, const HardwareSpec& hw);

/// The node calibration of `hw` alone (collectives): node_cal, node and warnings are filled.
CalibrationLookup lookup_node_calibration(const Calibration& cal, const HardwareSpec& hw);
/// Looks up the node and workload calibration of (wl, hw) in `cal` by their resolved names.
CalibrationLookup lookup_calibration(const Calibration& cal, const WorkloadSpec& wl, const HardwareSpec& hw);

/// One calibrated parameter of a run with its value and where it came from.
struct ParamProvenance {
  std::string name, value, source;
};
/// Every node and workload calibration parameter of a run, in table order.
std::vector<ParamProvenance> calibration_provenance(const ParamSet& node_cal, const ParamSet& wl_cal);

}  // namespace ddpsim
