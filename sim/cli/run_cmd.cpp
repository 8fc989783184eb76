// ddpsim run: one training run, its repeats, an optional power trace and prediction interval.
#include "sim/cli/run_cmd.hpp"

#include <boost/program_options.hpp>

#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "hwmodels/collectives.hpp"
#include "sim/cli/cli_options.hpp"
#include "sim/core/atomic_file.hpp"
#include "sim/core/errors.hpp"
#include "sim/core/limits.hpp"
#include "sim/core/units.hpp"
#include "sim/output/gpu_trace.hpp"
#include "sim/output/power_trace.hpp"
#include "sim/output/report.hpp"
#include "sim/output/site.hpp"
#include "sim/provenance/calibration_file.hpp"
#include "sim/run/training_run.hpp"
#include "sim/uncertainty/interval.hpp"

namespace po = boost::program_options;

namespace ddpsim {
namespace {

using cli::parse;
using cli::parse_positive;

po::options_description run_options() {
  po::options_description desc("ddpsim run: simulate one data-parallel training run\n\noptions");
  desc.add_options()
      ("help,h", "this help")
      ("workload", po::value<std::string>(), "workload: resnet50 | fourcastnet (or a workload YAML file)")
      ("phase", po::value<std::string>()->default_value(""), "training phase (fourcastnet: pretrain | finetune)")
      ("hardware", po::value<std::string>(), "node type: a100 | h100 (or a hardware YAML file)")
      ("gpus", po::value<std::string>(), "number of GPUs n")
      ("lbs", po::value<std::string>(), "local batch size per GPU (give two of --gpus/--lbs/--gbs with GBS = n x LBS)")
      ("gbs", po::value<std::string>(), "global batch size")
      ("epochs", po::value<std::string>(), "epochs (default: the phase's, e.g. 100 for resnet50)")
      ("target", po::value<std::string>(), "train to a target metric, METRIC=VALUE (e.g. top1=0.72; 'ddpsim list workloads'): the epochs follow the large-batch model at this GBS (replaces --epochs)")
      ("samples-per-gpu", po::value<std::string>(), "scale the training set with n: samples per GPU (weak scaling)")
      ("seed", po::value<std::string>()->default_value("1"), "random seed (compute jitter)")
      ("repeats", po::value<std::string>()->default_value("1"), "repeat with seeds seed, seed+1, ...; report mean and std")
      ("calibration", po::value<std::string>(), "calibration YAML (default: the shipped calibration/default.yaml)")
      ("set", po::value<std::vector<std::string>>()->composing(), "override a parameter: --set name=value (repeatable; see 'ddpsim list params')")
      ("nics-per-node", po::value<std::string>(), "fabric what-if: InfiniBand adapters per node (node.nics)")
      ("link-gbit", po::value<std::string>(), "fabric what-if: adapter and leaf-spine link speed in Gbit/s (200 = HDR, 400 = NDR)")
      ("blocking-factor", po::value<std::string>(), "fabric what-if: leaf down:up ratio, 2 = 2:1 oversubscribed (fabric.blocking_factor)")
      ("algorithm", po::value<std::string>(), "allreduce algorithm: auto | ring | tree | hierarchical (nccl.algorithm)")
      ("fast-forward", po::value<std::string>()->implicit_value("3"), "simulate K epochs (default 3) and extrapolate the rest (steady state)")
      ("rank-classes", "simulate one node whose ranks each stand for the same local rank of every node, with each step's "
       "stragglers drawn from the order statistics of the compute jitter (exact without jitter; for very large n)")
      ("explain", "print where every calibrated value of the run comes from (fit, transfer, prior, default) and exit")
      ("interval", po::value<std::string>(), "prediction interval at this level in percent, e.g. 90: the calibration's parameter covariance "
       "propagated through the simulator plus the model discrepancy (table: value [low, high]; JSON: interval)")
      ("interval-samples", po::value<std::string>(), "propagate the covariance by K Monte-Carlo draws instead of sigma points")
      ("power-trace", po::value<std::string>(), "write the simulated power timeline (first repeat) to this file")
      ("trace-format", po::value<std::string>()->default_value("wide"),
       "power trace format: wide (CSV: relative time_s, component totals, the GPUs of node 0) | nvidia-smi (long CSV "
       "as nvidia-smi --query-gpu=timestamp,index,power.draw,utilization.gpu --format=csv writes it, one row per GPU "
       "per sample, index = global rank) | perun (perun-like JSON export: energy per host, device group and GPU)")
      ("trace-nodes", po::value<std::string>(), "nvidia-smi/perun traces: only the GPUs of these nodes, e.g. 0,3 (default: every node)")
      ("start", po::value<std::string>(), "nvidia-smi/perun traces: absolute time of the run's start, ISO 8601 UTC (default: site.start_time if set, else 1970-01-01T00:00:00Z)")
      ("sample-interval", po::value<std::string>()->default_value("1s"), "power trace sampling interval, e.g. 1s, 100ms")
      ("gpu-sensor", po::value<std::string>()->default_value("mean"),
       "GPU columns of the power trace: mean (exact interval means) or nvml (what the GPU's power sensor reports at "
       "each sample: instantaneous or averaged over gpu.power_sensor_window, as perun records it)")
      ("format", po::value<std::string>()->default_value("table"), "output format: table | json");
  return desc;
}

// The repeats' mean of what an interval is centred on.
RunResult mean_result(const std::vector<RunResult>& runs) {
  RunResult m = runs.front();
  const double k = static_cast<double>(runs.size());
  m.runtime_s = m.gpu_hours = m.energy_total_j = m.mean_gpu_power_w = 0;
  for (double& e : m.energy_j) e = 0;
  for (const auto& r : runs) {
    m.runtime_s += r.runtime_s / k;
    m.gpu_hours += r.gpu_hours / k;
    m.energy_total_j += r.energy_total_j / k;
    m.mean_gpu_power_w += r.mean_gpu_power_w / k;
    for (int c = 0; c < kComponents; ++c) m.energy_j[c] += r.energy_j[c] / k;
  }
  return m;
}

std::uint64_t parse_seed(const std::string& t) {
  std::size_t pos = 0;
  unsigned long long seed = 0;
  try {
    seed = std::stoull(t, &pos);
  } catch (...) {
    pos = 0;
  }
  if (pos != t.size() || t.empty() || t[0] == '-') throw InputError("--seed must be a non-negative integer (got '" + t + "')");
  return seed;
}

// The run's configuration from the flags; the fabric what-if flags become parameter overrides.
RunConfig run_config(const po::variables_map& vm) {
  for (const char* req : {"workload", "hardware", "gpus"}) {
    if (!vm.count(req)) throw InputError(std::string("missing --") + req + " (see 'ddpsim run --help')");
  }
  RunConfig cfg;
  cfg.workload = vm["workload"].as<std::string>();
  cfg.hardware = vm["hardware"].as<std::string>();
  cfg.phase = vm["phase"].as<std::string>();
  cfg.gpus = static_cast<int>(parse_bounded_positive("--gpus", vm["gpus"].as<std::string>(), Limit::kGpus));
  if (vm.count("lbs")) cfg.lbs = parse_positive("--lbs", vm["lbs"].as<std::string>());
  if (vm.count("gbs")) cfg.gbs = parse_positive("--gbs", vm["gbs"].as<std::string>());
  if (vm.count("epochs")) cfg.epochs = static_cast<int>(parse_bounded_positive("--epochs", vm["epochs"].as<std::string>(), Limit::kEpochs));
  if (vm.count("target")) parse_target(vm["target"].as<std::string>(), cfg);
  if (vm.count("samples-per-gpu")) cfg.samples_per_gpu = parse_positive("--samples-per-gpu", vm["samples-per-gpu"].as<std::string>());
  cfg.seed = parse_seed(vm["seed"].as<std::string>());
  cfg.repeats = static_cast<int>(parse_bounded_positive("--repeats", vm["repeats"].as<std::string>(), Limit::kRepeats));
  if (vm.count("calibration")) cfg.calibration = vm["calibration"].as<std::string>();
  if (vm.count("set")) {
    for (const auto& kv : vm["set"].as<std::vector<std::string>>()) {
      auto eq = kv.find('=');
      if (eq == std::string::npos || eq == 0) throw InputError("--set expects name=value (got '" + kv + "')");
      cfg.overrides.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
    }
  }
  if (vm.count("fast-forward")) {
    cfg.fast_forward_epochs = static_cast<int>(parse_bounded_positive("--fast-forward", vm["fast-forward"].as<std::string>(), Limit::kEpochs));
    if (vm.count("power-trace")) throw InputError("--power-trace needs full fidelity: drop --fast-forward");
  }
  if (vm.count("rank-classes")) {
    cfg.rank_classes = true;
    if (vm.count("power-trace")) throw InputError("--power-trace records every node's GPUs: drop --rank-classes");
  }
  if (vm.count("nics-per-node")) cfg.overrides.emplace_back("node.nics", std::to_string(parse_positive("--nics-per-node", vm["nics-per-node"].as<std::string>())));
  if (vm.count("link-gbit")) {
    std::string gbit = vm["link-gbit"].as<std::string>() + " Gbit/s";
    cfg.overrides.emplace_back("nic.bandwidth", gbit);
    cfg.overrides.emplace_back("fabric.link_bandwidth", gbit);
  }
  if (vm.count("blocking-factor")) cfg.overrides.emplace_back("fabric.blocking_factor", vm["blocking-factor"].as<std::string>());
  if (vm.count("algorithm")) {
    parse_algorithm(vm["algorithm"].as<std::string>());  // checks the name, with a suggestion
    cfg.overrides.emplace_back("nccl.algorithm", vm["algorithm"].as<std::string>());
  }
  return cfg;
}

// What --power-trace and its companion flags ask for, checked before anything is simulated.
struct TraceRequest {
  std::string path;  // "" = no trace
  TraceFormat format = TraceFormat::Wide;
  double interval_s = 1;
  bool nvml_sensor = false;  // --gpu-sensor nvml
  bool start_given = false;
  double start_unix_s = 0;
  std::optional<std::string> nodes;  // --trace-nodes, parsed once the node count is known
};

TraceRequest trace_request(const po::variables_map& vm) {
  TraceRequest t;
  try {
    t.interval_s = parse_duration_s(vm["sample-interval"].as<std::string>());
  } catch (const InputError& e) {
    throw InputError(std::string("--sample-interval: ") + e.what());
  }
  if (t.interval_s <= 0) throw InputError("--sample-interval must be positive");
  const std::string gpu_sensor = vm["gpu-sensor"].as<std::string>();
  if (gpu_sensor != "mean" && gpu_sensor != "nvml") throw InputError("--gpu-sensor must be mean or nvml, not '" + gpu_sensor + "'");
  t.nvml_sensor = gpu_sensor == "nvml";
  t.format = parse_trace_format(vm["trace-format"].as<std::string>());
  if (!vm.count("power-trace")) {
    for (const char* opt : {"trace-nodes", "start"}) {
      if (vm.count(opt)) throw InputError(std::string("--") + opt + " needs --power-trace");
    }
    if (!vm["trace-format"].defaulted()) throw InputError("--trace-format needs --power-trace");
  } else {
    t.path = vm["power-trace"].as<std::string>();
  }
  if (t.format == TraceFormat::Wide) {
    for (const char* opt : {"trace-nodes", "start"}) {
      if (vm.count(opt)) throw InputError(std::string("--") + opt + " applies to --trace-format nvidia-smi or perun");
    }
  }
  if (vm.count("start")) {
    t.start_given = true;
    try {
      t.start_unix_s = parse_iso8601_utc(vm["start"].as<std::string>());
    } catch (const InputError& e) {
      throw InputError(std::string("--start: ") + e.what());
    }
  }
  if (vm.count("trace-nodes")) t.nodes = vm["trace-nodes"].as<std::string>();
  return t;
}

// The first repeat, writing the power trace the request names.
RunResult simulate_traced(const Scenario& s, std::uint64_t seed, const TraceRequest& t, const std::vector<int>& nodes, std::ostream& out) {
  const double window_s = t.nvml_sensor ? s.hw.p(kGpuSensorWindow) : -1.0;
  if (t.format == TraceFormat::Wide) {
    PowerTraceWriter writer(out, t.interval_s, std::min(s.gpus, s.gpus_per_node), window_s);
    return simulate(s, seed, &writer);
  }
  GpuTraceOptions o;
  o.format = t.format;
  o.interval_s = t.interval_s;
  o.sensor_window_s = window_s;
  o.gpus = s.gpus;
  o.gpus_per_node = s.gpus_per_node;
  o.nodes = s.nodes;
  o.trace_nodes = nodes;
  // --set site.start_time=... when --start is not given.
  o.start_unix_s = t.start_given || s.site.start_time.empty() ? t.start_unix_s : s.site.start_time_s;
  o.app_id = s.wl.name;
  GpuTraceWriter writer(out, o);
  return simulate(s, seed, &writer);
}

// Every repeat (seeds seed, seed + 1, ...); the trace goes to a temporary beside its file, renamed
// when the run succeeded.
std::vector<RunResult> simulate_repeats(const Scenario& s, const RunConfig& cfg, const TraceRequest& t) {
  std::vector<int> nodes;  // parsed now: bad input before any simulation
  if (t.nodes) nodes = parse_node_list("--trace-nodes", *t.nodes, s.nodes);
  std::vector<RunResult> runs;
  std::optional<AtomicOutput> trace;
  if (!t.path.empty()) trace.emplace(t.path, "--power-trace");
  for (int k = 0; k < cfg.repeats; ++k) {
    const std::uint64_t seed = cfg.seed + static_cast<std::uint64_t>(k);
    runs.push_back(k == 0 && trace ? simulate_traced(s, seed, t, nodes, trace->stream()) : simulate(s, seed));
  }
  if (trace) trace->commit();
  return runs;
}

}  // namespace

int cmd_run(const std::vector<std::string>& args) {
  po::options_description desc = run_options();
  auto vm = parse(args, desc);
  if (vm.count("help")) {
    std::cout << desc << "\nexample:\n  ddpsim run --workload resnet50 --hardware a100 --gpus 4 --lbs 256 --format json\n"
                         "  ddpsim run --workload resnet50 --hardware a100 --gpus 32 --lbs 256 --target top1=0.72 --fast-forward\n";
    return 0;
  }
  const RunConfig cfg = run_config(vm);
  const std::string format = vm["format"].as<std::string>();
  if (format != "table" && format != "json") throw InputError("--format must be table or json (got '" + format + "')");
  const TraceRequest trace = trace_request(vm);
  double interval_level = 0;
  int interval_samples = 0;
  if (vm.count("interval")) interval_level = parse_interval_level(vm["interval"].as<std::string>());
  if (vm.count("interval-samples")) {
    if (!vm.count("interval")) throw InputError("--interval-samples needs --interval");
    interval_samples = static_cast<int>(parse_bounded_positive("--interval-samples", vm["interval-samples"].as<std::string>(), Limit::kRepeats));
  }

  Scenario s = resolve_scenario(cfg);
  // No silent fallback: a transferred or default calibration is said once, on stderr.
  for (const auto& w : s.calibration_warnings) std::cerr << "ddpsim: warning: " << escape_controls(w) << "\n";
  if (vm.count("explain")) {
    std::cout << provenance_table(s);
    return 0;
  }
  const std::vector<RunResult> runs = simulate_repeats(s, cfg, trace);
  std::optional<IntervalResult> interval;
  if (interval_level > 0) {
    IntervalOptions io;
    io.level = interval_level;
    io.samples = interval_samples;
    io.seed = cfg.seed;
    Calibration cal = load_calibration(s.calibration_file.empty() ? default_calibration_path() : s.calibration_file);
    interval = predict_interval(cfg, cal, mean_result(runs), io);
    for (const auto& n : interval->notes) std::cerr << "ddpsim: warning: interval: " << n << "\n";
  }
  const IntervalResult* iv = interval ? &*interval : nullptr;
  std::cout << (format == "json" ? result_json(s, runs, true, iv) : result_table(s, runs, iv));
  return 0;
}

}  // namespace ddpsim
