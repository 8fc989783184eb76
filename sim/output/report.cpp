#include "sim/output/report.hpp"
#include "sim/output/interval_report.hpp"

#include <cmath>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <cstdlib>
#include <map>

#include "sim/core/catalog.hpp"
#include "sim/core/json.hpp"
#include "sim/core/table.hpp"

namespace ddpsim {

namespace {
constexpr double kJPerKwh = 3.6e6;
SiteOutcome at_site(const Scenario& s, const RunResult& r) {
  return site_outcome(s.site, r.energy_total_j / kJPerKwh, r.runtime_s, r.gpu_hours);
}
double fraction(const RunResult& r, Phase p) {
  double denom = r.gpu_hours * 3600.0;  // GPU device-seconds
  return denom > 0 ? r.phase_time_s[static_cast<int>(p)] / denom : 0.0;
}
}  // namespace

const std::vector<Metric>& run_metrics() {
  static const std::vector<Metric> m = {
      {"runtime_h", [](const Scenario&, const RunResult& r) { return r.runtime_s / 3600.0; }},
      {"gpu_hours", [](const Scenario&, const RunResult& r) { return r.gpu_hours; }},
      {"energy_kwh.gpu", [](const Scenario&, const RunResult& r) { return r.energy_j[0] / kJPerKwh; }},
      {"energy_kwh.cpu", [](const Scenario&, const RunResult& r) { return r.energy_j[1] / kJPerKwh; }},
      {"energy_kwh.ram", [](const Scenario&, const RunResult& r) { return r.energy_j[2] / kJPerKwh; }},
      {"energy_kwh.total", [](const Scenario&, const RunResult& r) { return r.energy_total_j / kJPerKwh; }},
      {"kwh_per_gpu_hour", [](const Scenario&, const RunResult& r) { return r.gpu_hours > 0 ? r.energy_total_j / kJPerKwh / r.gpu_hours : 0.0; }},
      {"facility_energy_kwh", [](const Scenario& s, const RunResult& r) { return at_site(s, r).facility_energy_kwh; }},
      {"emissions_kg_co2e", [](const Scenario& s, const RunResult& r) { return at_site(s, r).emissions_kg_co2e; }},
      {"cost", [](const Scenario& s, const RunResult& r) { return at_site(s, r).cost; }},
      {"cost_energy", [](const Scenario& s, const RunResult& r) { return at_site(s, r).energy_cost; }},
      {"cost_gpu_hours", [](const Scenario& s, const RunResult& r) { return at_site(s, r).gpu_hour_cost; }},
      {"mean_power_w.gpu", [](const Scenario&, const RunResult& r) { return r.mean_gpu_power_w; }},
      {"mean_power_w.cpu_socket", [](const Scenario&, const RunResult& r) { return r.mean_cpu_socket_power_w; }},
      {"samples_per_gpu_hour", [](const Scenario&, const RunResult& r) { return r.gpu_hours > 0 ? static_cast<double>(r.samples_trained) / r.gpu_hours : 0.0; }},
      {"updates_per_gpu_hour", [](const Scenario&, const RunResult& r) { return r.gpu_hours > 0 ? static_cast<double>(r.steps) / r.gpu_hours : 0.0; }},
      {"time_fraction.compute", [](const Scenario&, const RunResult& r) { return fraction(r, Phase::Compute); }},
      {"time_fraction.communication_exposed", [](const Scenario&, const RunResult& r) { return fraction(r, Phase::Communication); }},
      {"time_fraction.data_stall", [](const Scenario&, const RunResult& r) { return fraction(r, Phase::Stall); }},
      {"time_fraction.idle", [](const Scenario&, const RunResult& r) { return fraction(r, Phase::Idle); }},
      {"gpu_energy_kwh_by_phase.compute", [](const Scenario&, const RunResult& r) { return r.phase_energy_j[0] / kJPerKwh; }},
      {"gpu_energy_kwh_by_phase.communication_exposed", [](const Scenario&, const RunResult& r) { return r.phase_energy_j[1] / kJPerKwh; }},
      {"gpu_energy_kwh_by_phase.data_stall", [](const Scenario&, const RunResult& r) { return r.phase_energy_j[2] / kJPerKwh; }},
      {"gpu_energy_kwh_by_phase.idle", [](const Scenario&, const RunResult& r) { return r.phase_energy_j[3] / kJPerKwh; }},
      {"worker_startup_s", [](const Scenario&, const RunResult& r) { return r.worker_startup_s; }},
      {"pass_first_batch_wait_s.train", [](const Scenario&, const RunResult& r) { return r.pass_first_batch_wait_s[0]; }},
      {"pass_first_batch_wait_s.train_eval", [](const Scenario&, const RunResult& r) { return r.pass_first_batch_wait_s[1]; }},
      {"pass_first_batch_wait_s.validation", [](const Scenario&, const RunResult& r) { return r.pass_first_batch_wait_s[2]; }},
      {"pass_duration_s.train", [](const Scenario&, const RunResult& r) { return r.pass_duration_s[0]; }},
      {"pass_duration_s.train_eval", [](const Scenario&, const RunResult& r) { return r.pass_duration_s[1]; }},
      {"pass_duration_s.validation", [](const Scenario&, const RunResult& r) { return r.pass_duration_s[2]; }},
  };
  return m;
}

std::string display_calibration_path(const std::string& path) {
  std::string base = data_dir() + "/";
  if (path.rfind(base, 0) == 0) return path.substr(base.size());
  return path;
}

namespace {

struct Stats {
  std::vector<double> mean, sd;
};

Stats compute_stats(const Scenario& s, const std::vector<RunResult>& runs) {
  const auto& ms = run_metrics();
  Stats st;
  st.mean.assign(ms.size(), 0.0);
  st.sd.assign(ms.size(), 0.0);
  double k = static_cast<double>(runs.size());
  for (std::size_t i = 0; i < ms.size(); ++i) {
    double sum = 0;
    for (const auto& r : runs) sum += ms[i].get(s, r);
    double mean = sum / k;
    double ss = 0;
    for (const auto& r : runs) ss += (ms[i].get(s, r) - mean) * (ms[i].get(s, r) - mean);
    st.mean[i] = mean;
    st.sd[i] = runs.size() > 1 ? std::sqrt(ss / (k - 1)) : 0.0;
  }
  return st;
}

// Writes metrics whose paths share top-level groups as nested objects, in declaration order.
void write_metrics(JsonWriter& j, const std::vector<double>& values, const char* only_group = nullptr, bool skip_groups = false) {
  const auto& ms = run_metrics();
  std::string open;
  for (std::size_t i = 0; i < ms.size(); ++i) {
    std::string path = ms[i].path;
    auto dot = path.find('.');
    std::string group = dot == std::string::npos ? "" : path.substr(0, dot);
    std::string leaf = dot == std::string::npos ? path : path.substr(dot + 1);
    if (only_group && group != only_group) continue;
    if (skip_groups && !group.empty()) continue;
    if (group != open) {
      if (!open.empty()) j.end_object();
      if (!group.empty()) j.begin_object(group);
      open = group;
    }
    j.value(leaf, values[i]);
  }
  if (!open.empty()) j.end_object();
}

// The site inputs behind facility_energy_kwh, emissions_kg_co2e and cost; 0 = not given.
void write_site(JsonWriter& j, const Scenario& s, const std::vector<RunResult>& runs) {
  double runtime_s = 0;
  for (const auto& r : runs) runtime_s += r.runtime_s;
  runtime_s /= static_cast<double>(runs.size());
  j.begin_object("site");
  j.value("pue", s.site.p(kSitePue));
  j.value("carbon_intensity_g_per_kwh", s.site.mean_intensity_g_per_kwh(runtime_s));
  j.value("carbon_intensity_source", s.site.intensity_source());
  if (!s.site.start_time.empty()) j.value("start_time", format_iso8601_utc(s.site.start_time_s));
  j.value("energy_price_per_kwh", s.site.p(kSiteEnergyPrice));
  j.value("gpu_hour_price", s.site.p(kSiteGpuHourPrice));
  j.value("currency", s.site.currency);
  std::string missing;
  if (s.site.intensity_source() == "not given") missing += "carbon_intensity";
  if (!(s.site.p(kSiteEnergyPrice) > 0)) missing += std::string(missing.empty() ? "" : ", ") + "energy_price";
  if (!(s.site.p(kSiteGpuHourPrice) > 0)) missing += std::string(missing.empty() ? "" : ", ") + "gpu_hour_price";
  j.value("not_given", missing);
  j.end_object();
}

}  // namespace

void write_provenance(JsonWriter& j, const Scenario& s, bool params) {
  j.begin_object("provenance");
  for (auto [key, src] : {std::pair{"node_calibration", &s.node_source}, std::pair{"workload_calibration", &s.workload_source}}) {
    j.begin_object(key).value("kind", src->kind).value("entry", src->entry).value("how", src->how).end_object();
  }
  j.begin_array("warnings");
  for (const auto& w : s.calibration_warnings) j.value("", w);
  j.end_array();
  if (params) {
    j.begin_array("params");
    for (const auto& p : calibration_provenance(s.node_cal, s.wl_cal)) {
      j.begin_object().value("name", p.name).value("value", p.value).value("source", p.source).end_object();
    }
    j.end_array();
  }
  j.end_object();
}

std::string provenance_table(const Scenario& s) {
  std::string out = "calibration of " + s.wl.name + " (" + s.phase.name + ") on " + s.hw.name + ":\n";
  out += "  node calibration:     " + s.node_source.kind + " - " + s.node_source.how + "\n";
  out += "  workload calibration: " + s.workload_source.kind + " - " + s.workload_source.how + "\n";
  for (const auto& w : s.calibration_warnings) out += "  warning: " + w + "\n";
  const TextTable table({{"parameter", 32, Align::kLeft}, {"value", 16, Align::kLeft}, {"source", 0, Align::kLeft}}, "  ");
  out += table.header();
  for (const auto& p : calibration_provenance(s.node_cal, s.wl_cal)) out += table.row({p.name, p.value, p.source});
  return out;
}

std::string rank_classes_note(const Scenario& s, const RunResult& r) {
  if (r.rank_class_size <= 1) return fmt::format("one node: all {} ranks simulated (exact)", s.gpus);
  std::string how = s.wl_cal[kJitterCv] > 0
                        ? fmt::format("each step's slowest rank drawn from the order statistics of {} ranks' compute jitter (cv {:.3g}), "
                                      "exact in distribution; at the end of each evaluation pass the slowest rank's sum of jittered "
                                      "batches from the normal order statistics (approximation)",
                                      r.rank_class_size, s.wl_cal[kJitterCv])
                        : std::string("no compute jitter: every node behaves alike (exact)");
  return fmt::format("{} of {} ranks simulated, each standing for {} ranks (one per node); {}", r.simulated_ranks, s.gpus, r.rank_class_size, how);
}

std::size_t idx_energy(const std::vector<Metric>& ms) {
  for (std::size_t i = 0; i < ms.size(); ++i) if (std::string(ms[i].path) == "energy_kwh.total") return i;
  return 0;
}

std::string result_json(const Scenario& s, const std::vector<RunResult>& runs, bool param_provenance, const IntervalResult* interval) {
  Stats st = compute_stats(s, runs);
  const auto& ms = run_metrics();
  auto idx = [&](const char* p) {
    for (std::size_t i = 0; i < ms.size(); ++i) if (std::string(ms[i].path) == p) return i;
    return static_cast<std::size_t>(0);
  };
  auto mean_of = [&](const char* p) { return st.mean[idx(p)]; };
  JsonWriter j;
  j.begin_object();
  j.value("workload", s.wl.name).value("phase", s.phase.name).value("hardware", s.hw.name);
  j.value("gpus", static_cast<long long>(s.gpus)).value("lbs", s.lbs).value("gbs", s.gbs);
  j.value("epochs", static_cast<long long>(s.epochs));
  if (s.has_target) {
    j.begin_object("target").value("metric", s.target.metric).value("value", s.target.value);
    j.value("epochs", static_cast<long long>(s.epochs)).value("runtime_h", mean_of("runtime_h"));
    j.value("energy_kwh_total", mean_of("energy_kwh.total")).value("epochs_model", s.target.epochs_model);
    j.value("small_batch_epochs", s.target.small_batch_epochs).value("b_noise", s.target.b_noise);
    j.value("max_epochs", s.target.max_epochs).end_object();
  }
  j.value("runtime_h", mean_of("runtime_h")).value("gpu_hours", mean_of("gpu_hours"));
  write_metrics(j, st.mean, "energy_kwh");
  if (interval) write_interval(j, *interval);
  j.value("kwh_per_gpu_hour", mean_of("kwh_per_gpu_hour"));
  j.value("facility_energy_kwh", mean_of("facility_energy_kwh"));
  j.value("emissions_kg_co2e", mean_of("emissions_kg_co2e"));
  j.value("cost", mean_of("cost")).value("cost_energy", mean_of("cost_energy")).value("cost_gpu_hours", mean_of("cost_gpu_hours"));
  write_metrics(j, st.mean, "mean_power_w");
  j.value("samples_per_gpu_hour", mean_of("samples_per_gpu_hour"));
  j.value("updates_per_gpu_hour", mean_of("updates_per_gpu_hour"));
  write_metrics(j, st.mean, "time_fraction");
  write_metrics(j, st.mean, "gpu_energy_kwh_by_phase");
  j.value("worker_startup_s", mean_of("worker_startup_s"));
  write_metrics(j, st.mean, "pass_first_batch_wait_s");
  write_metrics(j, st.mean, "pass_duration_s");
  j.value("steps", runs.front().steps);
  j.value("seed", static_cast<long long>(runs.front().seed));
  j.begin_object("calibration").value("file", display_calibration_path(s.calibration_file)).value("id", s.calibration_id).end_object();
  write_provenance(j, s, param_provenance);
  write_site(j, s, runs);
  j.value("version", DDPSIM_VERSION);
  j.value("repeats", static_cast<long long>(runs.size()));
  j.begin_array("seeds");
  for (const auto& r : runs) j.value("", static_cast<long long>(r.seed));
  j.end_array();
  j.value("nodes", static_cast<long long>(s.nodes)).value("cpu_sockets", static_cast<long long>(runs.front().cpu_sockets));
  j.value("train_samples", s.train_samples).value("val_samples", s.val_samples);
  j.value("samples_per_gpu", s.config.samples_per_gpu > 0 ? s.config.samples_per_gpu : 0LL);
  j.value("steps_per_epoch", s.steps_per_epoch).value("max_lbs", s.max_lbs);
  j.value("ram_metered", s.hw.p(kRamMetered) != 0.0);
  j.value("simulated_epochs", static_cast<long long>(runs.front().simulated_epochs));
  if (s.config.rank_classes) {
    const RunResult& r0 = runs.front();
    j.begin_object("rank_classes").value("simulated_ranks", static_cast<long long>(r0.simulated_ranks));
    j.value("ranks_per_class", r0.rank_class_size);
    j.value("exact", r0.rank_class_size == 1 || s.wl_cal[kJitterCv] <= 0);
    j.value("note", rank_classes_note(s, r0)).end_object();
  }
  if (runs.size() > 1) {
    j.begin_object("std");
    write_metrics(j, st.sd, nullptr, true);
    for (const char* g : {"energy_kwh", "mean_power_w", "time_fraction", "gpu_energy_kwh_by_phase", "pass_first_batch_wait_s", "pass_duration_s"}) write_metrics(j, st.sd, g);
    j.end_object();
  }
  j.end_object();
  return j.str();
}

std::string result_table(const Scenario& s, const std::vector<RunResult>& runs, const IntervalResult* interval) {
  Stats st = compute_stats(s, runs);
  const auto& ms = run_metrics();
  std::string out;
  auto put = std::back_inserter(out);
  fmt::format_to(put, "ddpsim {}: {} ({}) on {} x {} GPUs ({} nodes), LBS {}, GBS {}, {} epochs, {} steps/epoch\n", DDPSIM_VERSION,
                 s.wl.name, s.phase.name, s.gpus, s.hw.name, s.nodes, s.lbs, s.gbs, s.epochs, s.steps_per_epoch);
  if (s.has_target) {
    fmt::format_to(put,
                   "target: {}={:.6g} reached after {:.4g} epochs at GBS {} (large-batch model: {:.4g} small-batch epochs, B_noise {:.4g}; "
                   "at most {:.4g}): {} epochs trained, {:.6g} h, {:.6g} kWh\n",
                   s.target.metric, s.target.value, s.target.epochs_model, s.gbs, s.target.small_batch_epochs, s.target.b_noise,
                   s.target.max_epochs, s.epochs, st.mean[0], st.mean[idx_energy(ms)]);
  }
  fmt::format_to(put, "calibration: {} (id {}); seed {}; repeats {}\n", display_calibration_path(s.calibration_file), s.calibration_id,
                 runs.front().seed, runs.size());
  fmt::format_to(put, "site: PUE {:.6g}; carbon intensity {} ({}); energy price {:.6g} {}/kWh; GPU-hour price {:.6g} {}\n",
                 s.site.p(kSitePue), format_quantity(s.site.mean_intensity_g_per_kwh(st.mean[0] * 3600.0), Dim::CarbonIntensity),
                 s.site.intensity_source(), s.site.p(kSiteEnergyPrice), s.site.currency, s.site.p(kSiteGpuHourPrice), s.site.currency);
  // Metric paths are ASCII constants: fmt's width is printf's there.
  for (std::size_t i = 0; i < ms.size(); ++i) {
    if (runs.size() > 1) {
      fmt::format_to(put, "  {:<46} {:>14.6g}  +- {:.3g}{}\n", ms[i].path, st.mean[i], st.sd[i], interval_cell(interval, ms[i].path));
    } else {
      fmt::format_to(put, "  {:<46} {:>14.6g}{}\n", ms[i].path, st.mean[i], interval_cell(interval, ms[i].path));
    }
  }
  if (s.config.rank_classes) fmt::format_to(put, "rank classes: {}\n", rank_classes_note(s, runs.front()));
  if (interval) {
    fmt::format_to(put, "interval: {:.4g} % [low, high]; {}; {} fitted parameters ({}), {} simulations; plus the model discrepancy\n",
                   100 * interval->level, interval->method, interval->parameters, fmt::join(interval->fits, ", "), interval->simulations);
    for (const auto& n : interval->notes) fmt::format_to(put, "interval note: {}\n", n);
  }
  return out;
}

}  // namespace ddpsim
