#pragma once
// `ddpsim validate`: measured vs predicted per run and quantity, relative errors, MAPE per
// quantity, and the same for two baselines users would otherwise use:
//  (a) tdp_baseline: GPU TDP x GPUh plus the GPU's share of the node's CPU TDP (and of its RAM at
//      0.3725 W/GB where RAM is metered) - the ML CO2 Impact / Green Algorithms way;
//  (b) kwh_per_gpuh_baseline: a constant kWh per GPUh from the calibration runs times ideally
//      scaled GPUh.
// Both baselines predict runtime by ideal scaling (constant samples per GPU-hour) from the
// calibration runs of the same workload, phase and hardware with a measured runtime; where there
// is none (ResNet50 in the paper's calibration set) they borrow ddpsim's predicted GPUh.
// With --leave-one-out every run is predicted by a model refitted without it (ddpsim) and by
// baselines whose constants come from the other runs.
#include <map>
#include <string>
#include <vector>

namespace ddpsim {

struct ValidateInputs {
  std::vector<std::string> measured_files;
  std::vector<std::string> trace_dirs;  // Zeus traces: hold out whole batch sizes
  std::string calibration_file;
  std::string priors_file;  // "" = calibration/priors.yaml
  bool leave_one_out = false;
  int max_iterations = 40;  // as calibrate's (CalibrateInputs): a refit here is the fit calibrate's leave-one-out made
  double interval_level = 0;  // > 0: prediction intervals at this level and their coverage
  // The run measured by --measured files that are perun / nvidia-smi files (measured_file_kind).
  std::string run_workload, run_hardware;
  int run_gpus = 0, run_epochs = 0;
  long long run_lbs = 0, run_samples_per_gpu = 0;
};

struct ValidationRow {
  std::string run_id, quantity;
  std::string source;  // the measured-runs file the run comes from (file name)
  double measured = 0, predicted = 0;
  double tdp_baseline = 0, kwh_baseline = 0;  // NaN where a baseline has no prediction
  bool derived = false;                        // measured value derived (total = cpu / cpu share)
  double low = 0, high = 0;                    // prediction interval (NaN where none)
};

struct ZeusRow {
  std::string gpu;
  int batch_size = 0;
  double power_limit_w = 0;
  double time_measured_s = 0, time_predicted_s = 0;
  double power_measured_w = 0, power_predicted_w = 0;
  double time_low_s = 0, time_high_s = 0, power_low_w = 0, power_high_w = 0;  // intervals (NaN where none)
};

struct ValidationReport {
  bool leave_one_out = false;
  std::string calibration_file, calibration_id;
  std::vector<ValidationRow> rows;
  // quantity -> MAPE (fraction) for "ddpsim", "tdp_baseline", "kwh_per_gpuh_baseline"
  std::map<std::string, std::map<std::string, double>> mape;
  std::map<std::string, int> count;
  // With runs from several files: source file -> quantity -> (ddpsim MAPE, count).
  std::map<std::string, std::map<std::string, std::pair<double, int>>> mape_by_source;
  std::vector<ZeusRow> zeus;
  std::map<std::string, std::pair<double, double>> zeus_mape;  // gpu -> (time, power)
  double interval_level = 0;
  // "measured runs <quantity>", "zeus time_per_epoch_s", "zeus average_gpu_power_w" -> (inside, total)
  std::map<std::string, std::pair<int, int>> coverage;
};

ValidationReport run_validation(const ValidateInputs& in);
std::string validation_table(const ValidationReport& r);
std::string validation_json(const ValidationReport& r);
std::string validation_markdown(const ValidationReport& r);

}  // namespace ddpsim
