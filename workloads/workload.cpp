#include "workloads/workload.hpp"

#include <algorithm>
#include <cmath>

#include "sim/core/catalog.hpp"
#include "sim/core/errors.hpp"
#include "sim/core/yaml_params.hpp"

namespace ddpsim {

namespace {
constexpr ParamSpec kSpecs[] = {
#define DDPSIM_SPEC(id, name, dim, def, lo, hi, help, src, ...) {name, Dim::dim, def, lo, hi, help, src __VA_OPT__(, ) __VA_ARGS__},
    DDPSIM_WORKLOAD_PARAMS(DDPSIM_SPEC)};
constexpr ParamSpec kPhaseSpecs[] = {DDPSIM_PHASE_PARAMS(DDPSIM_SPEC)
#undef DDPSIM_SPEC
};
}  // namespace

const ParamTable& workload_param_table() {
  static const ParamTable table("workload", kSpecs);
  return table;
}

const ParamTable& phase_param_table() {
  static const ParamTable table("phase", kPhaseSpecs);
  return table;
}

const PhaseSpec& WorkloadSpec::phase(const std::string& wanted) const {
  if (wanted.empty()) return phases.front();
  std::vector<std::string> names;
  for (const auto& ph : phases) {
    if (ph.name == wanted) return ph;
    names.push_back(ph.name);
  }
  std::string all;
  for (const auto& n : names) all += (all.empty() ? "" : ", ") + n;
  throw InputError("workload '" + name + "' has no phase '" + wanted + "'" + did_you_mean(wanted, names) + "; phases: " + all);
}

long long WorkloadSpec::max_lbs(double gpu_memory_bytes, const PhaseSpec& ph) const {
  double free = gpu_memory_bytes - p(kMemFixed);
  if (free <= 0) return 0;
  return static_cast<long long>(std::floor(free / (p(kMemPerSample) * ph.rollout_steps())));
}

std::vector<double> WorkloadSpec::bucket_bytes() const {
  std::vector<double> out;
  double remaining = p(kGradientBytes);
  double first = std::min(remaining, p(kFirstBucketCap));
  out.push_back(first);
  remaining -= first;
  while (remaining > 0) {
    double b = std::min(remaining, p(kBucketCap));
    out.push_back(b);
    remaining -= b;
  }
  return out;
}

double gradient_dtype_bytes(int dtype) { return dtype == 0 ? 4.0 : 2.0; }

double optimizer_state_bytes(int optimizer) { return optimizer == 0 ? 4.0 : optimizer == 1 ? 8.0 : 4.0; }

double optimizer_bytes_touched(int optimizer) {
  // Per parameter, fp32: SGD with momentum reads w, g, m and writes w, m (5 x 4 B); Adam reads
  // w, g, m, v and writes w, m, v (7 x 4 B); LARS is SGD plus the norms of w and g (2 more reads).
  return optimizer == 1 ? 28.0 : optimizer == 2 ? 28.0 : 20.0;
}

std::string workload_catalog_dir() { return data_dir() + "/workloads/catalog"; }

std::vector<std::string> list_workloads() { return list_yaml_stems(workload_catalog_dir()); }

namespace {
WorkloadSpec parse_load_workload_file(const std::string& path);
}  // namespace

WorkloadSpec load_workload_file(const std::string& path) {
  // Cached by file identity: calibration simulates thousands of runs from the same files.
  return load_cached<WorkloadSpec>(path, parse_load_workload_file);
}

namespace {
// Values that follow from what the user stated when the file does not set them itself.
void derive_params(WorkloadSpec& w, const std::string& path) {
  auto& ps = w.params;
  if (ps.is_set(kSampleBytes) && !ps.is_set(kInputBytes)) {
    ps.set(kInputBytes, ps[kSampleBytes], ps.origin(kSampleBytes), "dataset.sample_bytes (" + ps.citation(kSampleBytes) + ")");
  }
  const double n = ps[kParameters];
  if (n <= 0) return;
  const double grad = gradient_dtype_bytes(static_cast<int>(ps[kGradientDtype]));
  if (!ps.is_set(kGradientBytes)) {
    ps.set(kGradientBytes, n * grad, path, "model.parameters x " + ps.format(kGradientDtype) + " bytes");
  }
  if (!ps.is_set(kMemFixed)) {
    // fp32 weights, gradients, optimizer state, a 16-bit copy with AMP, and 1 GB of workspace.
    const int prec = static_cast<int>(ps[kPrecision]);
    double per = 4 + grad + optimizer_state_bytes(static_cast<int>(ps[kOptimizerKind])) + (prec >= 2 ? 2 : 0);
    ps.set(kMemFixed, n * per + 1e9, path,
           "model.parameters x (weights 4 + gradients + optimizer state + AMP copy) bytes + 1 GB workspace");
  }
}

WorkloadSpec parse_load_workload_file(const std::string& path) {
  try {
    YAML::Node root = load_yaml_file(path);
    check_keys(root, path, {"name", "description", "target_metric", "params", "phases", "dataset", "model", "memory", "loader", "ddp", "epochs"});
    WorkloadSpec w;
    w.file = path;
    w.name = yaml_string(root, "name", path);
    w.description = yaml_string(root, "description", path, false);
    if (root["params"]) load_params(root["params"], path, w.params);
    // The short form: parameter groups at the top level (model: {...}, dataset: {...}).
    for (const char* group : {"dataset", "model", "memory", "loader", "ddp"}) {
      if (root[group]) load_params(root[group], path, w.params, group);
    }
    derive_params(w, path);
    if (auto t = root["target_metric"]) {
      if (!t.IsMap()) throw ConfigError(path, yaml_line(t), "'target_metric' must be a mapping {name, better: higher|lower, bound}");
      check_keys(t, path, {"name", "better", "bound", "source"});
      w.target.name = yaml_string(t, "name", path);
      std::string better = yaml_string(t, "better", path);
      if (better != "higher" && better != "lower") throw ConfigError(path, yaml_line(t["better"]), "target_metric.better must be higher or lower, not '" + better + "'");
      w.target.higher_is_better = better == "higher";
      if (!t["bound"]) throw ConfigError(path, yaml_line(t), "target_metric needs 'bound': the metric's perfect value (accuracy 1, RMSE 0)");
      try {
        w.target.bound = t["bound"].as<double>();
      } catch (const YAML::Exception&) {
        throw ConfigError(path, yaml_line(t["bound"]), "target_metric.bound must be a number");
      }
      if (w.target.name.empty() || w.target.name.find_first_of("= \t") != std::string::npos) {
        throw ConfigError(path, yaml_line(t["name"]), "target_metric.name must be a word (no '=' or spaces)");
      }
    }
    auto phases = root["phases"];
    if (!phases) {
      // No phases: one training phase, with `epochs:` if given.
      PhaseSpec ph;
      ph.name = "train";
      if (root["epochs"]) {
        YAML::Node e;
        e["epochs"] = root["epochs"];
        load_params(e, path, ph.params);
      }
      w.phases.push_back(std::move(ph));
      return w;
    }
    if (root["epochs"]) throw ConfigError(path, yaml_line(root["epochs"]), "'epochs' goes into each phase when 'phases' is given");
    if (!phases.IsMap() || phases.size() == 0) {
      throw ConfigError(path, yaml_line(root), "'phases' must map at least one phase name to its settings");
    }
    for (auto it = phases.begin(); it != phases.end(); ++it) {
      PhaseSpec ph;
      ph.name = it->first.as<std::string>();
      if (!it->second.IsNull()) load_params(it->second, path, ph.params);
      w.phases.push_back(std::move(ph));
    }
    return w;
  } catch (const YAML::Exception& e) {
    throw ConfigError(path, e.mark.line >= 0 ? e.mark.line + 1 : 0, e.msg);
  }
}
}  // namespace

WorkloadSpec load_workload(const std::string& name) {
  return load_workload_file(resolve_catalog_entry("workload", name, workload_catalog_dir()));
}

PassSplit split_pass(long long samples, int ranks, long long lbs) {
  PassSplit s;
  if (samples <= 0 || ranks <= 0 || lbs <= 0) return s;
  s.samples_per_rank = (samples + ranks - 1) / ranks;
  s.batches = (s.samples_per_rank + lbs - 1) / lbs;
  s.last_batch_size = s.samples_per_rank - (s.batches - 1) * lbs;
  return s;
}

}  // namespace ddpsim
