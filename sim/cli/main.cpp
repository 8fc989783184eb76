// ddpsim command-line tool. Only main() maps exceptions to exit codes:
//   0 success, 1 failure at run time, 2 bad input (flags, values, files).
#include <boost/program_options.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
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
#include "sim/cli/run_cmd.hpp"
#include "sim/core/errors.hpp"
#include "sim/core/limits.hpp"
#include "sim/core/table.hpp"
#include "sim/core/units.hpp"
#include "sim/run/large_batch.hpp"
#include "sim/output/report.hpp"
#include "sim/run/training_run.hpp"
#include "workloads/workload.hpp"

namespace po = boost::program_options;
using namespace ddpsim;
using ddpsim::cli::parse;

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
