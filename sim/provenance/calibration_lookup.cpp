#include "sim/provenance/calibration_lookup.hpp"

#include <cmath>
#include <cstdio>
#include <limits>
#include <tuple>

#include "sim/core/errors.hpp"

namespace ddpsim {

namespace {

// The catalog entry of a calibrated hardware name, if the catalog has it.
bool catalog_entry(const std::string& name, HardwareSpec& out) {
  for (const auto& n : list_hardware()) {
    if (n == name) {
      out = load_hardware(n);
      return true;
    }
  }
  return false;
}

// The calibrated hardware to transfer from: the same GPU model first, else the GPU closest in
// dense tensor throughput (log ratio). `names` are calibrated hardware names.
bool closest_hardware(const std::vector<std::string>& names, const HardwareSpec& hw, HardwareSpec& best, bool& same_model) {
  double best_d = std::numeric_limits<double>::infinity();
  bool found = false;
  for (const auto& n : names) {
    HardwareSpec c;
    if (n == hw.name || !catalog_entry(n, c)) continue;
    bool same = !hw.gpu_model.empty() && c.gpu_model == hw.gpu_model;
    double d = same ? -1.0 : std::fabs(std::log(c.p(kGpuTflops) / hw.p(kGpuTflops)));
    if (d < best_d) {
      best_d = d;
      best = c;
      same_model = same;
      found = true;
    }
  }
  return found;
}

std::string ratio_text(const char* what, double r) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "%s x %.4g", what, r);
  return buf;
}

}  // namespace

CalibrationLookup lookup_node_calibration(const Calibration& cal, const HardwareSpec& hw) {
  CalibrationLookup out;
  // By the hardware's own name, else transferred.
  if (cal.node_sets.count(hw.name)) {
    out.node_cal = cal.node(hw.name);
    out.node = {"own entry", hw.name, "calibration entry hardware." + hw.name};
  } else {
    std::vector<std::string> names;
    for (const auto& [n, set] : cal.node_sets) names.push_back(n);
    HardwareSpec src;
    bool same = false;
    if (closest_hardware(names, hw, src, same)) {
      out.node_cal = cal.node(src.name);
      out.node = {"transferred", src.name,
                  same ? "node calibration of " + src.name + " (same GPU model " + hw.gpu_model + ")"
                       : "node calibration of " + src.name + " (closest calibrated GPU by tensor TFLOP/s: " + src.gpu_model + ")"};
      out.warnings.push_back("hardware '" + hw.name + "' has no node calibration in " + (cal.file.empty() ? "the calibration" : cal.file) +
                             ": transferred from '" + src.name + "'" + (same ? " (same GPU model)" : " (closest GPU, uncertain)"));
    } else {
      out.node = {"defaults", "", "declared defaults of the node calibration table (no calibrated hardware to transfer from)"};
      out.warnings.push_back("hardware '" + hw.name + "' has no node calibration and nothing to transfer from: declared defaults");
    }
  }
  return out;
}

CalibrationLookup lookup_calibration(const Calibration& cal, const WorkloadSpec& wl, const HardwareSpec& hw) {
  CalibrationLookup out = lookup_node_calibration(cal, hw);
  const std::string node_from = out.node.entry;
  // Workload calibration: the pair's own entry, else the same workload on the hardware the node
  // transfer chose, else on the closest calibrated GPU, scaled by datasheet ratios.
  if (cal.workload_sets.count({wl.name, hw.name})) {
    out.wl_cal = cal.workload(wl.name, hw.name);
    out.workload = {"own entry", wl.name + " on " + hw.name, "calibration entry workloads." + wl.name + "." + hw.name};
    return out;
  }
  std::vector<std::string> names;
  for (const auto& [key, set] : cal.workload_sets) {
    if (key.first == wl.name) names.push_back(key.second);
  }
  HardwareSpec src;
  bool same = false;
  bool found = false;
  if (!node_from.empty() && node_from != hw.name && cal.workload_sets.count({wl.name, node_from})) {
    found = catalog_entry(node_from, src);
    same = found && !hw.gpu_model.empty() && src.gpu_model == hw.gpu_model;
  }
  if (!found) found = closest_hardware(names, hw, src, same);
  if (!found) {
    out.workload = {"defaults", "", "declared defaults of the workload calibration table: " + wl.name + " has no calibration entry on any hardware"};
    out.warnings.push_back("workload '" + wl.name + "' has no calibration on any hardware: its step costs are the declared defaults "
                           "(see 'ddpsim list params'), not a fit");
    return out;
  }
  out.wl_cal = cal.workload(wl.name, src.name);
  std::string how = wl.name + " on " + src.name;
  if (!same) {
    // Compute scales with the GPU's dense tensor throughput, decoding with the CPU clock.
    double gpu_ratio = src.p(kGpuTflops) / hw.p(kGpuTflops);
    double cpu_ratio = src.p(kCpuClock) / hw.p(kCpuClock);
    for (auto [id, r, what] : {std::tuple{kPerSample, gpu_ratio, "tensor TFLOP/s ratio"}, std::tuple{kStepOverhead, gpu_ratio, "tensor TFLOP/s ratio"},
                               std::tuple{kDecodePerSample, cpu_ratio, "CPU clock ratio"}}) {
      auto i = static_cast<std::size_t>(id);
      std::string cite = out.wl_cal.citation(i) + "; transferred from " + src.name + " " + ratio_text(what, r);
      out.wl_cal.set(i, out.wl_cal[i] * r, "transfer", cite);
    }
    char buf[160];
    std::snprintf(buf, sizeof buf, " with compute x %.4g (tensor TFLOP/s %s / %s) and decode x %.4g (CPU clock)", gpu_ratio, src.name.c_str(),
                  hw.name.c_str(), cpu_ratio);
    how += buf;
  } else {
    how += " (same GPU model " + hw.gpu_model + ")";
  }
  out.workload = {"transferred", wl.name + " on " + src.name, how};
  out.warnings.push_back("no calibration for " + wl.name + " on '" + hw.name + "': step costs transferred from " + how);
  return out;
}

std::vector<ParamProvenance> calibration_provenance(const ParamSet& node_cal, const ParamSet& wl_cal) {
  std::vector<ParamProvenance> out;
  for (const ParamSet* set : {&node_cal, &wl_cal}) {
    for (std::size_t i = 0; i < set->table().size(); ++i) {
      std::string source = set->citation(i);
      if (source.empty()) source = set->is_set(i) ? set->origin(i) : "declared default: " + std::string(set->table().spec(i).source);
      out.push_back({std::string(set->table().spec(i).name), set->format(i), source});
    }
  }
  return out;
}

}  // namespace ddpsim
