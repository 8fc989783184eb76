// `ddpsim calibrate` and `ddpsim validate`.
#include "sim/cli/calibration_cmds.hpp"

#include <boost/program_options.hpp>

#include <chrono>
#include <filesystem>
#include <iostream>

#include "calibration/readers.hpp"
#include "calibration/stages.hpp"
#include "calibration/validate.hpp"
#include "sim/uncertainty/interval.hpp"
#include "calibration/zeus_transfer.hpp"
#include "sim/cli/cli_options.hpp"
#include "sim/core/atomic_file.hpp"
#include "sim/core/errors.hpp"

namespace po = boost::program_options;

namespace ddpsim {

int cmd_calibrate(const std::vector<std::string>& args) {
  po::options_description desc(
      "ddpsim calibrate: fit the model to measured runs and traces, write a calibration YAML\n\noptions");
  desc.add_options()("help,h", "this help")(
      "measured", po::value<std::vector<std::string>>()->multitoken(), "measured-runs YAML file(s) (calibration-set.yaml shape)")(
      "traces", po::value<std::vector<std::string>>()->multitoken(),
      "trace folder(s): Zeus summary_power_<gpu>.csv files, or capture folders of experiments/capture (meta.yaml + steps.csv)")(
      "workload", po::value<std::string>(), "capture folders: the captured workload (catalog name or YAML file; default: meta.yaml's name)")(
      "hardware", po::value<std::string>(), "capture folders: the machine they ran on (catalog name or YAML file; default: meta.yaml's name)")(
      "calibration", po::value<std::string>(),
      "calibration YAML to start from and keep (default: the shipped one when the only inputs are capture folders, else the priors)")(
      "priors", po::value<std::string>(), "priors YAML (default: calibration/priors.yaml)")(
      "out", po::value<std::string>(), "calibration YAML to write")(
      "max-iterations", po::value<int>()->default_value(40), "Levenberg-Marquardt iterations per fit")(
      "leave-one-out", "also refit without each measured run: the held-out errors become the model discrepancy that run --interval adds");
  auto vm = cli::parse(args, desc);
  if (vm.count("help")) {
    std::cout << desc
              << "\nThe shipped calibration is made by:\n  ddpsim calibrate --measured experiments/reference/calibration-set.yaml "
                 "experiments/reference/derived-runs.yaml --traces experiments/reference/zeus-nsdi23 --leave-one-out --out calibration/default.yaml\n"
                 "\nFrom one's own capture (experiments/capture), on top of the shipped calibration:\n"
                 "  ddpsim calibrate --traces CAPTURE_DIR... [--workload FILE] [--hardware FILE] --out mine.yaml\n";
    return 0;
  }
  if (!vm.count("out")) throw InputError("missing --out FILE (see 'ddpsim calibrate --help')");
  if (!vm.count("measured") && !vm.count("traces")) throw InputError("give --measured FILE... and/or --traces DIR...");
  CalibrateInputs in;
  if (vm.count("measured")) in.measured_files = vm["measured"].as<std::vector<std::string>>();
  if (vm.count("traces")) in.trace_dirs = vm["traces"].as<std::vector<std::string>>();
  if (vm.count("priors")) in.priors_file = vm["priors"].as<std::string>();
  in.max_iterations = vm["max-iterations"].as<int>();
  in.leave_one_out = vm.count("leave-one-out") > 0;
  if (in.max_iterations <= 0) throw InputError("--max-iterations must be positive");
  if (vm.count("calibration")) in.base_calibration = vm["calibration"].as<std::string>();
  if (vm.count("workload")) in.capture_workload = vm["workload"].as<std::string>();
  if (vm.count("hardware")) in.capture_hardware = vm["hardware"].as<std::string>();
  bool any_capture = false;
  for (const auto& d : in.trace_dirs) {
    if (!std::filesystem::is_directory(d)) throw InputError(d + ": not a directory");
    any_capture = any_capture || is_capture_dir(d);
  }
  if (!any_capture && (vm.count("workload") || vm.count("hardware"))) {
    throw InputError("--workload and --hardware describe capture folders: give --traces CAPTURE_DIR (a folder with meta.yaml and steps.csv)");
  }
  auto t0 = std::chrono::steady_clock::now();
  // The output is checked (and its temporary beside it made) before the fit: a bad --out fails
  // at once, and a failed fit or write leaves neither a partial file nor a temporary.
  std::string out = vm["out"].as<std::string>();
  AtomicOutput file(out, "--out");
  CalibrationLog log;
  Calibration cal = run_calibration(in, log);
  file.stream() << calibration_to_yaml(cal);
  file.commit();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for (const auto& l : log.lines) std::cout << l << "\n";
  std::cout << "wrote " << out << " in " << secs << " s\n";
  return 0;
}

int cmd_validate(const std::vector<std::string>& args) {
  po::options_description desc("ddpsim validate: measured vs predicted, errors and baselines\n\noptions");
  desc.add_options()("help,h", "this help")("measured", po::value<std::vector<std::string>>()->multitoken(), "measured-runs YAML file(s)")(
      "calibration", po::value<std::string>(), "calibration YAML (default: the shipped one)")(
      "priors", po::value<std::string>(), "priors YAML for refits (default: calibration/priors.yaml)")(
      "leave-one-out", "refit without each measured run and predict it")(
      "interval", po::value<std::string>(), "prediction intervals at this level in percent (e.g. 90): report the share of measured values inside them")(
      "traces", po::value<std::vector<std::string>>()->multitoken(), "Zeus trace folder(s): hold out whole batch sizes")(
      "zeus-transfer", po::value<std::string>(), "Zeus trace folder: cross-GPU transfer of the roofline (6 workloads) and held-out batch sizes; markdown")(
      "format", po::value<std::string>()->default_value("table"), "table | json | markdown")(
      "workload", po::value<std::string>(), "with --measured perun/nvidia-smi files: the run's workload (catalog name or YAML file)")(
      "hardware", po::value<std::string>(), "with --measured perun/nvidia-smi files: the run's hardware (catalog name or YAML file)")(
      "gpus", po::value<int>(), "with --measured perun/nvidia-smi files: the run's GPU count")(
      "lbs", po::value<long long>(), "with --measured perun/nvidia-smi files: the run's local batch size")(
      "epochs", po::value<int>(), "with --measured perun/nvidia-smi files: the run's epochs (default: the workload's)")(
      "samples-per-gpu", po::value<long long>(), "with --measured perun/nvidia-smi files: training samples per GPU (default: the full data set)");
  auto vm = cli::parse(args, desc);
  if (vm.count("help")) {
    std::cout << desc
              << "\n--measured takes measured-runs YAML files (experiments/reference/calibration-set.yaml shape; a run's workload and\n"
                 "hardware may be YAML files, and measured_from: FILE reads its values from a perun or nvidia-smi file), or perun JSON\n"
                 "(.json), perun text reports (.txt, .md) and nvidia-smi logs (.csv) of one run described by --workload, --hardware,\n"
                 "--gpus and --lbs.\n";
    return 0;
  }
  std::string format = vm["format"].as<std::string>();
  if (format != "table" && format != "json" && format != "markdown") throw InputError("--format must be table, json or markdown");
  if (vm.count("zeus-transfer")) {
    std::cout << zeus_transfer_markdown(run_zeus_transfer(vm["zeus-transfer"].as<std::string>()));
    return 0;
  }
  if (!vm.count("measured") && !vm.count("traces")) throw InputError("give --measured FILE... and/or --traces DIR...");
  ValidateInputs in;
  if (vm.count("measured")) in.measured_files = vm["measured"].as<std::vector<std::string>>();
  if (vm.count("traces")) in.trace_dirs = vm["traces"].as<std::vector<std::string>>();
  in.calibration_file = vm.count("calibration") ? vm["calibration"].as<std::string>() : default_calibration_path();
  if (vm.count("priors")) in.priors_file = vm["priors"].as<std::string>();
  in.leave_one_out = vm.count("leave-one-out") > 0;
  if (vm.count("interval")) in.interval_level = parse_interval_level(vm["interval"].as<std::string>());
  if (vm.count("workload")) in.run_workload = vm["workload"].as<std::string>();
  if (vm.count("hardware")) in.run_hardware = vm["hardware"].as<std::string>();
  if (vm.count("gpus")) in.run_gpus = vm["gpus"].as<int>();
  if (vm.count("lbs")) in.run_lbs = vm["lbs"].as<long long>();
  if (vm.count("epochs")) in.run_epochs = vm["epochs"].as<int>();
  if (vm.count("samples-per-gpu")) in.run_samples_per_gpu = vm["samples-per-gpu"].as<long long>();
  bool direct = false;
  for (const auto& f : in.measured_files) direct = direct || !measured_file_kind(f).empty();
  for (const char* o : {"workload", "hardware", "gpus", "lbs", "epochs", "samples-per-gpu"}) {
    if (vm.count(o) && !direct) {
      throw InputError(std::string("--") + o + " describes the run of a --measured perun or nvidia-smi file (.json, .txt, .md, .csv); "
                       "measured-runs YAML files describe their runs themselves");
    }
  }
  if ((in.run_gpus < 0) || (vm.count("gpus") && in.run_gpus == 0) || (vm.count("lbs") && in.run_lbs <= 0)) {
    throw InputError("--gpus and --lbs must be positive");
  }
  ValidationReport rep = run_validation(in);
  std::cout << (format == "json" ? validation_json(rep) : format == "markdown" ? validation_markdown(rep) : validation_table(rep));
  return 0;
}

}  // namespace ddpsim
