#pragma once
// The calibration pipeline (`ddpsim calibrate`):
//  1. Zeus power traces (ResNet50/ImageNet, one GPU, batch size x power limit) fix, per GPU type,
//     the step-cost shape (fixed + per-sample time), the power-vs-batch shape and the power-cap
//     model (soft cap, stretch exponent and knee).
//  2. Transfer to A100/H100: the shape parameters are the geometric means over the Zeus GPUs;
//     ResNet50's per-sample time moves across GPU types by a roofline over datasheet ratios,
//     t = w_c / (dense TFLOP/s) + w_m / (memory bandwidth), fitted on the Zeus GPUs.
//  3. The paper's measured runs fix the A100/H100 levels: CPU and RAM power, file system,
//     FourCastNet compute and loader speed, GPU activity, ResNet50 loader speed.
// Every fit is weighted least squares on relative errors with the simulator in the loop, priors
// from the priors file (value +- stderr) and bounds from the parameter declarations.
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "calibration/problem.hpp"
#include "calibration/readers.hpp"

namespace ddpsim {

/// Zeus problem for one GPU type ("v100", ...): hardware "zeus-<gpu>", ResNet50 on ImageNet.
CalibrationProblem zeus_problem(const std::vector<ZeusPoint>& points, const std::string& gpu, const Calibration& base,
                                const Calibration& priors);
/// A folder written by experiments/capture (meta.yaml, steps.csv, power CSV).
struct CaptureTrace {
  std::string dir;
  std::string workload, hardware;  // resolved names: the calibration entry's keys
  int world_size = 1;
  long long lbs = 1;
  double compute_s_per_step = 0;  // mean forward + backward + optimizer (+ DDP hook time with one rank)
  double mean_gpu_power_w = 0;    // NaN without power samples
  // What the simulator loads (a catalog name or a YAML file); "" = the names above.
  std::string workload_source, hardware_source;
  double optimizer_s = 0;  // mean optimizer step time
  double sample_s = std::numeric_limits<double>::quiet_NaN();  // meta.yaml sample_s: decode per sample; NaN if absent
  double step_s = 0;       // mean step time (data wait included), warm-up step dropped
  std::string meta_workload, meta_hardware;  // the names meta.yaml gives
};
bool is_capture_dir(const std::string& dir);
/// Reads a capture folder. `workload` / `hardware` (catalog name or YAML file, "" = the names in
/// meta.yaml) describe the captured job; a name that is not in the catalog needs them
/// (InputError saying so).
CaptureTrace read_capture_dir(const std::string& dir, const std::string& workload = "", const std::string& hardware = "");
/// Fits per-sample time, step overhead (with two or more batch sizes) and GPU activity (with
/// power samples) of each (workload, hardware) captured.
CalibrationProblem capture_problem(const std::vector<CaptureTrace>& traces, const Calibration& base, const Calibration& priors);
/// The capture stage of `calibrate` on `cal` (kept otherwise): pairs and hardware new to `cal`
/// get entries seeded from what run would transfer; the optimizer step and the decode time per
/// sample are set as traced; per-sample time, step overhead (two or more batch sizes) and GPU
/// activity (power samples) are fitted; the fit's covariance is added to cal.fits.
struct CalibrationLog;
void capture_stage(Calibration& cal, const std::vector<CaptureTrace>& traces, int max_iterations, CalibrationLog& log);

/// The paper problem over `runs` (measured quantities of each run become observations).
CalibrationProblem paper_problem(const std::vector<MeasuredRun>& runs, const Calibration& base, const Calibration& priors);
/// Observations of one measured run (its simulated config, fast-forwarded).
std::vector<Observation> run_observations(const MeasuredRun& run);
RunConfig run_config(const MeasuredRun& run, int fast_forward_epochs);

/// Zeus points of ResNet50/ImageNet grouped by GPU type.
std::map<std::string, std::vector<ZeusPoint>> zeus_resnet_points(const std::vector<ZeusPoint>& all);

struct TransferReport {
  double w_compute_flop = 0, w_memory_bytes = 0;  // roofline per sample
  std::vector<std::string> lines;
};
/// Step 2: writes shape means and roofline levels for a100/h100 into `cal`.
TransferReport transfer_zeus_shapes(Calibration& cal, const std::vector<std::string>& zeus_gpus);

struct CalibrationLog {
  std::vector<std::string> lines;
  void add(const std::string& s) { lines.push_back(s); }
};

struct CalibrateInputs {
  std::vector<std::string> measured_files;
  std::vector<std::string> trace_dirs;
  std::string priors_file;  // "" = calibration/priors.yaml
  /// Calibration to start from and keep ("" = the priors, or the shipped calibration when the
  /// only inputs are capture folders).
  std::string base_calibration;
  /// Workload and hardware of the capture folders (catalog name or YAML file; "" = meta.yaml's).
  std::string capture_workload, capture_hardware;
  int max_iterations = 40;
  /// Refit the paper stage without each measured run and keep the held-out errors as the
  /// model's discrepancy (section uncertainty.paper.discrepancy; run --interval uses it).
  bool leave_one_out = false;
};

/// One held-out run's errors: relative error and the parameter variance (log space) of the
/// refitted model's prediction, per observed quantity.
struct HeldOutError {
  std::string run_id, quantity;
  double rel_error = 0, param_var = 0;
};
/// sd >= 0 with mean(err2_i / (param_var_i + sd^2)) = 1 (0 if the errors are within the
/// parameter variances alone): the discrepancy that makes held-out errors unit-variance.
double discrepancy_sd(const std::vector<double>& err2, const std::vector<double>& param_var);
/// Discrepancy per quantity from held-out errors (discrepancy_sd per quantity).
std::map<std::string, DiscrepancyEntry> discrepancy_from_held_out(const std::vector<HeldOutError>& errors, const std::string& method);
/// Name of a run output (sim/uncertainty/interval.hpp) for an observed quantity; "" if none.
std::string interval_output_of(const std::string& quantity);

/// Runs the pipeline; returns the fitted calibration (provenance filled in).
Calibration run_calibration(const CalibrateInputs& in, CalibrationLog& log);

/// Serialises a calibration as YAML (every parameter with value, stderr, unit, source).
std::string calibration_to_yaml(const Calibration& cal);

std::string default_priors_path();
std::string file_hash(const std::string& path);

}  // namespace ddpsim
