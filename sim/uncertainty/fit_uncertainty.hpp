#pragma once
// What a calibration knows about its own uncertainty, per fit stage (the paper fit, each Zeus
// GPU's fit): the fitted parameters with the entries they write, the covariance of their logs
// at the optimum (Levenberg-Marquardt, priors included) and the model's own discrepancy per
// observed quantity, estimated from leave-one-run-out residuals. `ddpsim calibrate` writes it
// (section `uncertainty:` of a calibration file); `run --interval P` propagates it.
#include <map>
#include <string>
#include <vector>

namespace ddpsim {

/// Where a fitted value goes: a node-calibration entry of `hardware` (node = true), or a
/// workload-calibration entry of (`workload`, `hardware`).
struct CalibrationTarget {
  bool node = true;
  std::string hardware, workload, param;
  int times_param = -1;  // >= 0: the value written is this parameter's value x that parameter's
  double factor = 1.0;   // fixed multiplier (e.g. a datasheet ratio between hardware types)
};

/// Relative standard deviation of the model's own error for one quantity (log space), beyond
/// what the parameter covariance explains.
struct DiscrepancyEntry {
  double sd = 0;
  int runs = 0;        // held-out runs it was estimated from
  double loo_rms = 0;  // root mean square of the leave-one-run-out relative residuals
  std::string method;
};

struct FitUncertainty {
  std::string name;  // "paper", "zeus-a40", ...
  std::vector<std::string> labels;
  std::vector<double> values;  // SI at the optimum
  std::vector<std::vector<CalibrationTarget>> targets;  // per parameter (empty: a ratio parameter)
  std::vector<double> covariance_log;                   // p x p, row-major
  std::map<std::string, DiscrepancyEntry> discrepancy;  // observed quantity -> entry
  std::size_t size() const { return values.size(); }
  double cov(std::size_t i, std::size_t j) const { return covariance_log[i * values.size() + j]; }
};

}  // namespace ddpsim
