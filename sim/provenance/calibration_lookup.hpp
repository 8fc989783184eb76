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
