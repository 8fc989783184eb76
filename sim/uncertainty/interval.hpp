#pragma once
// Prediction intervals: the calibration's parameter covariance propagated through the simulator,
// plus the model's own discrepancy (sim/uncertainty/fit_uncertainty.hpp).
//
// Which fitted parameters reach a run is found by moving each one and checking whether the
// resolved scenario changes. Their covariance is propagated by deterministic sampling: two sigma
// points per principal axis of the covariance (z +- sqrt(lambda_j) u_j, exact for a response
// linear in the log-parameters), or by `samples` Monte-Carlo draws. Each point is simulated on
// the run's first epoch(s) (fast-forward) and the spread is taken relative to the same
// fast-forwarded run at the fitted values, so the cost is 2 x (reaching parameters) short runs.
// Per quantity, in log space: sd^2 = sd_parameters^2 + sd_discrepancy^2 and the interval is
// value x exp(-+ z sd), z the standard normal quantile of (1 + level) / 2.
#include <cstdint>
#include <string>
#include <vector>

#include "sim/run/training_run.hpp"

namespace ddpsim {

struct IntervalOptions {
  double level = 0.9;       // two-sided coverage, 0 < level < 1
  int samples = 0;          // 0 = sigma points; > 0 = Monte-Carlo draws
  std::uint64_t seed = 1;   // Monte-Carlo draws
  int fast_forward_epochs = 1;
};

struct QuantityInterval {
  std::string name;  // runtime_h, gpu_hours, energy_kwh.total, energy_kwh.gpu, ...
  double value = 0, low = 0, high = 0;
  double sd_parameters = 0;   // relative (log space)
  double sd_discrepancy = 0;  // relative (log space)
  std::string discrepancy_from;  // "fit/quantity", or "" where none is stored
};

struct IntervalResult {
  double level = 0.9;
  std::string method;
  int simulations = 0;
  int parameters = 0;              // fitted parameters that reach the run
  std::vector<std::string> fits;   // fit stages they come from
  std::vector<QuantityInterval> quantities;
  std::vector<std::string> notes;  // what the interval does not cover (said on stderr too)
  const QuantityInterval* find(const std::string& name) const;
};

/// "90" or "90%" -> 0.9 (InputError unless strictly between 0 and 100).
double parse_interval_level(const std::string& text);

/// Standard normal quantile of (1 + level) / 2 (level 0.9 -> 1.6449).
double two_sided_z(double level);

/// Interval around `center` (the run's own result, mean over repeats) for `config` under `cal`.
IntervalResult predict_interval(const RunConfig& config, const Calibration& cal, const RunResult& center, const IntervalOptions& options);

/// Combines a parameter spread and a discrepancy into bounds (log-normal), for one quantity.
QuantityInterval make_interval(const std::string& name, double value, double sd_parameters, double sd_discrepancy, double level);

}  // namespace ddpsim
