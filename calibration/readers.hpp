#pragma once
// Readers for what calibration learns from: published measured runs (YAML), Zeus power and
// training traces (CSV), nvidia-smi power logs (CSV), perun exports (JSON and text report) and
// the per-step timing CSV of experiments/capture/. All of them are liberal in what they accept
// (extra columns, other column order, CRLF line ends, blank lines) and strict about what they
// cannot use: malformed input throws ConfigError naming file:line, a missing file InputError.
// Values come out in SI units, each name carrying its unit.
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace ddpsim {

// ---------------------------------------------------------------------------------------------
// 1. Measured runs (experiments/reference/calibration-set.yaml)

struct MeasuredRun {
  std::string id, workload, phase;  // workload: catalog name or YAML file; phase "" = the workload's default phase
  std::string hardware;             // catalog name (a100, h100; the file may say a100-40gb-node) or YAML file
  std::string note;
  int gpus = 0;
  long long lbs = 0, gbs = 0;
  long long samples_per_gpu = 0;  // 0 = the full dataset (not scaled with the GPU count)
  int epochs = 0;                 // 0 = the phase's default
  double sigma = 0.0;             // relative uncertainty of the measured values; 0 = not given
  std::map<std::string, double> measured;  // key (unit in its name) -> value, see measured_keys()
  std::string measured_from;               // perun / nvidia-smi file the values come from ("" = none)
  std::string file;
  int line = 0;
};

struct MeasuredFact {
  std::string id, text;
  std::map<std::string, double> values;  // the file's value_<name> keys, keyed by <name>
  std::string file;
  int line = 0;
};

struct MeasuredSet {
  std::string source;
  std::vector<MeasuredRun> runs;
  std::vector<MeasuredFact> facts;
};

/// The keys accepted under a run's `measured:`; the unit is in the name (kwh, h, share = 0..1).
const std::vector<std::string>& measured_keys();
/// Catalog name of a hardware name of a measurement file (a100-40gb-node -> a100,
/// h100-94gb-node -> h100, a catalog name unchanged); InputError with a suggestion otherwise.
std::string hardware_catalog_name(const std::string& name);
/// Reads measured runs. A run's `workload` / `hardware` may be a YAML file (a value with '/' or
/// ending in .yaml; relative to the measured-runs file); `measured_from: FILE` (relative too)
/// takes the measured values from a perun JSON export, perun text report or nvidia-smi log
/// (measured_from_file), values under `measured:` add to or override them.
MeasuredSet read_measured_runs(const std::string& path);
/// Measured values of a run of `gpus` GPUs from a power-monitoring file, by extension: .json
/// perun export (runtime_h, energy_*_kwh, mean_gpu_power_w; means over the runs), .txt / .md
/// perun text report (the same, from the All row or the hosts summed, component energies as
/// mean power x runtime), .csv nvidia-smi log (mean_gpu_power_w over the GPUs logged;
/// energy_gpu_kwh if it logs all `gpus`). InputError for other extensions, ConfigError for a
/// file with nothing measured.
std::map<std::string, double> measured_from_file(const std::string& path, int gpus);
/// "perun-json", "perun-report", "nvidia-smi" or "" (not a measurement file), by extension.
std::string measured_file_kind(const std::string& path);
/// One measured run described on the command line (validate --measured FILE --workload ...):
/// id = the file name, values from measured_from_file.
MeasuredRun measured_run_from_file(const std::string& path, const std::string& workload, const std::string& hardware, int gpus,
                                   long long lbs, int epochs = 0, long long samples_per_gpu = 0);

// ---------------------------------------------------------------------------------------------
// 2. Zeus traces (ml-energy/zeus, NSDI'23): summary_power_<gpu>.csv and summary_train.csv

struct ZeusPoint {
  std::string gpu, dataset, network, optimizer;
  int batch_size = 0;
  double power_limit_w = 0, time_per_epoch_s = 0, average_power_w = 0;
  int line = 0;
};

/// Reads one power trace. `gpu` "" = taken from the file name summary_power_<gpu>.csv.
std::vector<ZeusPoint> read_zeus_power_csv(const std::string& path, const std::string& gpu = "");
/// Reads every summary_power_*.csv in `dir` (sorted by GPU name); InputError if there is none.
std::vector<ZeusPoint> read_zeus_dir(const std::string& dir);
/// The points of one (dataset, network) pair, e.g. ("imagenet", "resnet50"); "" matches any.
std::vector<ZeusPoint> filter_zeus(const std::vector<ZeusPoint>& points, std::string_view dataset,
                                   std::string_view network, std::string_view gpu = "");

struct ZeusTrainPoint {
  std::string dataset, network, optimizer;
  int batch_size = 0;
  double learning_rate = 0;
  int run = 0;
  double target_metric = 0;
  int target_epoch = 0;  // the epoch at which target_metric was reached; 0 = not reached ("nan")
  int line = 0;
};
std::vector<ZeusTrainPoint> read_zeus_train_csv(const std::string& path);

// ---------------------------------------------------------------------------------------------
// 3. nvidia-smi --query-gpu=timestamp,index,power.draw,utilization.gpu --format=csv[,noheader,nounits]

struct GpuSample {
  double time_s = 0;           // seconds since the first sample of the file
  int gpu = 0;                 // nvidia-smi index
  double power_w = 0;          // NaN where the reading was [N/A] / [Not Supported]
  double utilization_pct = 0;  // NaN where missing or not logged
  std::map<std::string, double> extra;  // other logged fields (power.limit, clocks.sm, ...) as
                                        // numbers in the unit nvidia-smi prints; missing = absent
  int line = 0;
};

struct GpuPowerLog {
  std::string file;
  std::string first_timestamp;     // as written, local time
  std::vector<GpuSample> samples;  // in file order; each carries its GPU index
  std::vector<std::string> columns;  // field names (units stripped), in file order
  std::vector<std::string> notes;    // '#' comment lines (e.g. the capture script's "no GPU" note)
  bool header = false;               // whether the file had a header row
  int missing_values = 0;            // [N/A] / [Not Supported] fields skipped
  std::vector<int> gpus() const;     // sorted distinct indices
};

struct GpuPowerSummary {
  int gpu = 0;
  std::size_t samples = 0;       // samples with a power reading
  double duration_s = 0;         // last - first sample with a power reading
  double mean_power_w = 0;       // mean of the readings (NaN if none)
  double energy_j = 0;           // trapezoidal rule over the readings
  double mean_utilization_pct = 0;  // NaN if not logged
};

/// Reads a log; a header row is optional (without one the columns are timestamp, index,
/// power.draw[, utilization.gpu]); units in values ("245.31 W", "98 %") are optional.
GpuPowerLog read_nvidia_smi_csv(const std::string& path);
/// One entry per GPU index, sorted.
std::vector<GpuPowerSummary> summarize(const GpuPowerLog& log);

// ---------------------------------------------------------------------------------------------
// 4. perun JSON export (perun export ... json)

struct PerunSummary {
  std::string id;      // the node's id (run: the run/round id; host: the host name)
  int type = 0;        // 3 run, 4 host, 6 sensor
  std::string run_id;  // for hosts: the enclosing run's id
  std::string host;    // for hosts: = id; for sensors: the enclosing host
  std::string group;   // for sensors: the device group (deviceType: cpu, gpu, ram, ...)
  // NaN where the node has no such metric.
  double runtime_s = 0;
  double energy_j = 0, cpu_energy_j = 0, gpu_energy_j = 0, dram_energy_j = 0;
  double power_w = 0, cpu_power_w = 0, gpu_power_w = 0, dram_power_w = 0;
  std::map<std::string, double> group_power_w;   // device group (cpu, gpu, ram, ...) -> mean power
  std::map<std::string, double> group_energy_j;  // device group -> energy
  std::map<std::string, double> metrics;         // every metric, physical value (value x mag)
  std::map<std::string, std::string> units;      // metric -> unit as written (J, W, s, B, %, ...)
  int line = 0;
};

struct PerunSeries {
  std::string run_id, host, group, sensor;
  std::string time_unit, value_unit;
  std::vector<double> time;    // timesteps x mag, as written (perun: seconds since the epoch)
  std::vector<double> values;  // values x mag (energy counters cumulative, power instantaneous)
  int line = 0;
};

struct PerunExport {
  std::string file;
  std::string app_id;
  std::vector<PerunSummary> runs;   // type 3 nodes, in file order
  std::vector<PerunSummary> hosts;  // type 4 nodes, in file order
  std::vector<PerunSummary> sensors;  // type 6 nodes (one device each, e.g. GPU-3), in file order
  std::vector<PerunSeries> series;  // sensors with raw_data
};

PerunExport read_perun_json(const std::string& path);

// ---------------------------------------------------------------------------------------------
// 5. perun text report (markdown-pipe table, or the older +----+ / ==== grid)

struct PerunReportRow {
  std::string run_id;
  int round = 0;
  std::string host;  // "All" for the row summing the hosts
  std::map<std::string, double> values;  // column (as in the header, e.g. ENERGY) -> SI value:
                                         // J, W, s, B; percentages as ratios (3.240 % -> 0.0324)
  int line = 0;
};

struct PerunReport {
  std::string file;
  std::string app_name;
  std::vector<PerunReportRow> rows;
};

PerunReport read_perun_report(const std::string& path);
/// Parses one report value such as "960.506 kJ", "1.404 kW", "55.258 GB", "3.240 %" to SI.
double parse_report_value(std::string_view text);

// ---------------------------------------------------------------------------------------------
// 6. Per-step timing CSV of experiments/capture/ddpsim_capture.py

struct StepRecord {
  int rank = 0;
  long long step = 0;
  double data_wait_s = 0, forward_s = 0, backward_s = 0, allreduce_wait_s = 0, optimizer_s = 0;
  int line = 0;
  double step_s() const { return data_wait_s + forward_s + backward_s + allreduce_wait_s + optimizer_s; }
};

struct StepMeans {
  std::size_t steps = 0;
  double data_wait_s = 0, forward_s = 0, backward_s = 0, allreduce_wait_s = 0, optimizer_s = 0;
  double step_s = 0;
};

struct StepSummary {
  std::map<int, StepMeans> ranks;  // per rank
  StepMeans overall;               // over all rows kept
  double data_wait_share = 0;      // sum of data waits / sum of step times
  double allreduce_wait_share = 0;  // exposed allreduce wait / step time
};

std::vector<StepRecord> read_step_csv(const std::string& path);
/// Means per rank and overall, leaving out the first `warmup_steps` steps of each rank (in step
/// order: the first steps pay for cuDNN autotuning, allocator growth and NCCL set-up).
StepSummary summarize_steps(const std::vector<StepRecord>& rows, long long warmup_steps = 0);

}  // namespace ddpsim
