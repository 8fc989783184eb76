#include "calibration/stages.hpp"

#include "calibration/fit.hpp"
#include "calibration/large_batch_fit.hpp"
#include "calibration/zeus_transfer.hpp"
#include "sim/uncertainty/interval.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "hwmodels/hardware.hpp"
#include "sim/core/catalog.hpp"
#include "sim/core/errors.hpp"
#include "sim/core/hash.hpp"
#include "sim/core/yaml_params.hpp"
#include "sim/provenance/calibration_lookup.hpp"
#include "workloads/workload.hpp"

namespace ddpsim {

namespace {

constexpr int kZeusSteps = 24;          // steps simulated per Zeus point (steady state; scaled to the epoch)
constexpr double kImageNetTrain = 1281167;

FitParameter prior_for(const Calibration& priors, const Target& t, const std::string& label, double default_rel_sd) {
  FitParameter fp;
  fp.label = label;
  ParamSet set = t.node ? priors.node(t.hardware) : priors.workload(t.workload, t.hardware);
  int i = set.table().find(t.param);
  if (i < 0) throw ModelError("internal: no parameter " + t.param);
  const auto& spec = set.table().spec(static_cast<std::size_t>(i));
  fp.prior = set[static_cast<std::size_t>(i)];
  double se = set.stderr_of(static_cast<std::size_t>(i));
  fp.prior_rel_sd = std::isfinite(se) && se > 0 && fp.prior > 0 ? se / fp.prior : default_rel_sd;
  fp.lower = std::max(spec.min_si, fp.prior * 1e-3);
  fp.upper = std::min(spec.max_si, fp.prior * 1e3);
  if (fp.lower <= 0) fp.lower = fp.prior * 1e-3;
  return fp;
}

BoundParameter bound(const Calibration& priors, std::vector<Target> targets, double default_rel_sd = 0.5) {
  const Target& t = targets.front();
  std::string label = (t.node ? t.hardware : t.workload + "/" + t.hardware) + " " + t.param;
  if (targets.size() > 1) label += " (shared)";
  return {prior_for(priors, t, label, default_rel_sd), std::move(targets)};
}

Target node_t(const std::string& hw, const std::string& p) { return {true, hw, "", p}; }
Target wl_t(const std::string& wl, const std::string& hw, const std::string& p) { return {false, hw, wl, p}; }

double geometric_mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += std::log(x);
  return std::exp(s / static_cast<double>(v.size()));
}


void large_batch_stage(Calibration& cal, const std::vector<ZeusTrainPoint>& rows, const std::vector<MeasuredFact>& facts,
                       CalibrationLog& log) {
  const LargeBatchFitResult* imagenet = nullptr;
  std::vector<LargeBatchFitResult> fits;
  std::vector<EpochCurve> curves = zeus_epoch_curves(rows);
  fits.reserve(curves.size());
  for (const auto& c : curves) {
    fits.push_back(fit_epoch_curve(c.points, c.metric, c.target_ref));
    const auto& f = fits.back();
    double m = mape(hold_out_batch_sizes(c));
    log.add(fmt::format("large batch: zeus {}/{} {}={:.6g}: B_noise {:.4g} +- {:.3g}, E_min {:.4g} +- {:.3g} epochs, exponent {:.3g} +- {:.3g}, "
                        "B_small {:.4g} +- {:.3g}; hold-out MAPE {:.1f} %",
                        c.dataset, c.network, c.metric.name, c.target_ref, f.b_noise, f.se_b_noise, f.e_min, f.se_e_min, f.exponent,
                        f.se_exponent, f.b_small, f.se_b_small, 100 * m));
    const std::string source =
        fmt::format("fit: Zeus summary_train.csv {}/{}, {} points ({} targets, median epochs over the runs)", c.dataset, c.network, f.points, c.targets.size());
    cal.large_batch_sets.insert_or_assign({"zeus-" + c.dataset + "-" + c.network, "train"}, large_batch_set(f, c.target_ref, source));
    if (c.dataset == "imagenet" && c.network == "resnet50") imagenet = &fits.back();
  }
  auto fact = [&](const std::string& id) -> const MeasuredFact* {
    for (const auto& f : facts) {
      if (f.id == id) return &f;
    }
    return nullptr;
  };
  auto value = [](const MeasuredFact& f, const std::string& k) {
    auto it = f.values.find(k);
    if (it == f.values.end()) throw ConfigError(f.file, 0, "fact " + f.id + " needs value_" + k);
    return it->second;
  };
  // ResNet50: the 100-epoch schedule just reaches the small-batch top-1 at GBS B1 and reaches
  // only 1 - err2 at GBS B2; the difficulty exponent comes from the Zeus ImageNet fit (prior).
  const MeasuredFact* rn = fact("rn50-top1-large-batch-values");
  if (!rn || !imagenet) {
    log.add("large batch: resnet50 skipped (needs fact rn50-top1-large-batch-values and the Zeus ImageNet/ResNet50 train trace)");
    return;
  }
  const double sigma = value(*rn, "sigma");
  const WorkloadSpec rn50 = load_workload("resnet50");
  const PhaseSpec& rn_phase = rn50.phase("");
  const double rn_epochs = rn_phase.epochs();
  const double b1 = value(*rn, "gbs_small_batch_accuracy"), m1 = 1 - value(*rn, "top1_error_small_batch");
  const double b2 = value(*rn, "gbs_degraded"), m2 = 1 - value(*rn, "top1_error_degraded");
  const TargetMetric& tm = rn50.target;
  std::vector<FitParameter> params = {
      {"resnet50 b_noise", b1, 1e3, 1, 1e9},
      {"resnet50 e_min", rn_epochs / 2, 1e3, 1e-3, 1e6},
      {"resnet50 target_exponent (prior: Zeus ImageNet)", imagenet->exponent, imagenet->se_exponent / imagenet->exponent, 1e-3, 50},
  };
  auto residuals = [&](const std::vector<double>& v) {
    auto e = [&](double b, double m) { return v[1] * std::pow(tm.distance(m) / tm.distance(m1), -v[2]) * (1 + b / v[0]); };
    return std::vector<double>{std::log(e(b1, m1) / rn_epochs) / sigma, std::log(e(b2, m2) / rn_epochs) / sigma};
  };
  LmOptions opt;
  opt.max_iterations = 200;
  opt.tolerance = 1e-12;
  FitResult fr = fit_least_squares(params, residuals, {params[0].prior, params[1].prior, params[2].prior}, opt);
  LargeBatchFitResult rf;
  rf.b_noise = fr.values[0];
  rf.e_min = fr.values[1];
  rf.exponent = fr.values[2];
  rf.se_b_noise = fr.stderrs[0];
  rf.se_e_min = fr.stderrs[1];
  rf.se_exponent = fr.stderrs[2];
  const std::string rn_source = "fit: fact rn50-top1-large-batch-values (derived-runs.yaml), exponent prior from Zeus ImageNet/ResNet50";
  cal.large_batch_sets.insert_or_assign({"resnet50", rn_phase.name}, large_batch_set(rf, m1, rn_source));
  log.add(fmt::format("large batch: resnet50 {} top1={:.4g}: B_noise {:.4g} +- {:.3g}, E_min {:.4g} +- {:.3g} epochs, exponent {:.3g} +- {:.3g}",
                      rn_phase.name, m1, rf.b_noise, rf.se_b_noise, rf.e_min, rf.se_e_min, rf.exponent, rf.se_exponent));
  // FourCastNet: per phase, the phase's schedule just reaches the small-batch RMSE (1 in units
  // of that RMSE) at the GBS beyond which the paper sees degradation. One fact per phase fixes
  // one combination of E_min and B_noise; B_noise / (that GBS) is taken over from ResNet50 as a
  // prior (its relative standard error, at least 50 %), and so is the difficulty exponent.
  const MeasuredFact* fc = fact("fcn-large-batch-values");
  if (!fc) {
    log.add("large batch: fourcastnet skipped (needs fact fcn-large-batch-values)");
    return;
  }
  const WorkloadSpec fcn = load_workload("fourcastnet");
  const double ratio = rf.b_noise / b1, ratio_rel = std::max(0.5, rf.se_b_noise / rf.b_noise);
  const double fsigma = value(*fc, "sigma");
  for (const auto& ph : fcn.phases) {
    const double bstar = value(*fc, "gbs_" + ph.name), epochs = ph.epochs();
    std::vector<FitParameter> fp = {
        {"fourcastnet " + ph.name + " b_noise (prior: ResNet50 ratio)", ratio * bstar, ratio_rel, 1e-3, 1e9},
        {"fourcastnet " + ph.name + " e_min", epochs / 2, 1e3, 1e-3, 1e6},
    };
    auto res = [&](const std::vector<double>& v) { return std::vector<double>{std::log(v[1] * (1 + bstar / v[0]) / epochs) / fsigma}; };
    FitResult f2 = fit_least_squares(fp, res, {fp[0].prior, fp[1].prior}, opt);
    LargeBatchFitResult ff;
    ff.b_noise = f2.values[0];
    ff.e_min = f2.values[1];
    ff.se_b_noise = f2.stderrs[0];
    ff.se_e_min = f2.stderrs[1];
    ff.exponent = rf.exponent;
    ff.se_exponent = rf.se_exponent;
    cal.large_batch_sets.insert_or_assign(
        {"fourcastnet", ph.name}, large_batch_set(ff, 1.0, "fit: fact fcn-large-batch-values (derived-runs.yaml); B_noise ratio and exponent from resnet50"));
    log.add(fmt::format("large batch: fourcastnet {} z500_rmse=1 (relative): B_noise {:.4g} +- {:.3g}, E_min {:.4g} +- {:.3g} epochs", ph.name,
                        ff.b_noise, ff.se_b_noise, ff.e_min, ff.se_e_min));
  }
}

}  // namespace

std::string default_priors_path() { return data_dir() + "/calibration/priors.yaml"; }

std::string file_hash(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return "fnv1a64:" + hex64(fnv1a64(ss.str()));
}

std::map<std::string, std::vector<ZeusPoint>> zeus_resnet_points(const std::vector<ZeusPoint>& all) {
  std::map<std::string, std::vector<ZeusPoint>> out;
  for (const auto& p : all) {
    if (p.dataset == "imagenet" && p.network == "resnet50") out[p.gpu].push_back(p);
  }
  return out;
}

CalibrationProblem zeus_problem(const std::vector<ZeusPoint>& points, const std::string& gpu, const Calibration& base,
                                const Calibration& priors) {
  CalibrationProblem pb;
  pb.base = base;
  const std::string hw = "zeus-" + gpu;
  load_hardware(hw);  // the GPU type must be in the catalog (InputError otherwise)
  for (const auto& p : points) {
    RunConfig c;
    c.workload = "resnet50";
    c.hardware = hw;
    c.gpus = 1;
    c.lbs = p.batch_size;
    c.epochs = 1;
    c.seed = 1;
    const std::string pl = fmt::format("{:.6g} W", p.power_limit_w);
    c.overrides = {{"dataset.train_samples", std::to_string(kZeusSteps * p.batch_size)},
                   {"dataset.val_samples", "0"},
                   {"dataset.train_eval_pass", "false"},
                   {"gpu.power_limit", pl}};
    double scale = kImageNetTrain / (kZeusSteps * static_cast<double>(p.batch_size));
    std::string id = gpu + "/bs" + std::to_string(p.batch_size) + "/" + std::to_string(static_cast<int>(p.power_limit_w)) + "W";
    pb.observations.push_back({id, c, "time_per_epoch_s", p.time_per_epoch_s, 0.03, scale});
    pb.observations.push_back({id, c, "average_gpu_power_w", p.average_power_w, 0.03, 1});
  }
  const std::string wl = "resnet50";
  for (const char* p : {"compute.per_sample", "compute.step_overhead", "compute.overhead_stretch", "power.activity", "power.lbs_half", "power.overhead_activity"}) {
    pb.params.push_back(bound(priors, {wl_t(wl, hw, p)}, 1.0));
  }
  for (const char* p : {"gpu.limit_gamma", "gpu.limit_knee", "gpu.cap_sharpness"}) pb.params.push_back(bound(priors, {node_t(hw, p)}, 1.0));
  return pb;
}

bool is_capture_dir(const std::string& dir) {
  return std::filesystem::is_regular_file(std::filesystem::path(dir) / "meta.yaml") &&
         std::filesystem::is_regular_file(std::filesystem::path(dir) / "steps.csv");
}

CaptureTrace read_capture_dir(const std::string& dir, const std::string& workload, const std::string& hardware) {
  CaptureTrace t;
  t.dir = dir;
  std::string meta = (std::filesystem::path(dir) / "meta.yaml").string();
  YAML::Node m = load_yaml_file(meta);
  t.meta_workload = yaml_string(m, "workload", meta);
  t.meta_hardware = yaml_string(m, "hardware", meta);
  try {
    t.world_size = m["world_size"] ? m["world_size"].as<int>() : 1;
    t.lbs = m["lbs"] ? m["lbs"].as<long long>() : 0;
    if (m["sample_s"]) t.sample_s = m["sample_s"].as<double>();
  } catch (const YAML::Exception& e) {
    throw ConfigError(meta, e.mark.line + 1, "world_size and lbs must be integers, sample_s a number of seconds");
  }
  if (t.world_size < 1 || t.lbs < 1) throw ConfigError(meta, 0, "world_size and lbs must be positive");
  if (!(t.sample_s > 0)) t.sample_s = std::numeric_limits<double>::quiet_NaN();
  // The names of meta.yaml are calibration keys only if the catalog has them; otherwise the
  // user describes the job in files (--workload FILE, --hardware FILE), whose names are the keys.
  t.workload_source = workload.empty() ? t.meta_workload : workload;
  t.hardware_source = hardware.empty() ? t.meta_hardware : hardware;
  try {
    t.workload = load_workload(t.workload_source).name;
  } catch (const InputError& e) {
    if (!workload.empty()) throw;
    throw InputError(fmt::format("{}: the capture's workload '{}' is not in the catalog: describe it in a workload file and give "
                                 "--workload FILE ({})", meta, t.meta_workload, e.what()));
  }
  try {
    t.hardware = load_hardware(t.hardware_source).name;
  } catch (const InputError& e) {
    if (!hardware.empty()) throw;
    throw InputError(fmt::format("{}: the capture's hardware '{}' is not in the catalog: describe the machine in a hardware file and "
                                 "give --hardware FILE ({})", meta, t.meta_hardware, e.what()));
  }
  const std::string steps_csv = (std::filesystem::path(dir) / "steps.csv").string();
  StepSummary steps = summarize_steps(read_step_csv(steps_csv), 1);
  for (const auto& [rank, means] : steps.ranks) {
    // The first step of each rank is warm-up (cuDNN autotuning, allocator growth): it is dropped.
    if (means.steps == 0) {
      throw ConfigError(steps_csv, 0, "rank " + std::to_string(rank) + " has no step after its first (warm-up) step: a capture needs at least 2 steps per rank");
    }
  }
  t.compute_s_per_step = steps.overall.forward_s + steps.overall.backward_s + steps.overall.optimizer_s;
  // One rank has no gradient exchange: what DDP's hooks take then is compute.
  if (t.world_size == 1) t.compute_s_per_step += steps.overall.allreduce_wait_s;
  t.optimizer_s = steps.overall.optimizer_s;
  t.step_s = steps.overall.step_s;
  t.mean_gpu_power_w = std::numeric_limits<double>::quiet_NaN();
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    std::string name = e.path().filename().string();
    if (name.rfind("power", 0) != 0 || e.path().extension() != ".csv") continue;
    double sum = 0;
    int n = 0;
    for (const auto& g : summarize(read_nvidia_smi_csv(e.path().string()))) {
      if (g.samples > 0 && std::isfinite(g.mean_power_w)) {
        sum += g.mean_power_w;
        ++n;
      }
    }
    if (n > 0) t.mean_gpu_power_w = sum / n;
  }
  return t;
}

CalibrationProblem capture_problem(const std::vector<CaptureTrace>& traces, const Calibration& base, const Calibration& priors) {
  CalibrationProblem pb;
  pb.base = base;
  std::map<std::pair<std::string, std::string>, std::set<long long>> lbs_of;
  std::set<std::pair<std::string, std::string>> with_power;
  for (const auto& t : traces) {
    RunConfig c;
    c.workload = t.workload_source.empty() ? t.workload : t.workload_source;
    c.hardware = t.hardware_source.empty() ? t.hardware : t.hardware_source;
    c.gpus = t.world_size;
    c.lbs = t.lbs;
    c.epochs = 1;
    c.overrides = {{"dataset.train_samples", std::to_string(20 * t.lbs * t.world_size)},
                   {"dataset.val_samples", "0"},
                   {"dataset.train_eval_pass", "false"},
                   {"compute.jitter_cv", "0"}};
    pb.observations.push_back({t.dir, c, "compute_s_per_step", t.compute_s_per_step, 0.03, 1});
    if (std::isfinite(t.mean_gpu_power_w)) {
      pb.observations.push_back({t.dir, c, "average_gpu_power_w", t.mean_gpu_power_w, 0.05, 1});
      with_power.insert({t.workload, t.hardware});
    }
    lbs_of[{t.workload, t.hardware}].insert(t.lbs);
  }
  for (const auto& [key, sizes] : lbs_of) {
    pb.params.push_back(bound(priors, {wl_t(key.first, key.second, "compute.per_sample")}));
    if (sizes.size() >= 2) pb.params.push_back(bound(priors, {wl_t(key.first, key.second, "compute.step_overhead")}));
    if (with_power.count(key)) pb.params.push_back(bound(priors, {wl_t(key.first, key.second, "power.activity")}, 0.3));
  }
  return pb;
}

namespace {

// Every parameter of `from` set explicitly (declared defaults included), each citing where it
// came from behind `why`: an entry that the capture does not determine, seeded the way a run
// would have transferred it.
ParamSet seeded_entry(const ParamSet& from, const std::string& why) {
  ParamSet out(from.table());
  for (std::size_t i = 0; i < from.table().size(); ++i) {
    std::string cite = from.citation(i);
    if (cite.empty()) cite = from.is_set(i) ? from.origin(i) : "declared default: " + std::string(from.table().spec(i).source);
    out.set(i, from[i], "transfer", why + ": " + cite, from.stderr_of(i));
  }
  return out;
}

}  // namespace

namespace {

using CapturePairs = std::map<std::pair<std::string, std::string>, std::vector<const CaptureTrace*>>;

std::string folders_of(const std::vector<const CaptureTrace*>& ts) {
  std::string folders;
  for (const CaptureTrace* t : ts) folders += (folders.empty() ? "" : ", ") + t->dir;
  return folders;
}

// A pair or node the calibration lacks starts from its stated transfer, marked as not determined
// by the capture. Returns whether the pair's workload entry is new.
bool seed_capture_entries(Calibration& cal, const std::pair<std::string, std::string>& key, const WorkloadSpec& wl, const HardwareSpec& hw,
                          CalibrationLog& log) {
  if (!cal.node_sets.count(hw.name)) {
    // CPU, RAM and file-system power and the fabric are not in a step trace.
    CalibrationLookup lk = lookup_node_calibration(cal, hw);
    cal.node_sets.insert_or_assign(hw.name, seeded_entry(lk.node_cal, "not determined by the capture, transferred at calibration (" + lk.node.how + ")"));
    log.add(fmt::format("capture: hardware {} is new: its node entry (CPU/RAM power, file system, communication) is {}", hw.name, lk.node.how));
  }
  if (cal.workload_sets.count(key)) return false;
  CalibrationLookup lk = lookup_calibration(cal, wl, hw);
  cal.workload_sets.insert_or_assign(key, seeded_entry(lk.wl_cal, "not determined by the capture, transferred at calibration (" + lk.workload.how + ")"));
  log.add(fmt::format("capture: {} on {} is new: its entry starts from {}", wl.name, hw.name, lk.workload.how));
  return true;
}

// Traced directly: the optimizer step and the decode time per sample (meta.yaml sample_s).
// Returns the log line that says so.
std::string set_traced_values(Calibration& cal, const std::pair<std::string, std::string>& key, const std::vector<const CaptureTrace*>& ts) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  double opt_s = 0, sample_s = 0;
  int with_sample = 0;
  for (const CaptureTrace* t : ts) {
    opt_s += t->optimizer_s / static_cast<double>(ts.size());
    if (std::isfinite(t->sample_s)) {
      sample_s += t->sample_s;
      ++with_sample;
    }
  }
  const std::string folders = folders_of(ts);
  set_calibration_value(cal, wl_t(key.first, key.second, "compute.optimizer"), opt_s, nan,
                        "traced: mean optimizer_s of " + folders + " (steps.csv, warm-up step dropped)");
  if (with_sample > 0) {
    set_calibration_value(cal, wl_t(key.first, key.second, "loader.decode_per_sample"), sample_s / with_sample, nan,
                          "traced: sample_s of " + folders + " (meta.yaml: decode and augment of one sample in the main process)");
  }
  return fmt::format("capture: {} on {}: compute.optimizer {:.4g} ms traced{}", key.first, key.second, opt_s * 1e3,
                     with_sample > 0 ? fmt::format(", loader.decode_per_sample {:.4g} ms traced", sample_s / with_sample * 1e3) : "");
}

// A new pair has no fitted values to start from: the fit starts at (and its prior is centred on)
// the straight line through the traced step compute, y = step_overhead + LBS x per_sample.
void set_straight_line_start(Calibration& cal, const std::pair<std::string, std::string>& key, const std::vector<const CaptureTrace*>& ts,
                             const WorkloadSpec& wl, const HardwareSpec& hw) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const ParamSet& e = cal.workload_sets.at(key);
  std::map<long long, std::pair<double, int>> by_lbs;
  for (const CaptureTrace* t : ts) {
    double h2d_s = static_cast<double>(t->lbs) * wl.p(kDeviceBytes) / hw.p(kGpuPcieBw);
    auto& [sum, n] = by_lbs[t->lbs];
    sum += std::max(t->compute_s_per_step - t->optimizer_s - h2d_s, 1e-9);
    ++n;
  }
  std::vector<double> x, y;
  for (const auto& [lbs, sn] : by_lbs) {
    x.push_back(static_cast<double>(lbs));
    y.push_back(sn.first / sn.second);
  }
  double overhead_s = e[kStepOverhead], per_sample_s = 0;
  const double y_min = *std::min_element(y.begin(), y.end());
  if (x.size() >= 2) {
    double mx = 0, my = 0, sxx = 0, sxy = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      mx += x[i] / static_cast<double>(x.size());
      my += y[i] / static_cast<double>(x.size());
    }
    for (std::size_t i = 0; i < x.size(); ++i) {
      sxx += (x[i] - mx) * (x[i] - mx);
      sxy += (x[i] - mx) * (y[i] - my);
    }
    overhead_s = std::max(my - sxy / sxx * mx, 1e-3 * y_min);
  } else {
    overhead_s = std::min(overhead_s, 0.1 * y_min);
  }
  double sw = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    per_sample_s += std::max(y[i] - overhead_s, 1e-3 * y[i]);
    sw += x[i];
  }
  per_sample_s /= sw;
  const std::string line = "start: straight line through the traced step compute of " + folders_of(ts);
  set_calibration_value(cal, wl_t(key.first, key.second, "compute.per_sample"), per_sample_s, nan, line);
  if (x.size() >= 2) set_calibration_value(cal, wl_t(key.first, key.second, "compute.step_overhead"), overhead_s, nan, line);
}

// The fit of every capture together (step timings, and power where a capture has it); one
// stored fit per capture set, a later capture of the same pairs replaces it.
void fit_captures(Calibration& cal, const std::vector<CaptureTrace>& traces, const CapturePairs& pairs, int max_iterations, CalibrationLog& log) {
  CalibrationProblem pb = capture_problem(traces, cal, cal);
  bool power = false;
  for (const auto& o : pb.observations) power = power || o.quantity == "average_gpu_power_w";
  LmOptions opt;
  opt.max_iterations = max_iterations;
  FitResult fr = pb.fit(opt);
  std::string dirs;
  for (const auto& t : traces) dirs += (dirs.empty() ? "" : ", ") + t.dir;
  cal = pb.with(fr.values, &fr.stderrs, (power ? "fit: captured step timings and power of " : "fit: captured step timings of ") + dirs);
  std::string name = "capture";
  for (const auto& [key, ts] : pairs) name += "-" + key.first + "-" + key.second;
  std::erase_if(cal.fits, [&](const FitUncertainty& f) { return f.name == name; });
  cal.fits.push_back(fit_uncertainty(name, pb, fr));
  std::vector<double> pred = pb.predict(cal);
  for (std::size_t k = 0; k < pb.params.size(); ++k) {
    log.add(fmt::format("capture fit: {} = {:.4g} +- {:.2g}", pb.params[k].fit.label, fr.values[k], fr.stderrs[k]));
  }
  for (std::size_t k = 0; k < pb.observations.size(); ++k) {
    const Observation& o = pb.observations[k];
    log.add(fmt::format("capture fit: {} {} measured {:.4g}, fitted model {:.4g} ({:+.1f} %)", o.id, o.quantity, o.measured, pred[k],
                        100 * (pred[k] / o.measured - 1)));
  }
  log.add(fmt::format("capture: {} folders, {} parameters, cost {:.3g}", traces.size(), pb.params.size(), fr.cost));
}

}  // namespace

void capture_stage(Calibration& cal, const std::vector<CaptureTrace>& traces, int max_iterations, CalibrationLog& log) {
  // Per (workload, hardware): the traces, and the sources the simulator loads.
  CapturePairs pairs;
  for (const auto& t : traces) {
    if (t.meta_workload != t.workload || t.meta_hardware != t.hardware) {
      log.add(fmt::format("capture: {} (meta.yaml: {} on {}) calibrates {} on {}", t.dir, t.meta_workload, t.meta_hardware, t.workload, t.hardware));
    }
    pairs[{t.workload, t.hardware}].push_back(&t);
  }
  for (const auto& [key, ts] : pairs) {
    const CaptureTrace& first = *ts.front();
    const HardwareSpec hw = load_hardware(first.hardware_source.empty() ? first.hardware : first.hardware_source);
    const WorkloadSpec wl = load_workload(first.workload_source.empty() ? first.workload : first.workload_source);
    const bool fresh = seed_capture_entries(cal, key, wl, hw, log);
    const std::string traced = set_traced_values(cal, key, ts);
    if (fresh) set_straight_line_start(cal, key, ts, wl, hw);
    log.add(traced);
  }
  fit_captures(cal, traces, pairs, max_iterations, log);
}

RunConfig run_config(const MeasuredRun& run, int fast_forward_epochs) {
  RunConfig c;
  c.workload = run.workload;
  c.phase = run.phase;
  c.hardware = run.hardware;
  c.gpus = run.gpus;
  c.lbs = run.lbs;
  c.gbs = run.gbs;
  c.epochs = run.epochs;
  c.samples_per_gpu = run.samples_per_gpu;
  c.seed = 1;
  c.fast_forward_epochs = fast_forward_epochs;
  return c;
}

std::vector<Observation> run_observations(const MeasuredRun& run) {
  std::vector<Observation> out;
  RunConfig c = run_config(run, 1);
  double sigma = run.sigma > 0 ? run.sigma : 0.03;
  for (const auto& [q, v] : run.measured) {
    if (q == "gpu_hours" && run.measured.count("runtime_h")) continue;  // n x runtime: no new information
    if (!is_known_quantity(q)) continue;
    out.push_back({run.id, c, q, v, sigma, 1});
  }
  return out;
}

CalibrationProblem paper_problem(const std::vector<MeasuredRun>& runs, const Calibration& base, const Calibration& priors) {
  CalibrationProblem pb;
  pb.base = base;
  std::set<std::pair<std::string, std::string>> pairs;  // (workload, hardware) with data
  std::set<std::string> hws;
  for (const auto& r : runs) {
    for (const std::string* v : {&r.workload, &r.hardware}) {
      if (v->find('/') != std::string::npos || v->ends_with(".yaml")) {
        throw InputError(fmt::format("{}:{}: run '{}' names the file {}: the measured-run fit calibrates catalog workloads and hardware; "
                                     "calibrate one's own workload from a capture (calibrate --traces CAPTURE_DIR) and compare with "
                                     "validate --measured (without --leave-one-out)",
                                     r.file, r.line, r.id, *v));
      }
    }
    auto obs = run_observations(r);
    pb.observations.insert(pb.observations.end(), obs.begin(), obs.end());
    pairs.insert({r.workload, r.hardware});
    hws.insert(r.hardware);
  }
  // Node power: CPU sockets and RAM of each hardware type with data.
  for (const auto& hw : hws) {
    pb.params.push_back(bound(priors, {node_t(hw, "cpu.idle_power")}));
    pb.params.push_back(bound(priors, {node_t(hw, "cpu.core_power")}));
    if (load_hardware(hw).p(kRamMetered) != 0.0) pb.params.push_back(bound(priors, {node_t(hw, "ram.power")}));
  }
  // One shared parallel file system and one InfiniBand fabric for all partitions.
  std::vector<Target> fs_agg, fs_stream, ib_eff;
  for (const auto& hw : hws) {
    fs_agg.push_back(node_t(hw, "fs.aggregate_bandwidth"));
    fs_stream.push_back(node_t(hw, "fs.stream_bandwidth"));
    ib_eff.push_back(node_t(hw, "comm.inter_efficiency"));
  }
  bool any_shared_fs = false;
  for (const auto& [wl, hw] : pairs) any_shared_fs = any_shared_fs || load_workload(wl).storage() == Storage::SharedFs;
  if (any_shared_fs) {
    pb.params.push_back(bound(priors, fs_agg));
    pb.params.push_back(bound(priors, fs_stream));
  }
  pb.params.push_back(bound(priors, ib_eff, 0.05));
  // Worker start-up after the fork: the traced value (experiments/reference/capture-cpu) is the
  // prior; what a node's real workers need before their first fetch (opening the dataset,
  // first file accesses, copy-on-write faults) shows in runs with few steps per pass. One value
  // for all partitions (same file system, same software stack).
  {
    std::vector<Target> init;
    for (const auto& hw : hws) init.push_back(node_t(hw, "loader.worker_init"));
    pb.params.push_back(bound(priors, init, 1.0));
  }
  // Compute: a workload measured on several GPU types shares its step-cost shape; the first
  // hardware (in name order) carries the fixed and per-sample times, every other one a speed
  // ratio (prior: the ratio of the priors) that scales both.
  std::map<std::string, std::vector<std::string>> hw_of;
  for (const auto& [wl, hw] : pairs) hw_of[wl].push_back(hw);
  for (const auto& [wl, hw_list] : hw_of) {
    bool shared_fs = load_workload(wl).storage() == Storage::SharedFs;
    const std::string& ref = hw_list.front();
    std::size_t per_sample_idx = pb.params.size();
    pb.params.push_back(bound(priors, {wl_t(wl, ref, "compute.per_sample")}));
    std::size_t overhead_idx = pb.params.size();
    if (shared_fs) pb.params.push_back(bound(priors, {wl_t(wl, ref, "compute.step_overhead")}));
    for (std::size_t k = 1; k < hw_list.size(); ++k) {
      const std::string& hw = hw_list[k];
      double ratio_prior = calibration_value(priors, wl_t(wl, hw, "compute.per_sample")) / calibration_value(priors, wl_t(wl, ref, "compute.per_sample"));
      BoundParameter ratio;
      ratio.fit = {wl + " " + hw + "/" + ref + " compute-time ratio", ratio_prior, 0.5, ratio_prior * 1e-2, ratio_prior * 1e2};
      std::size_t ratio_idx = pb.params.size();
      pb.params.push_back(ratio);
      Target ts = wl_t(wl, hw, "compute.per_sample");
      ts.times_param = static_cast<int>(ratio_idx);
      pb.params[per_sample_idx].targets.push_back(ts);
      if (shared_fs) {
        Target to = wl_t(wl, hw, "compute.step_overhead");
        to.times_param = static_cast<int>(ratio_idx);
        pb.params[overhead_idx].targets.push_back(to);
      }
      // The ratio parameter itself writes nothing; it only scales the shared entries.
    }
    // Loader CPU work: one parameter; other hardware types follow by the CPU base-clock ratio.
    const char* loader_param = shared_fs ? "loader.read_cpu_bandwidth" : "loader.decode_per_sample";
    BoundParameter loader = bound(priors, {wl_t(wl, ref, loader_param)});
    double ref_clock = load_hardware(ref).p(kCpuClock);
    for (std::size_t k = 1; k < hw_list.size(); ++k) {
      Target t = wl_t(wl, hw_list[k], loader_param);
      double clock = load_hardware(hw_list[k]).p(kCpuClock);
      t.factor = shared_fs ? clock / ref_clock : ref_clock / clock;  // bandwidth up, time down
      loader.targets.push_back(t);
    }
    pb.params.push_back(loader);
    for (const auto& hw : hw_list) pb.params.push_back(bound(priors, {wl_t(wl, hw, "power.activity")}, 0.3));
  }
  return pb;
}

TransferReport transfer_zeus_shapes(Calibration& cal, const std::vector<std::string>& zeus_gpus) {
  TransferReport rep;
  if (zeus_gpus.empty()) return rep;
  auto gather = [&](const Target& proto) {
    std::vector<double> v;
    for (const auto& g : zeus_gpus) {
      Target t = proto;
      t.hardware = "zeus-" + g;
      v.push_back(calibration_value(cal, t));
    }
    return geometric_mean(v);
  };
  const std::string cite = "Zeus shape transfer: geometric mean over " + std::to_string(zeus_gpus.size()) + " GPU types";
  for (const char* p : {"gpu.limit_gamma", "gpu.limit_knee", "gpu.cap_sharpness"}) {
    double m = gather(node_t("", p));
    for (const char* hw : {"a100", "h100"}) set_calibration_value(cal, node_t(hw, p), m, std::numeric_limits<double>::quiet_NaN(), cite);
    rep.lines.push_back(std::string(p) + " = " + std::to_string(m));
  }
  for (const char* p : {"compute.overhead_stretch", "power.lbs_half", "compute.step_overhead"}) {
    double m = gather(wl_t("resnet50", "", p));
    for (const char* hw : {"a100", "h100"}) set_calibration_value(cal, wl_t("resnet50", hw, p), m, std::numeric_limits<double>::quiet_NaN(), cite);
    rep.lines.push_back(std::string("resnet50 ") + p + " = " + std::to_string(m));
  }
  // Roofline over datasheet ratios: t_sample = w_c / F + w_m / B, non-negative least squares
  // over the Zeus GPUs (two unknowns; if one weight comes out negative, fit the other alone).
  std::vector<double> t, F, B;
  for (const auto& g : zeus_gpus) {
    HardwareSpec hw = load_hardware("zeus-" + g);
    t.push_back(calibration_value(cal, wl_t("resnet50", "zeus-" + g, "compute.per_sample")));
    F.push_back(hw.p(kGpuTflops) * 1e12);
    B.push_back(hw.p(kGpuMemBw));
  }
  // Relative least squares: minimise sum ((w_c/F + w_m/B) / t - 1)^2.
  Eigen::MatrixXd A(static_cast<Eigen::Index>(t.size()), 2);
  Eigen::VectorXd y = Eigen::VectorXd::Ones(static_cast<Eigen::Index>(t.size()));
  for (std::size_t i = 0; i < t.size(); ++i) {
    A(static_cast<Eigen::Index>(i), 0) = 1.0 / F[i] / t[i];
    A(static_cast<Eigen::Index>(i), 1) = 1.0 / B[i] / t[i];
  }
  Eigen::Vector2d w = A.colPivHouseholderQr().solve(y);
  if (w(0) < 0 || w(1) < 0) {
    // One-term fits; keep the better.
    double wc = A.col(0).dot(y) / A.col(0).squaredNorm(), wm = A.col(1).dot(y) / A.col(1).squaredNorm();
    double ec = (A.col(0) * wc - y).squaredNorm(), em = (A.col(1) * wm - y).squaredNorm();
    w = ec < em ? Eigen::Vector2d(wc, 0) : Eigen::Vector2d(0, wm);
  }
  rep.w_compute_flop = w(0);
  rep.w_memory_bytes = w(1);
  for (const char* hwname : {"a100", "h100"}) {
    HardwareSpec hw = load_hardware(hwname);
    double ts = w(0) / (hw.p(kGpuTflops) * 1e12) + w(1) / hw.p(kGpuMemBw);
    set_calibration_value(cal, wl_t("resnet50", hwname, "compute.per_sample"), ts, std::numeric_limits<double>::quiet_NaN(),
                          "roofline transfer from the Zeus GPUs over datasheet TFLOP/s and memory bandwidth");
    rep.lines.push_back(fmt::format("resnet50 {} compute.per_sample (roofline) = {:.4g} ms", hwname, ts * 1e3));
  }
  rep.lines.push_back(fmt::format("roofline per ResNet50 sample: {:.3g} GFLOP-equivalent, {:.3g} GB-equivalent", w(0) / 1e9, w(1) / 1e9));
  return rep;
}

std::string interval_output_of(const std::string& q) {
  if (q == "runtime_h" || q == "time_per_epoch_s") return "runtime_h";
  if (q == "gpu_hours") return "gpu_hours";
  if (q == "energy_total_kwh") return "energy_kwh.total";
  if (q == "energy_cpu_kwh") return "energy_kwh.cpu";
  if (q == "energy_gpu_kwh") return "energy_kwh.gpu";
  if (q == "energy_ram_kwh") return "energy_kwh.ram";
  if (q == "average_gpu_power_w") return "mean_power_w.gpu";
  return "";
}

double discrepancy_sd(const std::vector<double>& err2, const std::vector<double>& param_var) {
  // sigma^2 with mean(e_i^2 / (v_i + sigma^2)) = 1: every held-out error standardised by its own
  // predictive variance (one run with a wide refit, e.g. the only H100 run, does not hide the rest).
  auto f = [&](double s2) {
    double m = 0;
    for (std::size_t i = 0; i < err2.size(); ++i) m += err2[i] / std::max(param_var[i] + s2, 1e-300);
    return m / static_cast<double>(err2.size()) - 1.0;
  };
  if (err2.empty() || f(0.0) <= 0) return 0.0;
  double lo = 0, hi = 1e-4;
  while (f(hi) > 0 && hi < 1e4) hi *= 4;
  for (int it = 0; it < 100; ++it) {
    double mid = 0.5 * (lo + hi);
    (f(mid) > 0 ? lo : hi) = mid;
  }
  return std::sqrt(0.5 * (lo + hi));
}

std::map<std::string, DiscrepancyEntry> discrepancy_from_held_out(const std::vector<HeldOutError>& errors, const std::string& method) {
  std::map<std::string, std::pair<std::vector<double>, std::vector<double>>> acc;
  for (const auto& e : errors) {
    acc[e.quantity].first.push_back(e.rel_error * e.rel_error);
    acc[e.quantity].second.push_back(e.param_var);
  }
  std::map<std::string, DiscrepancyEntry> out;
  for (const auto& [q, a] : acc) {
    DiscrepancyEntry d;
    d.runs = static_cast<int>(a.first.size());
    double ms = 0;
    for (double x : a.first) ms += x;
    d.loo_rms = std::sqrt(ms / d.runs);
    d.sd = discrepancy_sd(a.first, a.second);
    d.method = method;
    out.emplace(q, d);
  }
  return out;
}

namespace {

// Leave each measured run out of the paper fit, refit (warm start at the full fit), predict it.
std::vector<HeldOutError> paper_held_out_errors(const std::vector<MeasuredRun>& runs, const Calibration& start, const Calibration& priors,
                                                const LmOptions& opt) {
  std::vector<HeldOutError> out;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    std::vector<MeasuredRun> train;
    for (std::size_t j = 0; j < runs.size(); ++j) {
      if (j != i) train.push_back(runs[j]);
    }
    CalibrationProblem pb = paper_problem(train, start, priors);
    FitResult fr = pb.fit(opt);
    Calibration model = pb.with(fr.values, &fr.stderrs, "leave-one-out fit");
    model.fits = {fit_uncertainty("paper", pb, fr)};
    auto obs = run_observations(runs[i]);
    if (obs.empty()) continue;
    RunResult res = simulate(resolve_scenario(obs.front().config, model), obs.front().config.seed);
    IntervalOptions io;
    IntervalResult iv = predict_interval(obs.front().config, model, res, io);
    for (const auto& o : obs) {
      HeldOutError e;
      e.run_id = runs[i].id;
      e.quantity = o.quantity;
      double pred = observe(o.quantity, res, o.time_scale);
      e.rel_error = std::log(pred / o.measured);
      const QuantityInterval* q = iv.find(interval_output_of(o.quantity));
      e.param_var = q ? q->sd_parameters * q->sd_parameters : 0.0;
      out.push_back(e);
    }
  }
  return out;
}

}  // namespace

namespace {

// What calibrate reads, in the order its provenance lists the input files.
struct Gathered {
  std::vector<std::string> inputs;
  std::vector<std::string> late_inputs;  // listed after the measured files (earlier inputs keep their numbers)
  std::vector<CaptureTrace> captures;
  std::vector<ZeusTrainPoint> train_rows;
  std::vector<MeasuredRun> runs;
  std::vector<MeasuredFact> facts;
  std::vector<std::string> zeus_gpus;
};

// One Zeus trace folder: the ResNet50 power and time rows of each GPU fitted from the priors,
// its summary_train.csv kept for the large-batch stage.
void zeus_stage(const std::string& dir, Calibration& cal, const Calibration& priors, const LmOptions& opt, Gathered& g, CalibrationLog& log) {
  auto pts = zeus_resnet_points(read_zeus_dir(dir));
  std::vector<std::string> csvs;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() == ".csv" && e.path().filename().string().starts_with("summary_power_")) csvs.push_back(e.path().string());
  }
  const auto train_csv = std::filesystem::path(dir) / "summary_train.csv";
  if (std::filesystem::is_regular_file(train_csv)) {
    auto rows = read_zeus_train_csv(train_csv.string());
    g.train_rows.insert(g.train_rows.end(), rows.begin(), rows.end());
    g.late_inputs.push_back(train_csv.string());
  }
  std::sort(csvs.begin(), csvs.end());
  g.inputs.insert(g.inputs.end(), csvs.begin(), csvs.end());
  for (const auto& [gpu, points] : pts) {
    CalibrationProblem pb = zeus_problem(points, gpu, cal, priors);
    FitResult fr = pb.fit(opt);
    cal = pb.with(fr.values, &fr.stderrs, "fit: Zeus traces " + gpu);
    cal.fits.push_back(fit_uncertainty("zeus-" + gpu, pb, fr));
    g.zeus_gpus.push_back(gpu);
    log.add(fmt::format("zeus {}: {} points, {} iterations, cost {:.3g}", gpu, points.size(), fr.iterations, fr.cost));
  }
}

// The measured runs, fitted with the transferred values as priors; with leave-one-out, the
// held-out errors set the fit's discrepancy.
void paper_stage(Calibration& cal, const std::vector<MeasuredRun>& runs, bool leave_one_out, const LmOptions& opt, CalibrationLog& log) {
  CalibrationProblem pb = paper_problem(runs, cal, cal);
  FitResult fr = pb.fit(opt);
  const Calibration before_paper = cal;
  cal = pb.with(fr.values, &fr.stderrs, "fit: measured runs");
  cal.fits.push_back(fit_uncertainty("paper", pb, fr));
  log.add(fmt::format("paper: {} runs, {} observations, {} parameters, {} iterations, cost {:.3g}", runs.size(), pb.observations.size(),
                      pb.params.size(), fr.iterations, fr.cost));
  if (!leave_one_out) return;
  auto errors = paper_held_out_errors(runs, cal, before_paper, opt);
  for (const auto& e : errors) {
    log.add(fmt::format("held out (paper, leave-one-out): {} {}: log error {:+.4f}, refit parameter sd {:.4f}", e.run_id, e.quantity, e.rel_error,
                        std::sqrt(e.param_var)));
  }
  cal.fits.back().discrepancy = discrepancy_from_held_out(
      errors, "leave-one-run-out refits of the paper fit: sd with mean(e^2 / (v + sd^2)) = 1, e the held-out log error, v its refit parameter variance");
  for (const auto& [q, d] : cal.fits.back().discrepancy) {
    log.add(fmt::format("discrepancy (paper, leave-one-out): {} sd {:.3g} (held-out rms {:.3g}, {} runs)", q, d.sd, d.loo_rms, d.runs));
  }
}

// ResNet50 on H100 has no measured run: its per-sample time follows the A100 fit by the roofline
// ratio, its decode time by the CPU clock ratio.
void resnet50_h100_from_a100(Calibration& cal, const TransferReport& tr) {
  HardwareSpec a = load_hardware("a100"), h = load_hardware("h100");
  auto roof = [&](const HardwareSpec& hw) { return tr.w_compute_flop / (hw.p(kGpuTflops) * 1e12) + tr.w_memory_bytes / hw.p(kGpuMemBw); };
  double ratio = roof(h) / roof(a);
  Target ta = wl_t("resnet50", "a100", "compute.per_sample"), th = wl_t("resnet50", "h100", "compute.per_sample");
  set_calibration_value(cal, th, calibration_value(cal, ta) * ratio, std::numeric_limits<double>::quiet_NaN(), "A100 fit x roofline ratio H100/A100");
  Target da = wl_t("resnet50", "a100", "loader.decode_per_sample"), dh = wl_t("resnet50", "h100", "loader.decode_per_sample");
  set_calibration_value(cal, dh, calibration_value(cal, da) * a.p(kCpuClock) / h.p(kCpuClock), std::numeric_limits<double>::quiet_NaN(),
                        "A100 fit x CPU base-clock ratio");
}

// The file's description and provenance: version, date, method and the hash of every input; a
// refinement keeps what its base was made from.
void record_provenance(Calibration& cal, const std::string& base_path, const std::string& base_description,
                       const std::map<std::string, std::string>& base_provenance, const Gathered& g) {
  if (base_path.empty()) {
    cal.description = "fitted by ddpsim calibrate (Zeus traces + measured runs)";
  } else {
    std::set<std::string> pairs;
    for (const auto& t : g.captures) pairs.insert(t.workload + " on " + t.hardware);
    std::string on;
    for (const auto& p : pairs) on += (on.empty() ? "" : ", ") + p;
    cal.description = base_description + (g.captures.empty() ? "; refitted by ddpsim calibrate" : "; refined by ddpsim calibrate from captures of " + on);
  }
  cal.provenance.clear();
  cal.provenance["ddpsim_version"] = DDPSIM_VERSION;
  cal.provenance["date"] = fmt::format("{:%Y-%m-%d}", fmt::gmtime(std::time(nullptr)));
  cal.provenance["method"] = "weighted least squares on relative errors (Levenberg-Marquardt, simulator in the loop), log-normal priors";
  for (std::size_t k = 0; k < g.inputs.size(); ++k) {
    std::string rel = std::filesystem::weakly_canonical(g.inputs[k]).string();
    std::string base = data_dir() + "/";
    if (rel.rfind(base, 0) == 0) rel = rel.substr(base.size());
    cal.provenance[fmt::format("input_{:02}", k + 1)] = rel + " " + file_hash(g.inputs[k]);
  }
  if (!base_path.empty()) {
    for (const auto& [k, v] : base_provenance) cal.provenance["base_" + k] = v;
  }
}

}  // namespace

Calibration run_calibration(const CalibrateInputs& in, CalibrationLog& log) {
  std::string priors_path = in.priors_file.empty() ? default_priors_path() : in.priors_file;
  Calibration priors = load_calibration(priors_path);
  // Capture folders alone refine a calibration (the shipped one unless --calibration names
  // another) and keep everything else in it; Zeus traces and measured runs refit from the priors.
  bool captures_only = in.measured_files.empty();
  for (const auto& dir : in.trace_dirs) captures_only = captures_only && is_capture_dir(dir);
  std::string base_path = !in.base_calibration.empty() ? in.base_calibration : captures_only ? default_calibration_path() : "";
  Calibration cal = base_path.empty() ? priors : load_calibration(base_path);
  const std::string base_description = cal.description;
  const std::map<std::string, std::string> base_provenance = cal.provenance;
  if (!base_path.empty()) log.add("base: " + base_path + " (its fitted values and sections are kept; the fits below add to it)");
  LmOptions opt;
  opt.max_iterations = in.max_iterations;
  Gathered g;
  g.inputs.push_back(base_path.empty() ? priors_path : base_path);
  for (const auto& dir : in.trace_dirs) {
    if (is_capture_dir(dir)) {
      g.captures.push_back(read_capture_dir(dir, in.capture_workload, in.capture_hardware));
      g.inputs.push_back((std::filesystem::path(dir) / "steps.csv").string());
    } else {
      zeus_stage(dir, cal, priors, opt, g, log);
    }
  }
  TransferReport tr = transfer_zeus_shapes(cal, g.zeus_gpus);
  for (const auto& l : tr.lines) log.add("transfer: " + l);
  if (!g.captures.empty()) capture_stage(cal, g.captures, in.max_iterations, log);
  for (const auto& f : in.measured_files) {
    MeasuredSet ms = read_measured_runs(f);
    g.runs.insert(g.runs.end(), ms.runs.begin(), ms.runs.end());
    g.facts.insert(g.facts.end(), ms.facts.begin(), ms.facts.end());
    g.inputs.push_back(f);
  }
  if (!g.runs.empty()) {
    paper_stage(cal, g.runs, in.leave_one_out, opt, log);
    if (!g.zeus_gpus.empty()) resnet50_h100_from_a100(cal, tr);
  }
  // The roofline efficiencies follow the fitted per-sample times of a refit; a refinement of a
  // base calibration keeps the base's.
  if (base_path.empty() || !g.zeus_gpus.empty() || !g.runs.empty()) efficiency_stage(cal, log);
  if (!g.train_rows.empty() || !g.facts.empty()) large_batch_stage(cal, g.train_rows, g.facts, log);
  g.inputs.insert(g.inputs.end(), g.late_inputs.begin(), g.late_inputs.end());
  record_provenance(cal, base_path, base_description, base_provenance, g);
  return cal;
}

namespace {

std::string yaml_quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string si_text(double v, Dim d) {
  const char* unit = dim_si_unit(d);
  return fmt::format("{:.6g}{}{}", v, *unit ? " " : "", unit);
}

std::string num9(double v) { return fmt::format("{:.9g}", v); }

// Every set value of a parameter set as `name: {value, stderr, source}`, values in SI units.
void write_set(std::ostream& o, const ParamSet& set, const std::string& indent) {
  for (std::size_t i = 0; i < set.table().size(); ++i) {
    if (!set.is_set(i)) continue;
    const auto& spec = set.table().spec(i);
    o << indent << spec.name << ": {value: ";
    if (spec.dim == Dim::Choice || spec.dim == Dim::Flag) {
      o << set.format(i);
    } else {
      o << yaml_quoted(si_text(set[i], spec.dim));
    }
    double se = set.stderr_of(i);
    if (std::isfinite(se)) o << ", stderr: " << yaml_quoted(si_text(se, spec.dim == Dim::Count ? Dim::Dimensionless : spec.dim));
    o << ", source: " << yaml_quoted(set.citation(i)) << "}\n";
  }
}

// A section keyed by two names (workload -> hardware, family -> precision, workload -> phase).
void write_nested(std::ostream& o, const char* section, const std::map<std::pair<std::string, std::string>, ParamSet>& sets) {
  o << section << ":\n";
  std::string last;
  for (const auto& [key, set] : sets) {
    if (key.first != last) {
      o << "  " << key.first << ":\n";
      last = key.first;
    }
    o << "    " << key.second << ":\n";
    write_set(o, set, "      ");
  }
}

// One fit's discrepancy, parameters (label, value, the calibration values each one sets) and the
// covariance of its log-parameters.
void write_fit(std::ostream& o, const FitUncertainty& f) {
  o << "  " << f.name << ":\n";
  if (!f.discrepancy.empty()) {
    o << "    discrepancy:\n";
    for (const auto& [qty, d] : f.discrepancy) {
      o << "      " << qty << ": {sd: " << num9(d.sd) << ", runs: " << d.runs << ", loo_rms: " << num9(d.loo_rms) << ", method: " << yaml_quoted(d.method)
        << "}\n";
    }
  }
  o << "    parameters:\n";
  for (std::size_t k = 0; k < f.size(); ++k) {
    o << "      - label: " << yaml_quoted(f.labels[k]) << "\n        value: " << num9(f.values[k]) << "\n        targets: [";
    for (std::size_t t = 0; t < f.targets[k].size(); ++t) {
      const auto& tg = f.targets[k][t];
      o << (t ? ", " : "") << "{hardware: " << yaml_quoted(tg.hardware);
      if (!tg.node) o << ", workload: " << yaml_quoted(tg.workload);
      o << ", param: " << tg.param;
      if (tg.times_param >= 0) o << ", times: " << tg.times_param;
      if (tg.factor != 1.0) o << ", factor: " << num9(tg.factor);
      o << "}";
    }
    o << "]\n";
  }
  o << "    covariance_log:\n";
  for (std::size_t i = 0; i < f.size(); ++i) {
    o << "      - [";
    for (std::size_t j = 0; j < f.size(); ++j) o << (j ? ", " : "") << num9(f.cov(i, j));
    o << "]\n";
  }
}

}  // namespace

std::string calibration_to_yaml(const Calibration& cal) {
  std::ostringstream o;
  o << "# ddpsim calibration, written by `ddpsim calibrate`; regenerate it, do not edit by hand.\n";
  o << "format: ddpsim-calibration/1\n";
  o << "description: " << yaml_quoted(cal.description) << "\n";
  o << "provenance:\n";
  for (const auto& [k, v] : cal.provenance) o << "  " << k << ": " << yaml_quoted(v) << "\n";
  o << "hardware:\n";
  for (const auto& [hw, set] : cal.node_sets) {
    o << "  " << hw << ":\n";
    write_set(o, set, "    ");
  }
  write_nested(o, "workloads", cal.workload_sets);
  if (!cal.efficiency_sets.empty()) write_nested(o, "efficiency", cal.efficiency_sets);
  if (!cal.large_batch_sets.empty()) write_nested(o, "large_batch", cal.large_batch_sets);
  if (!cal.fits.empty()) {
    o << "# Covariance of each fit's log-parameters and the model's own discrepancy (run --interval P).\n";
    o << "uncertainty:\n";
    for (const auto& f : cal.fits) write_fit(o, f);
  }
  return o.str();
}

}  // namespace ddpsim
