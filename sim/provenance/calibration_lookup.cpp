#include "sim/provenance/calibration_lookup.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <filesystem>
#include <limits>
#include <tuple>

#include "sim/core/errors.hpp"

namespace ddpsim {

namespace {

// The catalog entry of a calibrated hardware name, if the catalog has it.
bool catalog_entry(const std::string& name, HardwareSpec& out) {
  // One stat per candidate (not a directory listing): sweeps resolve this for every point.
  std::error_code ec;
  if (name.find('/') != std::string::npos || !std::filesystem::is_regular_file(hardware_catalog_dir() + "/" + name + ".yaml", ec)) return false;
  out = load_hardware(name);  // parsed once per process (load_cached)
  return true;
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
  return fmt::format("{} x {:.4g}", what, r);
}

// Writes the roofline's per-sample time (and the optimizer step where the workload states its
// parameters and the entry does not fit it) into `wl_cal`.
void apply_roofline(const Roofline& r, const WorkloadSpec& wl, ParamSet& wl_cal, bool replace_optimizer) {
  wl_cal.set(kPerSample, r.per_sample_s, "roofline", r.how);
  if (r.optimizer_s > 0 && (replace_optimizer || !wl_cal.is_set(kOptimizer))) {
    wl_cal.set(kOptimizer, r.optimizer_s, "roofline",
               "roofline: model.parameters x " + std::string(wl.params.format(kOptimizerKind)) + " bytes touched / gpu.memory_bandwidth");
  }
}

}  // namespace

double roofline_per_sample_s(double forward_flops, double peak_flops, double efficiency, double bytes_per_flop, double memory_bw) {
  double train = 3.0 * forward_flops;
  return train / (peak_flops * efficiency) + (memory_bw > 0 ? train * bytes_per_flop / memory_bw : 0.0);
}

Roofline roofline(const Calibration& cal, const WorkloadSpec& wl, const HardwareSpec& hw) {
  Roofline r;
  r.family = wl.params.format(kFamily);
  r.precision = wl.params.format(kPrecision);
  const int prec = static_cast<int>(wl.p(kPrecision));
  r.peak_flops = peak_flops(hw, prec);
  ParamSet eff(efficiency_table());
  auto it = cal.efficiency_sets.find({r.family, r.precision});
  if (it == cal.efficiency_sets.end() && r.precision == "fp16") it = cal.efficiency_sets.find({r.family, "bf16"});
  std::string key = r.family + ", " + r.precision;
  if (it != cal.efficiency_sets.end()) {
    eff = it->second;
    r.efficiency_from = eff.citation(kRoofEfficiency);
  } else {
    for (auto jt = cal.efficiency_sets.begin(); jt != cal.efficiency_sets.end(); ++jt) {
      if (jt->first.first == r.family) {
        eff = jt->second;
        r.efficiency_from = "taken over from efficiency(" + jt->first.first + ", " + jt->first.second + "): " + eff.citation(kRoofEfficiency);
        break;
      }
    }
    if (r.efficiency_from.empty()) {
      r.efficiency_from = "declared default (" + std::string(efficiency_table().spec(kRoofEfficiency).source) + "; no fitted " + r.family + " entry in " +
                          (cal.file.empty() ? "the calibration" : cal.file) + ")";
    }
  }
  r.efficiency = eff[kRoofEfficiency];
  r.bytes_per_flop = eff[kRoofBytesPerFlop];
  // The workload's own fitted per-sample times on catalog GPUs refine its family's efficiency:
  // its own efficiency at the family's memory term, by relative least squares over those pairs
  // (where the family was fitted on this workload alone, the family's value again).
  {
    const double train = 3.0 * wl.p(kForwardFlops);
    double sxx = 0, sxy = 0;
    std::string on;
    for (const auto& [pair, set] : cal.workload_sets) {
      if (pair.first != wl.name || pair.second == hw.name || !(train > 0)) continue;
      if (!set.is_set(kPerSample) || !set.citation(kPerSample).starts_with("fit:") || !(set[kPerSample] > 0)) continue;
      HardwareSpec src;
      if (!catalog_entry(pair.second, src)) continue;
      const double p = set[kPerSample];
      const double x = train / peak_flops(src, prec) / p;
      const double rest = 1 - r.bytes_per_flop * train / src.p(kGpuMemBw) / p;
      sxx += x * x;
      sxy += x * rest;
      on += (on.empty() ? "" : ", ") + pair.second;
    }
    if (sxx > 0 && sxy > 0) {
      const auto& spec = efficiency_table().spec(kRoofEfficiency);
      r.efficiency = std::clamp(sxx / sxy, spec.min_si, spec.max_si);
      r.efficiency_from = "fit: " + wl.name + "'s own fitted compute.per_sample on " + on + " (memory term of efficiency(" + key + "))";
      key = wl.name;
    }
  }
  r.per_sample_s = roofline_per_sample_s(wl.p(kForwardFlops), r.peak_flops, r.efficiency, r.bytes_per_flop, hw.p(kGpuMemBw));
  if (wl.p(kParameters) > 0) {
    r.optimizer_s = wl.p(kParameters) * optimizer_bytes_touched(static_cast<int>(wl.p(kOptimizerKind))) / hw.p(kGpuMemBw);
  }
  r.how = fmt::format("roofline: 3 x {:.4g} FLOP / ({:.4g} TFLOP/s {} peak x efficiency({}) = {:.3g})", wl.p(kForwardFlops),
                      r.peak_flops / 1e12, r.precision, key, r.efficiency);
  if (r.bytes_per_flop > 0) r.how += fmt::format(" + 3 x F x {:.3g} B/FLOP / {:.4g} GB/s", r.bytes_per_flop, hw.p(kGpuMemBw) / 1e9);
  r.how += fmt::format(" = {:.4g} ms per sample", r.per_sample_s * 1e3);
  r.how += "; efficiency " + r.efficiency_from;
  return r;
}

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
    if (wl.has_flops() && !out.wl_cal.is_set(kPerSample)) {
      // The entry fits the pair's other costs but not its per-sample time: the roofline prices it.
      Roofline r = roofline(cal, wl, hw);
      apply_roofline(r, wl, out.wl_cal, false);
      out.workload.how += "; compute.per_sample from the " + r.how;
      out.warnings.push_back("calibration entry " + wl.name + " on '" + hw.name + "' has no compute.per_sample: " + r.how);
    }
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
  if (wl.has_flops() && !same) {
    // Preferred transfer: the roofline prices the compute from the workload's FLOPs and the
    // GPU's datasheet peak; the host-side costs come from the closest entry (decode scaled by
    // the CPU clock) or the declared defaults.
    Roofline r = roofline(cal, wl, hw);
    std::string rest;
    if (found) {
      out.wl_cal = cal.workload(wl.name, src.name);
      double cpu_ratio = src.p(kCpuClock) / hw.p(kCpuClock);
      auto i = static_cast<std::size_t>(kDecodePerSample);
      out.wl_cal.set(i, out.wl_cal[i] * cpu_ratio, "transfer", out.wl_cal.citation(i) + "; transferred from " + src.name + " " + ratio_text("CPU clock ratio", cpu_ratio));
      rest = "other step costs from " + wl.name + " on " + src.name + " (decode x CPU clock ratio)";
    } else {
      out.wl_cal = ParamSet(workload_calibration_table());
      rest = "other step costs: declared defaults (no calibration entry of " + wl.name + ")";
      // An entry on a machine outside the catalog (a user's machine file, e.g. a CPU capture):
      // its GPU is unknown, so only its host-side costs carry over, as measured (the CPU clock
      // of that machine is not known here).
      for (const auto& n : names) {
        HardwareSpec unused;
        if (n == hw.name || catalog_entry(n, unused)) continue;
        const ParamSet from = cal.workload(wl.name, n);
        std::string which;
        for (auto id : {kDecodePerSample, kReadCpuBw, kLoaderJitterCv, kEvalSampleOverhead}) {
          auto i = static_cast<std::size_t>(id);
          const std::string& cite = from.citation(i);
          if (!from.is_set(i) || !(cite.starts_with("traced:") || cite.starts_with("fit:"))) continue;  // measured values only
          out.wl_cal.set(i, from[i], "transfer", from.citation(i) + "; taken from " + wl.name + " on " + n + " as measured (host-side cost)");
          which += (which.empty() ? "" : ", ") + std::string(workload_calibration_table().spec(i).name);
        }
        if (which.empty()) continue;
        src.name = n;
        found = true;
        rest = "host-side costs (" + which + ") from " + wl.name + " on " + n +
               " as measured (a machine outside the catalog: CPU clock ratio not applied); GPU-side step costs: declared defaults";
        break;
      }
    }
    apply_roofline(r, wl, out.wl_cal, true);
    out.workload = {"transferred", found ? wl.name + " on " + src.name : "", r.how + "; " + rest};
    out.warnings.push_back("no calibration for " + wl.name + " on '" + hw.name + "': compute.per_sample from the " + r.how + "; " + rest);
    return out;
  }
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
    how += fmt::format(" with compute x {:.4g} (tensor TFLOP/s {} / {}) and decode x {:.4g} (CPU clock)", gpu_ratio, src.name, hw.name,
                       cpu_ratio);
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
