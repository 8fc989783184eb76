// ddpsim command-line tool. Only main() maps exceptions to exit codes:
//   0 success, 1 failure at run time, 2 bad input (flags, values, files).
#include <boost/program_options.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "hwmodels/collectives.hpp"
#include "hwmodels/hardware.hpp"
#include "sim/provenance/calibration_file.hpp"
#include "sim/output/collective_report.hpp"
#include "sim/cli/bench.hpp"
#include "sim/cli/calibration_cmds.hpp"
#include "sim/cli/cli_options.hpp"
#include "sim/cli/db_commands.hpp"
#include "sim/core/atomic_file.hpp"
#include "sim/core/errors.hpp"
#include "sim/core/limits.hpp"
#include "sim/core/table.hpp"
#include "sim/core/units.hpp"
#include "sim/output/gpu_trace.hpp"
#include "sim/run/large_batch.hpp"
#include "sim/output/power_trace.hpp"
#include "sim/output/report.hpp"
#include "sim/uncertainty/interval.hpp"
#include "sim/run/training_run.hpp"
#include "workloads/workload.hpp"

namespace po = boost::program_options;
using namespace ddpsim;
using ddpsim::cli::parse;
using ddpsim::cli::parse_positive;

namespace {

const std::vector<std::string> kCommands = {"run", "collective", "sweep", "merge", "query", "check", "calibrate", "validate", "list", "bench", "version", "help"};

const char* kUsage =
    "ddpsim - discrete-event simulator of data-parallel neural-network training:\n"
    "predicts training time, GPU hours and energy (GPU, CPU, RAM) on GPU clusters.\n\n"
    "usage: ddpsim <command> [options]\n\n"
    "commands:\n"
    "  run         simulate one training run and report time, GPU hours and energy\n"
    "  collective  allreduce time and bus bandwidth on the fabric (like nccl-tests)\n"
    "  sweep       run a what-if sweep file into a results database (parallel, resumable)\n"
    "  merge       combine results databases (e.g. the shards of a sweep)\n"
    "  query       SQL or canned questions (--best, --pareto, --scaling) on a results database\n"
    "  check       verify a results database (integrity_check, the checksum of every stored result)\n"
    "  calibrate   fit the model to measured runs and traces, write a calibration file\n"
    "  validate    measured vs predicted (leave-one-out), with two baseline estimators\n"
    "  list        list hardware, workloads or every model parameter\n"
    "  bench       engine throughput and wall time of reference runs\n"
    "  version     print the version\n"
    "  help        this text; 'ddpsim <command> --help' describes a command\n\n"
    "exit codes: 0 ok, 1 failure at run time, 2 bad input\n";

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

int cmd_run(const std::vector<std::string>& args) {
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
  auto vm = parse(args, desc);
  if (vm.count("help")) {
    std::cout << desc << "\nexample:\n  ddpsim run --workload resnet50 --hardware a100 --gpus 4 --lbs 256 --format json\n"
                         "  ddpsim run --workload resnet50 --hardware a100 --gpus 32 --lbs 256 --target top1=0.72 --fast-forward\n";
    return 0;
  }
  for (const char* req : {"workload", "hardware", "gpus"}) {
    if (!vm.count(req)) throw InputError(std::string("missing --") + req + " (see 'ddpsim run --help')");
  }
  std::string format = vm["format"].as<std::string>();
  if (format != "table" && format != "json") throw InputError("--format must be table or json (got '" + format + "')");

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
  {
    const std::string& t = vm["seed"].as<std::string>();
    std::size_t pos = 0;
    unsigned long long seed = 0;
    try {
      seed = std::stoull(t, &pos);
    } catch (...) {
      pos = 0;
    }
    if (pos != t.size() || t.empty() || t[0] == '-') throw InputError("--seed must be a non-negative integer (got '" + t + "')");
    cfg.seed = seed;
  }
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
  double interval_s = 0;
  try {
    interval_s = parse_duration_s(vm["sample-interval"].as<std::string>());
  } catch (const InputError& e) {
    throw InputError(std::string("--sample-interval: ") + e.what());
  }
  if (interval_s <= 0) throw InputError("--sample-interval must be positive");
  const std::string gpu_sensor = vm["gpu-sensor"].as<std::string>();
  if (gpu_sensor != "mean" && gpu_sensor != "nvml") {
    throw InputError("--gpu-sensor must be mean or nvml, not '" + gpu_sensor + "'");
  }

  const TraceFormat trace_format = parse_trace_format(vm["trace-format"].as<std::string>());
  if (!vm.count("power-trace")) {
    for (const char* opt : {"trace-nodes", "start"}) {
      if (vm.count(opt)) throw InputError(std::string("--") + opt + " needs --power-trace");
    }
    if (!vm["trace-format"].defaulted()) throw InputError("--trace-format needs --power-trace");
  }
  if (trace_format == TraceFormat::Wide) {
    for (const char* opt : {"trace-nodes", "start"}) {
      if (vm.count(opt)) throw InputError(std::string("--") + opt + " applies to --trace-format nvidia-smi or perun");
    }
  }
  double start_unix_s = 0;
  if (vm.count("start")) {
    try {
      start_unix_s = parse_iso8601_utc(vm["start"].as<std::string>());
    } catch (const InputError& e) {
      throw InputError(std::string("--start: ") + e.what());
    }
  }

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
  if (!vm.count("start") && !s.site.start_time.empty()) start_unix_s = s.site.start_time_s;  // --set site.start_time=...
  std::vector<int> trace_nodes;
  if (vm.count("trace-nodes")) trace_nodes = parse_node_list("--trace-nodes", vm["trace-nodes"].as<std::string>(), s.nodes);
  std::vector<RunResult> runs;
  // The trace goes to a temporary beside it, renamed when the run succeeded.
  std::optional<AtomicOutput> trace;
  if (vm.count("power-trace")) trace.emplace(vm["power-trace"].as<std::string>(), "--power-trace");
  for (int k = 0; k < cfg.repeats; ++k) {
    std::uint64_t seed = cfg.seed + static_cast<std::uint64_t>(k);
    if (k == 0 && trace) {
      double window_s = gpu_sensor == "nvml" ? s.hw.p(kGpuSensorWindow) : -1.0;
      if (trace_format == TraceFormat::Wide) {
        PowerTraceWriter writer(trace->stream(), interval_s, std::min(s.gpus, s.gpus_per_node), window_s);
        runs.push_back(simulate(s, seed, &writer));
      } else {
        GpuTraceOptions o;
        o.format = trace_format;
        o.interval_s = interval_s;
        o.sensor_window_s = window_s;
        o.gpus = s.gpus;
        o.gpus_per_node = s.gpus_per_node;
        o.nodes = s.nodes;
        o.trace_nodes = trace_nodes;
        o.start_unix_s = start_unix_s;
        o.app_id = s.wl.name;
        GpuTraceWriter writer(trace->stream(), o);
        runs.push_back(simulate(s, seed, &writer));
      }
    } else {
      runs.push_back(simulate(s, seed));
    }
  }
  if (trace) trace->commit();
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

int cmd_collective(const std::vector<std::string>& args) {
  po::options_description desc("ddpsim collective: allreduce time and bandwidth on the fabric (like nccl-tests)\n\noptions");
  desc.add_options()
      ("help,h", "this help")
      ("hardware", po::value<std::string>()->default_value("a100"), "node type: a100 | h100 (or a hardware YAML file)")
      ("gpus", po::value<std::string>(), "number of GPUs (whole nodes beyond one node)")
      ("bytes", po::value<std::string>(), "message size, e.g. 25MB")
      ("sweep-bytes", po::value<std::string>(), "sizes FROM..TO in powers of two, or 'FROM..TO xK' (quoted) with factor K, e.g. 8B..1GiB")
      ("algorithm", po::value<std::string>()->default_value(""), "ring | tree | hierarchical | auto (default: nccl.algorithm)")
      ("protocol", po::value<std::string>()->default_value(""), "LL | LL128 | Simple | auto (default: nccl.protocol)")
      ("calibration", po::value<std::string>(), "calibration YAML (default: the shipped one)")
      ("set", po::value<std::vector<std::string>>()->composing(), "override a hardware or node calibration parameter: --set name=value")
      ("format", po::value<std::string>()->default_value("table"),
       "table | json | nccl-tests (all_reduce_perf's output, read by nccl-tests log parsers)");
  auto vm = parse(args, desc);
  if (vm.count("help")) {
    std::cout << desc << "\nexamples:\n  ddpsim collective --hardware a100 --gpus 16 --bytes 25MB --format json\n"
                         "  ddpsim collective --hardware a100 --gpus 32 --sweep-bytes 8B..1GiB\n";
    return 0;
  }
  if (!vm.count("gpus")) throw InputError("missing --gpus (see 'ddpsim collective --help')");
  if (vm.count("bytes") == vm.count("sweep-bytes")) throw InputError("give exactly one of --bytes and --sweep-bytes");
  std::string format = vm["format"].as<std::string>();
  if (format != "table" && format != "json" && format != "nccl-tests") {
    throw InputError("--format must be table, json or nccl-tests (got " + quote_user(format) + ")");
  }
  CollectiveQuery q;
  q.hardware = vm["hardware"].as<std::string>();
  q.gpus = static_cast<int>(parse_bounded_positive("--gpus", vm["gpus"].as<std::string>(), Limit::kGpus));
  if (vm.count("bytes")) {
    try {
      q.sizes_bytes = {parse_quantity(vm["bytes"].as<std::string>(), Dim::Data)};
    } catch (const InputError& e) {
      throw InputError(std::string("--bytes: ") + e.what());
    }
    if (q.sizes_bytes.front() <= 0) throw InputError("--bytes must be positive");
  } else {
    q.sizes_bytes = parse_size_range(vm["sweep-bytes"].as<std::string>());
  }
  q.algorithm = vm["algorithm"].as<std::string>();
  q.protocol = vm["protocol"].as<std::string>();
  if (!q.algorithm.empty()) parse_algorithm(q.algorithm);
  if (!q.protocol.empty()) parse_protocol(q.protocol);
  if (vm.count("calibration")) q.calibration = vm["calibration"].as<std::string>();
  if (vm.count("set")) {
    for (const auto& kv : vm["set"].as<std::vector<std::string>>()) {
      auto eq = kv.find('=');
      if (eq == std::string::npos || eq == 0) throw InputError("--set expects name=value (got '" + kv + "')");
      q.overrides.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
    }
  }
  CollectiveReport rep = run_collectives(q);
  for (const auto& w : rep.warnings) std::cerr << "ddpsim: warning: " << escape_controls(w) << "\n";
  std::cout << (format == "json"         ? collective_json(rep, vm.count("bytes") > 0)
                : format == "nccl-tests" ? collective_nccl_tests(rep)
                                         : collective_table(rep));
  return 0;
}

// One catalog parameter: name, value, citation (list hardware / workloads).
void print_param_row(const ParamSet& set, std::size_t i) {
  fmt::print("    {} {} {}\n", pad(std::string(set.table().spec(i).name), 28, Align::kLeft), pad(set.format(i), 14, Align::kLeft), set.citation(i));
}

void print_params(const ParamTable& t, const char* where) {
  fmt::print("\n[{}] {}\n", t.scope(), where);
  for (const auto& sp : t.specs()) {
    std::string unit = dim_si_unit(sp.dim);
    std::string range = sp.dim == Dim::Choice ? std::string(sp.choices)
                        : sp.dim == Dim::Flag ? "true|false"
                                              : format_param_value(sp, sp.min_si) + " .. " + format_param_value(sp, sp.max_si);
    fmt::print("  {} {} default {} range {} {}  [source: {}]\n", pad(std::string(sp.name), 32, Align::kLeft),
               pad(std::string(dim_name(sp.dim)) + (unit.empty() ? "" : " (" + unit + ")"), 12, Align::kLeft),
               pad(format_param_value(sp, sp.default_si), 14, Align::kLeft), pad(range, 28, Align::kLeft), sp.help, sp.source);
  }
}

int cmd_list(const std::vector<std::string>& args) {
  po::options_description desc("ddpsim list {hardware|workloads|params}: list what the simulator knows\n\noptions");
  desc.add_options()("help,h", "this help")("what", po::value<std::string>(), "hardware | workloads | params");
  po::positional_options_description pos;
  pos.add("what", 1);
  auto vm = parse(args, desc, &pos);
  if (vm.count("help")) {
    std::cout << desc;
    return 0;
  }
  if (!vm.count("what")) throw InputError("ddpsim list needs one of: hardware, workloads, params");
  std::string what = vm["what"].as<std::string>();
  if (what == "hardware") {
    for (const auto& name : list_hardware()) {
      HardwareSpec hw = load_hardware(name);
      fmt::print("{} {}\n", pad(name, 8, Align::kLeft), hw.description);
      for (std::size_t i = 0; i < hw.params.table().size(); ++i) print_param_row(hw.params, i);
    }
  } else if (what == "workloads") {
    for (const auto& name : list_workloads()) {
      WorkloadSpec w = load_workload(name);
      std::string phases;
      for (const auto& ph : w.phases) phases += (phases.empty() ? "" : ", ") + ph.name + " (" + std::to_string(ph.epochs()) + " epochs)";
      fmt::print("{} {}\n    phases: {}\n", pad(name, 12, Align::kLeft), w.description, phases);
      if (!w.target.name.empty()) {
        fmt::print("    target metric: {} ({} is better, perfect value {:.6g}; run --target {}=VALUE)\n", w.target.name,
                   w.target.higher_is_better ? "higher" : "lower", w.target.bound, w.target.name);
      }
      for (std::size_t i = 0; i < w.params.table().size(); ++i) print_param_row(w.params, i);
    }
  } else if (what == "params") {
    fmt::print("Every model parameter, declared once (name, dimension and SI unit, default, valid range, help, source).\n"
               "YAML values carry units (\"400 W\", \"200 Gbit/s\", \"25 MB\"); 'ddpsim run --set name=value' overrides any.\n");
    print_params(hardware_param_table(), "hwmodels/catalog/<hardware>.yaml: params");
    print_params(workload_param_table(), "workloads/catalog/<workload>.yaml: params");
    print_params(phase_param_table(), "workloads/catalog/<workload>.yaml: phases.<phase>");
    print_params(node_calibration_table(), "calibration file: hardware.<hardware>");
    print_params(workload_calibration_table(), "calibration file: workloads.<workload>.<hardware>");
    print_params(large_batch_table(), "calibration file: large_batch.<workload>.<phase> (run --target; README 'Epochs to a target')");
    fmt::print("\nlimits (bounds on every size a user controls; above them a clear error, exit 2):\n");
    for (std::size_t i = 0; i < limit_count(); ++i) {
      const LimitSpec& l = limit_spec_at(i);
      fmt::print("  {} {:>12}  {}\n", pad(std::string(l.name), 34, Align::kLeft), l.value, l.help);
    }
    print_params(site_param_table(), "--set site.<name>=value (run) or set: (sweeps); user inputs, see README 'Carbon and cost'");
    for (const auto& tp : site_text_params()) {
      fmt::print("  {} {} default {} {}\n", pad(std::string(tp.name), 32, Align::kLeft), pad("text", 12, Align::kLeft),
                 pad(tp.default_value.empty() ? std::string("(none)") : std::string(tp.default_value), 14, Align::kLeft), tp.help);
    }
  } else {
    throw InputError("cannot list '" + what + "'" + did_you_mean(what, std::vector<std::string>{"hardware", "workloads", "params"}) +
                     "; choose hardware, workloads or params");
  }
  return 0;
}

int cmd_bench(const std::vector<std::string>& args) {
  po::options_description desc("ddpsim bench: engine throughput and reference-run wall times\n\noptions");
  desc.add_options()("help,h", "this help")("format", po::value<std::string>()->default_value("table"), "table | json")(
      "quick", "short version (fewer events, 1/20 of the epochs) for smoke tests");
  auto vm = parse(args, desc);
  if (vm.count("help")) {
    std::cout << desc;
    return 0;
  }
  std::string format = vm["format"].as<std::string>();
  if (format != "table" && format != "json") throw InputError("--format must be table or json");
  std::cout << run_bench(format, vm.count("quick") > 0);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    if (args.empty() || args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
      std::cout << kUsage;
      return args.empty() ? 2 : 0;
    }
    if (args[0] == "version" || args[0] == "--version") {
      std::cout << "ddpsim " << DDPSIM_VERSION << "\n";
      return 0;
    }
    std::string cmd = args[0];
    std::vector<std::string> rest(args.begin() + 1, args.end());
    if (cmd == "run") return cmd_run(rest);
    if (cmd == "collective") return cmd_collective(rest);
    if (cmd == "calibrate") return cmd_calibrate(rest);
    if (cmd == "validate") return cmd_validate(rest);
    if (cmd == "list") return cmd_list(rest);
    if (cmd == "bench") return cmd_bench(rest);
    if (cmd == "sweep") return cli::cmd_sweep(rest);
    if (cmd == "merge") return cli::cmd_merge(rest);
    if (cmd == "query") return cli::cmd_query(rest);
    if (cmd == "check") return cli::cmd_check(rest);
    throw InputError("unknown command " + quote_user(cmd) + did_you_mean(cmd, kCommands) + " (see 'ddpsim help')");
  } catch (const InputError& e) {
    std::cerr << "ddpsim: error: " << escape_controls(e.what()) << "\n";
    return 2;
  } catch (const Error& e) {
    std::cerr << "ddpsim: failed: " << escape_controls(e.what()) << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "ddpsim: failed: " << escape_controls(e.what()) << "\n";
    return 1;
  }
}
