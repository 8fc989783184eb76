// Measured values of one run from a power-monitoring file: perun JSON export, perun text report,
// nvidia-smi CSV log (see measured_from_file in readers.hpp).
#include <cmath>
#include <filesystem>
#include <fmt/format.h>
#include <map>

#include "calibration/readers.hpp"
#include "sim/core/errors.hpp"

namespace ddpsim {

namespace {

constexpr double kJPerKwh = 3.6e6;

bool finite_positive(double v) { return std::isfinite(v) && v > 0; }

// Means over the runs (perun rounds repeat one job): key -> mean of the finite values.
std::map<std::string, double> mean_over(const std::vector<std::map<std::string, double>>& runs) {
  std::map<std::string, std::pair<double, int>> acc;
  for (const auto& r : runs) {
    for (const auto& [k, v] : r) {
      if (!std::isfinite(v)) continue;
      acc[k].first += v;
      ++acc[k].second;
    }
  }
  std::map<std::string, double> out;
  for (const auto& [k, sn] : acc) out[k] = sn.first / sn.second;
  return out;
}

std::map<std::string, double> from_perun_json(const std::string& path, int gpus) {
  PerunExport ex = read_perun_json(path);
  std::vector<std::map<std::string, double>> runs;
  for (const auto& r : ex.runs) {
    std::map<std::string, double> m;
    if (finite_positive(r.runtime_s)) m["runtime_h"] = r.runtime_s / 3600.0;
    if (finite_positive(r.energy_j)) m["energy_total_kwh"] = r.energy_j / kJPerKwh;
    if (finite_positive(r.gpu_energy_j)) m["energy_gpu_kwh"] = r.gpu_energy_j / kJPerKwh;
    if (finite_positive(r.cpu_energy_j)) m["energy_cpu_kwh"] = r.cpu_energy_j / kJPerKwh;
    if (finite_positive(r.dram_energy_j)) m["energy_ram_kwh"] = r.dram_energy_j / kJPerKwh;
    if (finite_positive(r.gpu_power_w)) m["mean_gpu_power_w"] = r.gpu_power_w / gpus;
    runs.push_back(std::move(m));
  }
  if (runs.empty()) throw ConfigError(path, 0, "perun export has no run (type 3 node): nothing measured to compare with");
  return mean_over(runs);
}

std::map<std::string, double> from_perun_report(const std::string& path, int gpus) {
  PerunReport rep = read_perun_report(path);
  // Per (run, round): the "All" row, else the hosts summed (runtime: the longest host).
  std::map<std::pair<std::string, int>, std::map<std::string, double>> all, sum;
  for (const auto& row : rep.rows) {
    auto key = std::make_pair(row.run_id, row.round);
    if (row.host == "All") {
      all[key] = row.values;
      continue;
    }
    auto& s = sum[key];
    for (const auto& [k, v] : row.values) s[k] = k == "RUNTIME" ? std::max(s[k], v) : s[k] + v;
  }
  for (const auto& [key, v] : sum) all.try_emplace(key, v);
  std::vector<std::map<std::string, double>> runs;
  for (const auto& entry : all) {
    const auto& v = entry.second;  // not a structured binding: clang 14 cannot capture one
    auto get = [&](const char* k) {
      auto it = v.find(k);
      return it == v.end() ? std::nan("") : it->second;
    };
    std::map<std::string, double> m;
    const double runtime_s = get("RUNTIME");
    if (finite_positive(runtime_s)) m["runtime_h"] = runtime_s / 3600.0;
    if (finite_positive(get("ENERGY"))) m["energy_total_kwh"] = get("ENERGY") / kJPerKwh;
    if (finite_positive(get("GPU_POWER"))) {
      m["mean_gpu_power_w"] = get("GPU_POWER") / gpus;
      if (finite_positive(runtime_s)) m["energy_gpu_kwh"] = get("GPU_POWER") * runtime_s / kJPerKwh;
    }
    if (finite_positive(get("CPU_POWER")) && finite_positive(runtime_s)) m["energy_cpu_kwh"] = get("CPU_POWER") * runtime_s / kJPerKwh;
    if (finite_positive(get("DRAM_POWER")) && finite_positive(runtime_s)) m["energy_ram_kwh"] = get("DRAM_POWER") * runtime_s / kJPerKwh;
    runs.push_back(std::move(m));
  }
  if (runs.empty()) throw ConfigError(path, 0, "perun report has no host rows: nothing measured to compare with");
  return mean_over(runs);
}

std::map<std::string, double> from_nvidia_smi(const std::string& path, int gpus) {
  GpuPowerLog log = read_nvidia_smi_csv(path);
  double power_sum_w = 0, energy_j = 0;
  int n = 0;
  for (const auto& g : summarize(log)) {
    if (g.samples == 0 || !std::isfinite(g.mean_power_w)) continue;
    power_sum_w += g.mean_power_w;
    energy_j += g.energy_j;
    ++n;
  }
  if (n == 0) throw ConfigError(path, 0, "nvidia-smi log has no power readings: nothing measured to compare with");
  std::map<std::string, double> m;
  m["mean_gpu_power_w"] = power_sum_w / n;
  // The GPU energy of the run only if the log covers every GPU of it (one node's log covers
  // that node's GPUs only).
  if (n == gpus) m["energy_gpu_kwh"] = energy_j / kJPerKwh;
  return m;
}

}  // namespace

std::string measured_file_kind(const std::string& path) {
  const std::string ext = std::filesystem::path(path).extension().string();
  if (ext == ".json") return "perun-json";
  if (ext == ".csv") return "nvidia-smi";
  if (ext == ".txt" || ext == ".md" || ext == ".report") return "perun-report";
  return "";
}

std::map<std::string, double> measured_from_file(const std::string& path, int gpus) {
  if (gpus <= 0) throw InputError("internal: measured_from_file needs the run's GPU count");
  const std::string kind = measured_file_kind(path);
  if (kind == "perun-json") return from_perun_json(path, gpus);
  if (kind == "nvidia-smi") return from_nvidia_smi(path, gpus);
  if (kind == "perun-report") return from_perun_report(path, gpus);
  throw InputError(fmt::format("{}: not a measurement file ddpsim reads: perun JSON export (.json), perun text report (.txt, .md) or "
                               "nvidia-smi CSV log (.csv)",
                               path));
}

}  // namespace ddpsim
