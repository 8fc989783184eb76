#include "calibration/validate.hpp"

#include <cmath>
#include <filesystem>
#include <fmt/format.h>
#include <limits>
#include <optional>
#include <set>

#include "calibration/stages.hpp"
#include "hwmodels/hardware.hpp"
#include "sim/core/errors.hpp"
#include "sim/core/json.hpp"
#include "sim/core/table.hpp"
#include "sim/output/report.hpp"
#include "sim/uncertainty/interval.hpp"
#include "workloads/workload.hpp"

namespace ddpsim {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kGreenAlgorithmsWPerGb = 0.3725;  // Green Algorithms: memory power per GB

double rel_err(double pred, double meas) { return (pred - meas) / meas; }

// Measured quantities of a run, with the total derived from CPU energy and CPU share if needed.
std::vector<std::pair<std::string, std::pair<double, bool>>> measured_quantities(const MeasuredRun& r) {
  std::vector<std::pair<std::string, std::pair<double, bool>>> out;
  for (const auto& [q, v] : r.measured) {
    if (is_known_quantity(q)) out.push_back({q, {v, false}});
    if (q == "mean_gpu_power_w") out.push_back({"average_gpu_power_w", {v, false}});  // the simulator's name of it
  }
  if (!r.measured.count("energy_total_kwh") && r.measured.count("energy_cpu_kwh") && r.measured.count("cpu_share_of_total")) {
    out.push_back({"energy_total_kwh", {r.measured.at("energy_cpu_kwh") / r.measured.at("cpu_share_of_total"), true}});
  }
  return out;
}

double train_samples(const MeasuredRun& r) {
  WorkloadSpec w = load_workload(r.workload);
  double full = w.p(kTrainSamples);
  return r.samples_per_gpu > 0 ? static_cast<double>(r.samples_per_gpu) * r.gpus : full;
}

int epochs_of(const MeasuredRun& r) {
  if (r.epochs > 0) return r.epochs;
  WorkloadSpec w = load_workload(r.workload);
  return w.phase(r.phase).epochs();
}

struct Baselines {
  double gpuh = kNaN, runtime_h = kNaN, tdp_total = kNaN, tdp_cpu = kNaN, tdp_gpu = kNaN, kwh_total = kNaN;
};

Baselines baselines(const MeasuredRun& run, const std::vector<const MeasuredRun*>& refs, double ddpsim_gpuh) {
  Baselines b;
  // Ideal scaling: samples x epochs per GPU-hour from references with a measured runtime.
  double thr_sum = 0;
  int thr_n = 0;
  for (const auto* ref : refs) {
    if (ref->workload != run.workload || ref->phase != run.phase || ref->hardware != run.hardware) continue;
    auto it = ref->measured.find("runtime_h");
    if (it == ref->measured.end()) continue;
    thr_sum += train_samples(*ref) * epochs_of(*ref) / (it->second * ref->gpus);
    ++thr_n;
  }
  double work = train_samples(run) * epochs_of(run);
  if (thr_n > 0) {
    b.gpuh = work / (thr_sum / thr_n);
    b.runtime_h = b.gpuh / run.gpus;
  } else {
    b.gpuh = ddpsim_gpuh;  // no reference runtime: borrow ddpsim's GPU hours
  }
  HardwareSpec hw = load_hardware(run.hardware);
  double g = hw.gpus_per_node();
  double cpu_w = hw.p(kSockets) * hw.p(kCpuTdp) / g;
  double ram_w = hw.p(kRamMetered) != 0.0 ? hw.p(kRam) / 1e9 * kGreenAlgorithmsWPerGb / g : 0.0;
  b.tdp_gpu = b.gpuh * hw.p(kGpuTdp) / 1000.0;
  b.tdp_cpu = b.gpuh * cpu_w / 1000.0;
  b.tdp_total = b.gpuh * (hw.p(kGpuTdp) + cpu_w + ram_w) / 1000.0;
  // Constant kWh per GPUh over the references that measured both.
  double k_sum = 0;
  int k_n = 0;
  for (const auto* ref : refs) {
    auto e = ref->measured.find("energy_total_kwh");
    auto t = ref->measured.find("runtime_h");
    if (e == ref->measured.end() || t == ref->measured.end()) continue;
    k_sum += e->second / (t->second * ref->gpus);
    ++k_n;
  }
  if (k_n > 0) b.kwh_total = k_sum / k_n * b.gpuh;
  return b;
}

double baseline_for(const std::string& q, const Baselines& b, bool tdp) {
  if (q == "runtime_h") return b.runtime_h;
  if (q == "gpu_hours") return std::isfinite(b.runtime_h) ? b.gpuh : kNaN;
  if (q == "energy_total_kwh") return tdp ? b.tdp_total : b.kwh_total;
  if (!tdp) return kNaN;
  if (q == "energy_cpu_kwh") return b.tdp_cpu;
  if (q == "energy_gpu_kwh") return b.tdp_gpu;
  if (q == "cpu_share_of_total") return b.tdp_cpu / b.tdp_total;
  return kNaN;
}

Calibration prior_calibration(const std::string& priors_file, const Calibration& fitted) {
  // The paper stage's priors: the priors file, with the Zeus fits of `fitted` and their transfer.
  Calibration pri = load_calibration(priors_file.empty() ? default_priors_path() : priors_file);
  std::vector<std::string> zeus;
  for (const auto& [hw, set] : fitted.node_sets) {
    if (hw.rfind("zeus-", 0) == 0) {
      pri.node_sets.insert_or_assign(hw, set);
      zeus.push_back(hw.substr(5));
    }
  }
  for (const auto& [key, set] : fitted.workload_sets) {
    if (key.second.rfind("zeus-", 0) == 0) pri.workload_sets.insert_or_assign(key, set);
  }
  transfer_zeus_shapes(pri, zeus);
  return pri;
}

// One measured value against its interval, counted in the coverage group (no interval: not counted).
void count_coverage(ValidationReport& rep, const std::string& group, double measured, double low, double high) {
  if (!std::isfinite(low)) return;
  auto& c = rep.coverage[group];
  c.second += 1;
  if (measured >= low && measured <= high) c.first += 1;
}

// The measured runs of every --measured file: measured-runs YAML, or one perun / nvidia-smi file
// whose run the options describe.
std::vector<MeasuredRun> load_measured_runs(const ValidateInputs& in) {
  std::vector<MeasuredRun> runs;
  for (const auto& f : in.measured_files) {
    if (!measured_file_kind(f).empty()) {
      if (in.run_workload.empty() || in.run_hardware.empty() || in.run_gpus <= 0 || in.run_lbs <= 0) {
        throw InputError("--measured " + f + " is a " + measured_file_kind(f) +
                         " file: describe the run it measured with --workload, --hardware, --gpus and --lbs (or list it in a measured-runs YAML "
                         "under measured_from)");
      }
      runs.push_back(measured_run_from_file(f, in.run_workload, in.run_hardware, in.run_gpus, in.run_lbs, in.run_epochs, in.run_samples_per_gpu));
      continue;
    }
    MeasuredSet ms = read_measured_runs(f);
    runs.insert(runs.end(), ms.runs.begin(), ms.runs.end());
  }
  return runs;
}

// Each measured run predicted (with --leave-one-out: by a refit of the paper stage without it),
// one row per measured quantity, with both baselines and, with an interval level, its interval.
void validate_measured_runs(const ValidateInputs& in, const Calibration& cal, const std::vector<MeasuredRun>& runs, const LmOptions& opt,
                            const IntervalOptions& io, ValidationReport& rep) {
  Calibration priors = runs.empty() ? cal : prior_calibration(in.priors_file, cal);
  const FitUncertainty* paper_fit = nullptr;
  for (const auto& f : cal.fits) {
    if (f.name == "paper") paper_fit = &f;
  }
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const MeasuredRun& run = runs[i];
    Calibration model = cal;
    std::vector<const MeasuredRun*> refs;
    for (std::size_t j = 0; j < runs.size(); ++j) {
      if (!in.leave_one_out || j != i) refs.push_back(&runs[j]);
    }
    if (in.leave_one_out) {
      std::vector<MeasuredRun> train;
      for (const auto* r : refs) train.push_back(*r);
      CalibrationProblem pb = paper_problem(train, cal, priors);
      FitResult fr = pb.fit(opt);
      model = pb.with(fr.values, &fr.stderrs, "leave-one-out fit");
      // The held-out run's interval: the refit's covariance, the calibration's discrepancy
      // (estimated from all runs, this one included: a small leak, said in the README).
      model.fits = {fit_uncertainty("paper", pb, fr)};
      if (paper_fit) model.fits.front().discrepancy = paper_fit->discrepancy;
    }
    RunConfig c = run_config(run, 3);
    RunResult res = simulate(resolve_scenario(c, model), c.seed);
    std::optional<IntervalResult> iv;
    if (in.interval_level > 0) iv = predict_interval(c, model, res, io);
    Baselines b = baselines(run, refs, res.gpu_hours);
    for (const auto& [q, mv] : measured_quantities(run)) {
      ValidationRow row;
      row.run_id = run.id;
      row.source = std::filesystem::path(run.file).filename().string();  // "" for runs built in memory
      row.quantity = q;
      row.measured = mv.first;
      row.derived = mv.second;
      row.predicted = observe(q, res, 1.0);
      row.tdp_baseline = baseline_for(q, b, true);
      row.kwh_baseline = baseline_for(q, b, false);
      row.low = row.high = kNaN;
      if (iv) {
        if (const QuantityInterval* qi = iv->find(interval_output_of(q))) {
          row.low = qi->low;
          row.high = qi->high;
          if (q != "gpu_hours") count_coverage(rep, "measured runs " + q, row.measured, row.low, row.high);  // gpu_hours = n x runtime_h
        }
      }
      rep.rows.push_back(row);
    }
  }
}

// MAPE per quantity and method, pooled and (where there are several) per measured-runs file.
// A method without a prediction for a row (NaN baseline) is left out of that row's average.
void summarise_mape(ValidationReport& rep) {
  struct MapeAcc {
    double sum = 0;
    int n = 0;
    void add(double predicted, double measured) {
      if (!std::isfinite(predicted)) return;
      sum += std::fabs(rel_err(predicted, measured));
      ++n;
    }
  };
  std::map<std::string, std::map<std::string, MapeAcc>> acc;                  // quantity -> method
  std::map<std::string, std::map<std::string, MapeAcc>> acc_by_source;        // file -> quantity (ddpsim)
  std::set<std::string> sources;
  for (const auto& r : rep.rows) {
    acc[r.quantity]["ddpsim"].add(r.predicted, r.measured);
    acc[r.quantity]["tdp_baseline"].add(r.tdp_baseline, r.measured);
    acc[r.quantity]["kwh_per_gpuh_baseline"].add(r.kwh_baseline, r.measured);
    acc_by_source[r.source][r.quantity].add(r.predicted, r.measured);
    sources.insert(r.source);
  }
  for (const auto& [q, m] : acc) {
    for (const auto& [method, a] : m) {
      if (a.n > 0) rep.mape[q][method] = a.sum / a.n;
    }
    rep.count[q] = m.at("ddpsim").n;
  }
  if (sources.size() > 1) {
    for (const auto& [src, qs] : acc_by_source) {
      for (const auto& [q, a] : qs) rep.mape_by_source[src][q] = {a.sum / a.n, a.n};
    }
  }
}

// A held-out Zeus point's interval from its refit: the runtime and GPU-power bounds scaled onto
// the predicted epoch time and mean power, each counted in its coverage group.
void zeus_interval(const RunConfig& zc, const Calibration& model, const IntervalOptions& io, ZeusRow& z, ValidationReport& rep) {
  RunResult zr = simulate(resolve_scenario(zc, model), zc.seed);
  IntervalResult ziv = predict_interval(zc, model, zr, io);
  const QuantityInterval* t = ziv.find("runtime_h");
  const QuantityInterval* pw = ziv.find("mean_power_w.gpu");
  if (t && t->value > 0) {
    z.time_low_s = z.time_predicted_s * t->low / t->value;
    z.time_high_s = z.time_predicted_s * t->high / t->value;
    count_coverage(rep, "zeus time_per_epoch_s", z.time_measured_s, z.time_low_s, z.time_high_s);
  }
  if (pw && pw->value > 0) {
    z.power_low_w = z.power_predicted_w * pw->low / pw->value;
    z.power_high_w = z.power_predicted_w * pw->high / pw->value;
    count_coverage(rep, "zeus average_gpu_power_w", z.power_measured_w, z.power_low_w, z.power_high_w);
  }
}

// Zeus: hold out whole batch sizes, refit on the others, predict the held-out points.
void validate_zeus(const ValidateInputs& in, const Calibration& cal, const LmOptions& opt, const IntervalOptions& io, ValidationReport& rep) {
  Calibration zeus_priors = load_calibration(in.priors_file.empty() ? default_priors_path() : in.priors_file);
  for (const auto& dir : in.trace_dirs) {
    for (const auto& [gpu, points] : zeus_resnet_points(read_zeus_dir(dir))) {
      std::set<int> sizes;
      for (const auto& p : points) sizes.insert(p.batch_size);
      double et = 0, ep = 0;
      int n = 0;
      for (int bs : sizes) {
        std::vector<ZeusPoint> train, test;
        for (const auto& p : points) (p.batch_size == bs ? test : train).push_back(p);
        CalibrationProblem pb = zeus_problem(train, gpu, cal, zeus_priors);
        FitResult fr = pb.fit(opt);
        Calibration model = pb.with(fr.values);
        // The refit's own covariance and leave-one-point-out discrepancy: nothing of the
        // held-out batch size enters its interval.
        model.fits = {fit_uncertainty("zeus-" + gpu, pb, fr)};
        CalibrationProblem tp = zeus_problem(test, gpu, model, zeus_priors);
        std::vector<double> pred = tp.predict(tp.base);
        for (std::size_t k = 0; k < test.size(); ++k) {
          ZeusRow z{gpu, bs, test[k].power_limit_w, test[k].time_per_epoch_s, pred[2 * k], test[k].average_power_w, pred[2 * k + 1]};
          z.time_low_s = z.time_high_s = z.power_low_w = z.power_high_w = kNaN;
          if (in.interval_level > 0) zeus_interval(tp.observations[2 * k].config, model, io, z, rep);
          et += std::fabs(rel_err(z.time_predicted_s, z.time_measured_s));
          ep += std::fabs(rel_err(z.power_predicted_w, z.power_measured_w));
          ++n;
          rep.zeus.push_back(z);
        }
      }
      rep.zeus_mape[gpu] = {et / n, ep / n};
    }
  }
}

}  // namespace

ValidationReport run_validation(const ValidateInputs& in) {
  ValidationReport rep;
  rep.leave_one_out = in.leave_one_out;
  const Calibration cal = load_calibration(in.calibration_file);
  rep.calibration_file = display_calibration_path(cal.file);
  rep.calibration_id = cal.id;
  rep.interval_level = in.interval_level;
  LmOptions opt;
  opt.max_iterations = in.max_iterations;
  IntervalOptions io;
  io.level = in.interval_level > 0 ? in.interval_level : 0.9;
  validate_measured_runs(in, cal, load_measured_runs(in), opt, io, rep);
  summarise_mape(rep);
  validate_zeus(in, cal, opt, io, rep);
  return rep;
}

namespace {
// One method's MAPE of one quantity as a percentage with one decimal ("-" where the method
// predicts nothing); `percent` follows the number ("%" in the text table, " %" in Markdown).
std::string mape_cell(const std::map<std::string, double>& m, const char* method, const char* percent) {
  auto it = m.find(method);
  if (it == m.end()) return "-";
  return fmt::format("{:.1f}{}", 100 * it->second, percent);
}
}  // namespace

// Share of measured values inside their prediction intervals, per group (and over all).
std::string coverage_text(const ValidationReport& r, bool markdown) {
  if (r.coverage.empty()) return "";
  std::string o;
  int in_all = 0, n_all = 0;
  if (markdown) {
    o += fmt::format("\nShare of measured values inside the {:.4g} % prediction intervals:\n\n| group | inside | total | share |\n|---|---:|---:|---:|\n",
                     100 * r.interval_level);
  } else {
    o += fmt::format("\nshare of measured values inside the {:.4g} % prediction intervals:\n", 100 * r.interval_level);
  }
  for (const auto& [g, c] : r.coverage) {
    in_all += c.first;
    n_all += c.second;
    if (markdown) {
      o += fmt::format("| {} | {} | {} | {:.1f} % |\n", g, c.first, c.second, 100.0 * c.first / c.second);
    } else {
      o += "  " + pad(g, 36, Align::kLeft) + fmt::format(" {:>4} / {:<4} {:>6.1f} %\n", c.first, c.second, 100.0 * c.first / c.second);
    }
  }
  if (markdown) {
    o += fmt::format("| all | {} | {} | {:.1f} % |\n", in_all, n_all, 100.0 * in_all / n_all);
  } else {
    o += "  " + pad("all", 36, Align::kLeft) + fmt::format(" {:>4} / {:<4} {:>6.1f} %\n", in_all, n_all, 100.0 * in_all / n_all);
  }
  return o;
}

std::string validation_table(const ValidationReport& r) {
  std::string o = fmt::format("validation against measured runs ({}), calibration {} (id {})\n", r.leave_one_out ? "leave-one-out" : "in-sample",
                              r.calibration_file, r.calibration_id);
  const TextTable table({{"run", 26, Align::kLeft},
                         {"quantity", 20, Align::kLeft},
                         {"measured", 11, Align::kRight},
                         {"ddpsim", 11, Align::kRight},
                         {"error", 8, Align::kRight},
                         {"tdp", 11, Align::kRight},
                         {"error", 8, Align::kRight},
                         {"kWh/GPUh", 11, Align::kRight},
                         {"error", 8, Align::kRight}});
  o += table.header();
  // A prediction and its relative error: two cells.
  auto value = [](double v) { return std::isfinite(v) ? fmt::format("{:.4g}", v) : std::string("-"); };
  auto error = [](double v, double m) { return std::isfinite(v) ? fmt::format("{:+.1f}%", 100 * (v - m) / m) : std::string("-"); };
  for (const auto& row : r.rows) {
    // The '*' of a derived value follows the measured value, so the cells after it sit one byte right of their header.
    o += table.row({row.run_id, row.quantity, pad(fmt::format("{:.4g}", row.measured), 11, Align::kRight) + (row.derived ? "*" : " "),
                    value(row.predicted), error(row.predicted, row.measured), value(row.tdp_baseline), error(row.tdp_baseline, row.measured),
                    value(row.kwh_baseline), error(row.kwh_baseline, row.measured)});
  }
  o += "(* derived: energy_total = energy_cpu / cpu_share_of_total)\n\nMAPE per quantity:\n";
  const TextTable mape_table({{"quantity", 20, Align::kLeft},
                              {"n", 5, Align::kRight},
                              {"ddpsim", 10, Align::kRight},
                              {"tdp_baseline", 14, Align::kRight},
                              {"kwh_per_gpuh_baseline", 22, Align::kRight}},
                             "  ");
  o += mape_table.header();
  for (const auto& [q, m] : r.mape) {
    const auto& mape = m;  // clang 14 cannot capture a structured binding
    auto get = [&mape](const char* k) { return mape_cell(mape, k, "%"); };
    o += mape_table.row({q, std::to_string(r.count.at(q)), get("ddpsim"), get("tdp_baseline"), get("kwh_per_gpuh_baseline")});
  }
  if (!r.mape_by_source.empty()) {
    o += "\nddpsim MAPE per measured-runs file:\n";
    for (const auto& [src, qs] : r.mape_by_source) {
      for (const char* q : {"runtime_h", "energy_total_kwh"}) {
        auto it = qs.find(q);
        if (it != qs.end()) o += fmt::format("  {:<28} {:<18} {:>5.1f}%  (n = {})\n", src, q, 100 * it->second.first, it->second.second);
      }
    }
  }
  o += coverage_text(r, false);
  if (!r.zeus_mape.empty()) {
    o += "\nZeus traces, whole batch sizes held out (refit on the others), MAPE:\n";
    for (const auto& [gpu, m] : r.zeus_mape) {
      o += "  " + pad(gpu, 10, Align::kLeft) + fmt::format(" epoch time {:>5.1f}%   mean GPU power {:>5.1f}%\n", 100 * m.first, 100 * m.second);
    }
  }
  return o;
}

std::string validation_markdown(const ValidationReport& r) {
  std::string o = fmt::format("Validation ({}) of calibration `{}` (id `{}`):\n\n", r.leave_one_out ? "leave-one-out" : "in-sample",
                              r.calibration_file, r.calibration_id);
  o += "| run | quantity | measured | ddpsim | error | TDP baseline | error | kWh/GPUh baseline | error |\n|---|---|---:|---:|---:|---:|---:|---:|---:|\n";
  auto cell = [](double v, double m) {
    if (!std::isfinite(v)) return std::string("- | -");
    return fmt::format("{:.4g} | {:+.1f} %", v, 100 * (v - m) / m);
  };
  for (const auto& row : r.rows) {
    o += fmt::format("| {} | {} | {:.4g}{} | {} | {} | {} |\n", row.run_id, row.quantity, row.measured, row.derived ? " (derived)" : "",
                     cell(row.predicted, row.measured), cell(row.tdp_baseline, row.measured), cell(row.kwh_baseline, row.measured));
  }
  o += "\n| quantity | n | ddpsim MAPE | TDP baseline MAPE | kWh/GPUh baseline MAPE |\n|---|---:|---:|---:|---:|\n";
  for (const auto& [q, m] : r.mape) {
    const auto& mape = m;  // clang 14 cannot capture a structured binding
    auto get = [&mape](const char* k) { return mape_cell(mape, k, " %"); };
    o += fmt::format("| {} | {} | {} | {} | {} |\n", q, r.count.at(q), get("ddpsim"), get("tdp_baseline"), get("kwh_per_gpuh_baseline"));
  }
  if (!r.mape_by_source.empty()) {
    o += "\nddpsim MAPE per measured-runs file (runtime and total energy):\n\n| file | runtime_h | energy_total_kwh |\n|---|---:|---:|\n";
    for (const auto& [src, qs] : r.mape_by_source) {
      const auto& by_q = qs;  // clang 14 cannot capture a structured binding
      auto src_cell = [&by_q](const char* q) {
        auto it = by_q.find(q);
        return it == by_q.end() ? std::string("-") : fmt::format("{:.1f} % (n = {})", 100 * it->second.first, it->second.second);
      };
      o += fmt::format("| {} | {} | {} |\n", src, src_cell("runtime_h"), src_cell("energy_total_kwh"));
    }
  }
  o += coverage_text(r, true);
  if (!r.zeus_mape.empty()) {
    o += "\nZeus traces (ResNet50/ImageNet), each batch size held out in turn:\n\n| GPU | epoch-time MAPE | mean-power MAPE |\n|---|---:|---:|\n";
    for (const auto& [gpu, m] : r.zeus_mape) {
      o += fmt::format("| {} | {:.1f} % | {:.1f} % |\n", gpu, 100 * m.first, 100 * m.second);
    }
  }
  return o;
}

std::string validation_json(const ValidationReport& r) {
  JsonWriter j;
  j.begin_object();
  j.value("leave_one_out", r.leave_one_out).value("calibration", r.calibration_file).value("calibration_id", r.calibration_id);
  j.begin_array("rows");
  for (const auto& row : r.rows) {
    j.begin_object();
    j.value("run", row.run_id).value("quantity", row.quantity).value("measured", row.measured).value("derived", row.derived);
    j.value("predicted", row.predicted).value("rel_error", rel_err(row.predicted, row.measured));
    j.value("tdp_baseline", row.tdp_baseline).value("tdp_rel_error", rel_err(row.tdp_baseline, row.measured));
    j.value("kwh_per_gpuh_baseline", row.kwh_baseline).value("kwh_per_gpuh_rel_error", rel_err(row.kwh_baseline, row.measured));
    if (std::isfinite(row.low)) j.begin_array("interval").value("", row.low).value("", row.high).end_array();
    j.end_object();
  }
  j.end_array();
  j.begin_object("summary");
  j.begin_object("mape");
  for (const char* method : {"ddpsim", "tdp_baseline", "kwh_per_gpuh_baseline"}) {
    j.begin_object(method);
    for (const auto& [q, m] : r.mape) {
      auto it = m.find(method);
      if (it != m.end()) j.value(q, it->second);
    }
    j.end_object();
  }
  j.end_object();
  j.begin_object("count");
  for (const auto& [q, n] : r.count) j.value(q, static_cast<long long>(n));
  j.end_object();
  if (!r.mape_by_source.empty()) {
    // ddpsim's MAPE per measured-runs file: {file: {quantity: {mape, n}}}.
    j.begin_object("ddpsim_mape_by_file");
    for (const auto& [src, qs] : r.mape_by_source) {
      j.begin_object(src);
      for (const auto& [q, c] : qs) j.begin_object(q).value("mape", c.first).value("n", static_cast<long long>(c.second)).end_object();
      j.end_object();
    }
    j.end_object();
  }
  j.end_object();
  if (!r.coverage.empty()) {
    j.begin_object("interval_coverage").value("level", 100 * r.interval_level);
    for (const auto& [g, c] : r.coverage) {
      j.begin_object(g).value("inside", c.first).value("total", c.second).value("share", static_cast<double>(c.first) / c.second).end_object();
    }
    j.end_object();
  }
  if (!r.zeus_mape.empty()) {
    j.begin_object("zeus_holdout_mape");
    for (const auto& [gpu, m] : r.zeus_mape) j.begin_object(gpu).value("time_per_epoch", m.first).value("average_gpu_power", m.second).end_object();
    j.end_object();
  }
  j.end_object();
  return j.str();
}

}  // namespace ddpsim
