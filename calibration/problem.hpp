#pragma once
// A calibration problem: free parameters bound to entries of a calibration, observations of
// simulated quantities with measured values, and the residuals that tie them (simulator in
// the loop).
#include <memory>
#include <string>
#include <vector>

#include "calibration/fit.hpp"
#include "sim/provenance/calibration_file.hpp"
#include "sim/run/training_run.hpp"

namespace ddpsim {

using Target = CalibrationTarget;  // sim/uncertainty/fit_uncertainty.hpp

struct BoundParameter {
  FitParameter fit;
  std::vector<Target> targets;  // one value can feed several entries (e.g. a shared file system)
};

struct Observation {
  std::string id;        // run id
  RunConfig config;
  std::string quantity;  // see observe()
  double measured = 0;
  double sigma_rel = 0.03;
  double time_scale = 1;  // multiplies predicted times (runs simulated on part of an epoch)
};

/// Quantities: runtime_h, gpu_hours, energy_total_kwh, energy_cpu_kwh, energy_gpu_kwh,
/// energy_ram_kwh, cpu_share_of_total, time_per_epoch_s (runtime x time_scale),
/// average_gpu_power_w, compute_s_per_step (GPU compute time per rank and training step; use
/// runs without evaluation passes). InputError for unknown names.
double observe(const std::string& quantity, const RunResult& r, double time_scale);
bool is_known_quantity(const std::string& quantity);

class CalibrationProblem {
 public:
  Calibration base;
  std::vector<BoundParameter> params;
  std::vector<Observation> observations;

  /// `base` with the parameter values (SI) written into their targets (and their stderrs).
  Calibration with(const std::vector<double>& values, const std::vector<double>* stderrs = nullptr,
                   const std::string& origin = "fit") const;
  /// Predicted value of every observation under `cal` (runs are simulated once per config).
  std::vector<double> predict(const Calibration& cal) const;
  /// predict() under several calibrations at once (all runs of all of them on all cores).
  std::vector<std::vector<double>> predict_many(const std::vector<Calibration>& cals) const;
  /// (predicted - measured) / measured / sigma for every observation.
  std::vector<double> residuals(const std::vector<double>& values) const;
  std::vector<std::vector<double>> residuals_many(const std::vector<std::vector<double>>& points) const;
  /// Current values of the parameters in `base` (start point).
  std::vector<double> current_values() const;
  FitResult fit(const LmOptions& options = {}) const;

  /// Simulated results by canonical scenario (every input and parameter value of a run): a
  /// Jacobian column that moves one hardware's parameter re-simulates only that hardware's runs.
  /// Shared by copies of the problem; results are deterministic, so reuse changes nothing.
  struct ResultCache;
  std::shared_ptr<ResultCache> cache = make_cache();
  static std::shared_ptr<ResultCache> make_cache();
};

/// The fit's parameters, covariance and leave-one-run-out discrepancy, as a calibration file
/// stores them (linearised deletion residuals at the optimum: e_(b) = (I - H_bb)^-1 e_b for the
/// observations b of one run, H = J (J^T J)^-1 J^T with the prior rows in J). The discrepancy is
/// left empty where the fit has fewer than 3 runs per parameter (the linearisation fails there).
FitUncertainty fit_uncertainty(const std::string& name, const CalibrationProblem& pb, const FitResult& fr);

}  // namespace ddpsim
