// Reader of measured runs in the shape of experiments/reference/calibration-set.yaml.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <limits>
#include <set>

#include "calibration/readers.hpp"
#include "calibration/text_input.hpp"
#include "hwmodels/hardware.hpp"
#include "sim/core/errors.hpp"
#include "sim/core/yaml_params.hpp"
#include "workloads/workload.hpp"

namespace ddpsim {

namespace {

// Names the measurement files use for the node types of the catalog.
constexpr std::pair<std::string_view, std::string_view> kHardwareAliases[] = {
    {"a100-40gb-node", "a100"},
    {"h100-94gb-node", "h100"},
};

// Line of `key` in `map`, or of the map where the key is absent.
int key_line(const YAML::Node& map, const char* key) { return map[key] ? yaml_line(map[key]) : yaml_line(map); }

std::string scalar_text(const YAML::Node& n, const std::string& file, std::string_view what) {
  if (!n.IsScalar()) throw ConfigError(file, yaml_line(n), "'" + std::string(what) + "' must be a single value");
  return n.as<std::string>();
}

double number(const YAML::Node& n, const std::string& file, std::string_view what) {
  return text::to_double(scalar_text(n, file, what), file, yaml_line(n), what);
}

long long positive(const YAML::Node& n, const std::string& file, std::string_view what) {
  long long v = text::to_integer(scalar_text(n, file, what), file, yaml_line(n), what);
  if (v <= 0) throw ConfigError(file, yaml_line(n), "'" + std::string(what) + "' must be positive, not " + std::to_string(v));
  return v;
}

int positive_int(const YAML::Node& n, const std::string& file, std::string_view what) {
  long long v = positive(n, file, what);
  if (v > std::numeric_limits<int>::max()) throw ConfigError(file, yaml_line(n), "'" + std::string(what) + "' is too large");
  return static_cast<int>(v);
}

void read_measured(const YAML::Node& m, const std::string& file, MeasuredRun& run) {
  if (!m.IsMap()) throw ConfigError(file, yaml_line(m), "'measured' must map measured keys to numbers, e.g. {runtime_h: 41}");
  const auto& keys = measured_keys();
  for (auto it = m.begin(); it != m.end(); ++it) {
    std::string key = it->first.as<std::string>();
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
      std::string all;
      for (const auto& k : keys) all += (all.empty() ? "" : ", ") + k;
      throw ConfigError(file, yaml_line(it->first),
                        "unknown measured key '" + key + "'" + did_you_mean(key, keys) + "; known: " + all);
    }
    double v = number(it->second, file, key);
    if (v < 0) throw ConfigError(file, yaml_line(it->second), "'" + key + "' must not be negative");
    if (key.ends_with("_share_of_total") && v > 1) {
      throw ConfigError(file, yaml_line(it->second), "'" + key + "' is a share between 0 and 1, not " + it->second.as<std::string>());
    }
    run.measured[key] = v;
  }
  if (run.measured.empty()) throw ConfigError(file, yaml_line(m), "run '" + run.id + "' has no measured values");
}

// A value naming a file rather than a catalog entry (as resolve_catalog_entry decides).
bool names_file(const std::string& v) { return v.find('/') != std::string::npos || v.ends_with(".yaml"); }

// A file named in a measured-runs file: relative to that file's folder.
std::string beside(const std::string& file, const std::string& rel) {
  std::filesystem::path p(rel);
  if (p.is_absolute()) return rel;
  return (std::filesystem::path(file).parent_path() / p).lexically_normal().string();
}

// The workload (catalog name or YAML file) and its phase must exist.
void check_workload(const YAML::Node& r, const std::string& file, MeasuredRun& run) {
  if (names_file(run.workload)) {
    run.workload = beside(file, run.workload);
    if (!std::filesystem::is_regular_file(run.workload)) {
      throw ConfigError(file, key_line(r, "workload"), "workload file " + run.workload + " does not exist (paths are relative to this file)");
    }
  } else {
    auto names = list_workloads();
    if (std::find(names.begin(), names.end(), run.workload) == names.end()) {
      throw ConfigError(file, key_line(r, "workload"), "unknown workload '" + run.workload + "'" + did_you_mean(run.workload, names) +
                                                           " (a workload of one's own: give its YAML file)");
    }
  }
  try {
    (void)load_workload(run.workload).phase(run.phase);
  } catch (const ConfigError&) {
    throw;
  } catch (const InputError& e) {
    throw ConfigError(file, key_line(r, "phase"), e.what());
  }
}

void check_hardware(const YAML::Node& r, const std::string& file, MeasuredRun& run) {
  std::string hw = yaml_string(r, "hardware", file);
  try {
    if (names_file(hw)) {
      run.hardware = beside(file, hw);
      if (!std::filesystem::is_regular_file(run.hardware)) throw InputError("hardware file " + run.hardware + " does not exist (paths are relative to this file)");
      (void)load_hardware(run.hardware);
    } else {
      run.hardware = hardware_catalog_name(hw);
    }
  } catch (const ConfigError&) {
    throw;
  } catch (const InputError& e) {
    throw ConfigError(file, key_line(r, "hardware"), e.what());
  }
}

MeasuredRun read_run(const YAML::Node& r, const std::string& file) {
  check_keys(r, file,
             {"id", "workload", "phase", "hardware", "gpus", "lbs", "gbs", "samples_per_gpu", "epochs", "measured",
              "measured_from", "note", "sigma"});
  MeasuredRun run;
  run.file = file;
  run.line = yaml_line(r);
  run.id = yaml_string(r, "id", file);
  run.workload = yaml_string(r, "workload", file);
  run.phase = yaml_string(r, "phase", file, false);
  run.note = yaml_string(r, "note", file, false);
  check_workload(r, file, run);
  check_hardware(r, file, run);
  if (!r["gpus"]) throw ConfigError(file, run.line, "run '" + run.id + "': missing required key 'gpus'");
  run.gpus = positive_int(r["gpus"], file, "gpus");
  if (!r["lbs"] && !r["gbs"]) throw ConfigError(file, run.line, "run '" + run.id + "': give 'lbs' or 'gbs' (or both)");
  if (r["lbs"]) run.lbs = positive(r["lbs"], file, "lbs");
  if (r["gbs"]) run.gbs = positive(r["gbs"], file, "gbs");
  if (!r["gbs"]) run.gbs = run.lbs * run.gpus;
  if (!r["lbs"]) {
    if (run.gbs % run.gpus != 0) {
      throw ConfigError(file, yaml_line(r["gbs"]), "gbs " + std::to_string(run.gbs) + " is not a multiple of gpus " + std::to_string(run.gpus));
    }
    run.lbs = run.gbs / run.gpus;
  }
  if (run.gbs != run.lbs * run.gpus) {
    throw ConfigError(file, yaml_line(r["gbs"]),
                      "run '" + run.id + "': gbs " + std::to_string(run.gbs) + " != gpus x lbs = " + std::to_string(run.gpus) +
                          " x " + std::to_string(run.lbs) + " = " + std::to_string(run.gpus * run.lbs));
  }
  if (r["samples_per_gpu"]) run.samples_per_gpu = positive(r["samples_per_gpu"], file, "samples_per_gpu");
  if (r["epochs"]) run.epochs = positive_int(r["epochs"], file, "epochs");
  if (r["sigma"]) {
    run.sigma = number(r["sigma"], file, "sigma");
    if (!(run.sigma > 0 && run.sigma < 1)) {
      throw ConfigError(file, yaml_line(r["sigma"]), "'sigma' is a relative uncertainty between 0 and 1 (e.g. 0.05), not " + r["sigma"].as<std::string>());
    }
  }
  if (!r["measured"] && !r["measured_from"]) {
    throw ConfigError(file, run.line, "run '" + run.id + "': give 'measured' (values) and/or 'measured_from' (a perun or nvidia-smi file)");
  }
  if (r["measured_from"]) {
    const std::string from = beside(file, yaml_string(r, "measured_from", file));
    try {
      run.measured = measured_from_file(from, run.gpus);
    } catch (const ConfigError&) {
      throw;
    } catch (const InputError& e) {
      throw ConfigError(file, key_line(r, "measured_from"), e.what());
    }
    run.measured_from = from;
  }
  if (r["measured"]) {
    MeasuredRun given = run;
    given.measured.clear();
    read_measured(r["measured"], file, given);
    for (const auto& [k, v] : given.measured) run.measured[k] = v;  // stated values win over the file's
  }
  return run;
}

MeasuredFact read_fact(const YAML::Node& f, const std::string& file) {
  if (!f.IsMap()) throw ConfigError(file, yaml_line(f), "a fact must be a mapping with 'id' and 'text'");
  MeasuredFact fact;
  fact.file = file;
  fact.line = yaml_line(f);
  static const std::vector<std::string> kKeys{"id", "text", "value_<name>"};
  for (auto it = f.begin(); it != f.end(); ++it) {
    std::string key = it->first.as<std::string>();
    if (key == "id" || key == "text") continue;
    if (key.starts_with("value_") && key.size() > 6) {
      fact.values[key.substr(6)] = number(it->second, file, key);
      continue;
    }
    throw ConfigError(file, yaml_line(it->first), "unknown fact key '" + key + "'" + did_you_mean(key, kKeys));
  }
  fact.id = yaml_string(f, "id", file);
  fact.text = yaml_string(f, "text", file);
  return fact;
}

}  // namespace

const std::vector<std::string>& measured_keys() {
  static const std::vector<std::string> keys{
      "energy_total_kwh",    // everything metered: GPU + CPU + RAM (H100 nodes: GPU + CPU)
      "energy_gpu_kwh",     "energy_cpu_kwh",     "energy_ram_kwh",
      "runtime_h",          // wall-clock time of the whole training
      "gpu_hours",          // runtime x GPUs
      "cpu_share_of_total", "gpu_share_of_total", "ram_share_of_total",
      "kwh_per_gpu_hour",   // energy_total_kwh / gpu_hours
      "mean_gpu_power_w",   // per GPU, over the run
      "samples_per_gpu_hour",
  };
  return keys;
}

std::string hardware_catalog_name(const std::string& name) {
  for (const auto& [alias, catalog] : kHardwareAliases) {
    if (name == alias) return std::string(catalog);
  }
  auto names = list_hardware();
  if (std::find(names.begin(), names.end(), name) != names.end()) return name;
  for (const auto& [alias, catalog] : kHardwareAliases) names.emplace_back(alias);
  throw InputError("unknown hardware '" + name + "'" + did_you_mean(name, names));
}

MeasuredRun measured_run_from_file(const std::string& path, const std::string& workload, const std::string& hardware, int gpus,
                                   long long lbs, int epochs, long long samples_per_gpu) {
  if (gpus <= 0 || lbs <= 0) throw InputError("a measured run from " + path + " needs --gpus and --lbs (positive)");
  MeasuredRun run;
  run.file = path;
  run.id = std::filesystem::path(path).filename().string();
  run.workload = workload;
  run.hardware = names_file(hardware) ? hardware : hardware_catalog_name(hardware);
  run.gpus = gpus;
  run.lbs = lbs;
  run.gbs = lbs * gpus;
  run.epochs = epochs;
  run.samples_per_gpu = samples_per_gpu;
  (void)load_workload(run.workload);
  (void)load_hardware(run.hardware);
  run.measured = measured_from_file(path, gpus);
  run.measured_from = path;
  if (run.measured.empty()) throw ConfigError(path, 0, "nothing measured in this file");
  return run;
}

MeasuredSet read_measured_runs(const std::string& path) {
  YAML::Node root = load_yaml_file(path);
  if (!root.IsMap()) throw ConfigError(path, yaml_line(root), "expected a mapping with 'source', 'runs' and 'facts'");
  check_keys(root, path, {"source", "runs", "facts"});
  MeasuredSet set;
  set.source = yaml_string(root, "source", path);
  auto runs = root["runs"];
  if (!runs || !runs.IsSequence() || runs.size() == 0) {
    throw ConfigError(path, runs ? yaml_line(runs) : yaml_line(root), "'runs' must be a non-empty list of measured runs");
  }
  std::set<std::string> ids;
  for (const auto& r : runs) {
    if (!r.IsMap()) throw ConfigError(path, yaml_line(r), "a run must be a mapping (id, workload, hardware, gpus, lbs, ...)");
    MeasuredRun run = read_run(r, path);
    if (!ids.insert(run.id).second) throw ConfigError(path, run.line, "run id '" + run.id + "' appears twice");
    set.runs.push_back(std::move(run));
  }
  if (auto facts = root["facts"]) {
    if (!facts.IsSequence()) throw ConfigError(path, yaml_line(facts), "'facts' must be a list");
    for (const auto& f : facts) set.facts.push_back(read_fact(f, path));
  }
  return set;
}

}  // namespace ddpsim
