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

/// Where a fitted value goes: a node-calibration entry of `hardware`, or a workload-calibration
/// entry of (`workload`, `hardware`).
struct Target {
  bool node = true;
  std::string hardware, workload, param;
  int times_param = -1;  // >= 0: the value written is this parameter's value x that parameter's
  double factor = 1.0;   // fixed multiplier (e.g. a datasheet ratio between hardware types)
};

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

/// Reads a parameter's value from a calibration (defaults if absent).
double calibration_value(const Calibration& cal, const Target& t);
/// Writes a value (and optional stderr) into a calibration, creating the entry if needed.
void set_calibration_value(Calibration& cal, const Target& t, double value_si, double stderr_si, const std::string& citation);

}  // namespace ddpsim
