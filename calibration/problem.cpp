#include "calibration/problem.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <atomic>
#include <cmath>
#include <map>
#include <mutex>
#include <unordered_map>
#include <thread>

#include "sim/core/errors.hpp"
#include "hwmodels/hardware.hpp"
#include "sim/sweep/sweep.hpp"
#include "workloads/workload.hpp"

namespace ddpsim {

namespace {
constexpr double kJPerKwh = 3.6e6;
const char* kQuantities[] = {"runtime_h",      "gpu_hours",      "energy_total_kwh",   "energy_cpu_kwh",  "energy_gpu_kwh",
                             "energy_ram_kwh", "cpu_share_of_total", "time_per_epoch_s", "average_gpu_power_w", "compute_s_per_step"};

std::string config_key(const RunConfig& c) {
  std::string k = c.workload + "|" + c.phase + "|" + c.hardware + "|" + std::to_string(c.gpus) + "|" + std::to_string(c.lbs) + "|" +
                  std::to_string(c.gbs) + "|" + std::to_string(c.epochs) + "|" + std::to_string(c.samples_per_gpu) + "|" +
                  std::to_string(c.fast_forward_epochs) + "|" + std::to_string(c.seed);
  for (const auto& [n, v] : c.overrides) k += "|" + n + "=" + v;
  return k;
}
}  // namespace

bool is_known_quantity(const std::string& q) {
  return std::find(std::begin(kQuantities), std::end(kQuantities), q) != std::end(kQuantities);
}

double observe(const std::string& q, const RunResult& r, double time_scale) {
  if (q == "runtime_h") return r.runtime_s / 3600.0 * time_scale;
  if (q == "gpu_hours") return r.gpu_hours * time_scale;
  if (q == "energy_total_kwh") return r.energy_total_j / kJPerKwh * time_scale;
  if (q == "energy_cpu_kwh") return r.energy_j[1] / kJPerKwh * time_scale;
  if (q == "energy_gpu_kwh") return r.energy_j[0] / kJPerKwh * time_scale;
  if (q == "energy_ram_kwh") return r.energy_j[2] / kJPerKwh * time_scale;
  if (q == "cpu_share_of_total") return r.energy_total_j > 0 ? r.energy_j[1] / r.energy_total_j : 0.0;
  if (q == "time_per_epoch_s") return r.runtime_s * time_scale;
  if (q == "average_gpu_power_w") return r.mean_gpu_power_w;
  if (q == "compute_s_per_step") {
    // GPU compute time (H2D + forward + backward + optimizer) per rank and training step.
    double ranks = r.gpu_hours * 3600.0 / std::max(r.runtime_s, 1e-12);
    return r.steps > 0 ? r.phase_time_s[static_cast<int>(Phase::Compute)] / (ranks * static_cast<double>(r.steps)) : 0.0;
  }
  throw InputError("unknown measured quantity '" + q + "'" + did_you_mean(q, std::vector<std::string>(std::begin(kQuantities), std::end(kQuantities))));
}

Calibration CalibrationProblem::with(const std::vector<double>& values, const std::vector<double>* stderrs,
                                     const std::string& origin) const {
  Calibration cal = base;
  for (std::size_t k = 0; k < params.size(); ++k) {
    double se = stderrs ? (*stderrs)[k] : std::numeric_limits<double>::quiet_NaN();
    for (const auto& t : params[k].targets) {
      double f = t.factor * (t.times_param >= 0 ? values[static_cast<std::size_t>(t.times_param)] : 1.0);
      set_calibration_value(cal, t, values[k] * f, se * f, origin);
    }
  }
  return cal;
}

std::vector<double> CalibrationProblem::current_values() const {
  std::vector<double> v;
  for (std::size_t k = 0; k < params.size(); ++k) {
    const auto& p = params[k];
    if (!p.targets.empty()) {
      v.push_back(calibration_value(base, p.targets.front()));
      continue;
    }
    // A ratio parameter: recover it from an entry it scales (scaled value / reference value).
    double ratio = p.fit.prior;
    for (const auto& q : params) {
      for (const auto& t : q.targets) {
        if (t.times_param == static_cast<int>(k) && !q.targets.empty() && q.targets.front().times_param < 0) {
          ratio = calibration_value(base, t) / calibration_value(base, q.targets.front()) / t.factor;
        }
      }
    }
    v.push_back(ratio);
  }
  return v;
}

struct CalibrationProblem::ResultCache {
  std::mutex mutex;
  std::unordered_map<std::string, RunResult> results;
  // Workload and hardware descriptions by name, loaded once per problem: a fit resolves the same
  // few configurations thousands of times with other calibration values only.
  std::map<std::string, WorkloadSpec> workloads;
  std::map<std::string, HardwareSpec> hardware;
};

std::shared_ptr<CalibrationProblem::ResultCache> CalibrationProblem::make_cache() { return std::make_shared<ResultCache>(); }

namespace {
constexpr std::size_t kMaxCachedResults = 200000;  // a few KB each: bounded memory for long fits
}  // namespace

std::vector<double> CalibrationProblem::predict(const Calibration& cal) const { return std::move(predict_many({cal}).front()); }

std::vector<std::vector<double>> CalibrationProblem::predict_many(const std::vector<Calibration>& cals) const {
  // The distinct configurations of the observations (a run often has several observed quantities).
  std::map<std::string, std::size_t> index;
  std::vector<const RunConfig*> configs;
  std::vector<std::size_t> obs_config(observations.size());
  for (std::size_t i = 0; i < observations.size(); ++i) {
    auto key = config_key(observations[i].config);
    auto [it, added] = index.emplace(key, configs.size());
    if (added) configs.push_back(&observations[i].config);
    obs_config[i] = it->second;
  }
  {
    std::lock_guard<std::mutex> lock(cache->mutex);
    for (const RunConfig* c : configs) {
      if (!cache->workloads.count(c->workload)) cache->workloads.emplace(c->workload, load_workload(c->workload));
      if (!cache->hardware.count(c->hardware)) cache->hardware.emplace(c->hardware, load_hardware(c->hardware));
    }
  }
  // One job per (calibration, configuration), all on all cores with dynamic scheduling: runs
  // differ in cost by 10x (FourCastNet at n = 32 against one GPU), and the columns of a Jacobian
  // come as one batch. Each simulation is deterministic, so the order changes nothing.
  const std::size_t jobs = cals.size() * configs.size();
  std::vector<RunResult> results(jobs);
  std::vector<std::string> errors(jobs);
  unsigned threads = std::max(1u, std::min(std::thread::hardware_concurrency(), static_cast<unsigned>(jobs)));
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t j = next++; j < jobs; j = next++) {
      const RunConfig& cfg = *configs[j % configs.size()];
      const Calibration& cal = cals[j / configs.size()];
      try {
        Scenario s = resolve_scenario(cfg, cal, cache->workloads.at(cfg.workload), cache->hardware.at(cfg.hardware));
        std::string key = scenario_fingerprint(s);
        {
          std::lock_guard<std::mutex> lock(cache->mutex);
          auto it = cache->results.find(key);
          if (it != cache->results.end()) {
            results[j] = it->second;
            continue;
          }
        }
        results[j] = simulate(s, cfg.seed);
        std::lock_guard<std::mutex> lock(cache->mutex);
        if (cache->results.size() < kMaxCachedResults) cache->results.emplace(std::move(key), results[j]);
      } catch (const std::exception& e) {
        errors[j] = e.what();
      }
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& th : pool) th.join();
  for (std::size_t j = 0; j < jobs; ++j) {
    const RunConfig& cfg = *configs[j % configs.size()];
    if (!errors[j].empty()) throw InputError("calibration run " + cfg.workload + " on " + cfg.hardware + ": " + errors[j]);
  }
  std::vector<std::vector<double>> out(cals.size(), std::vector<double>(observations.size()));
  for (std::size_t k = 0; k < cals.size(); ++k) {
    for (std::size_t i = 0; i < observations.size(); ++i) {
      out[k][i] = observe(observations[i].quantity, results[k * configs.size() + obs_config[i]], observations[i].time_scale);
    }
  }
  return out;
}

std::vector<double> CalibrationProblem::residuals(const std::vector<double>& values) const { return std::move(residuals_many({values}).front()); }

std::vector<std::vector<double>> CalibrationProblem::residuals_many(const std::vector<std::vector<double>>& points) const {
  std::vector<Calibration> cals;
  cals.reserve(points.size());
  for (const auto& v : points) cals.push_back(with(v));
  std::vector<std::vector<double>> pred = predict_many(cals);
  for (auto& row : pred) {
    for (std::size_t i = 0; i < observations.size(); ++i) {
      const auto& o = observations[i];
      row[i] = (row[i] - o.measured) / o.measured / o.sigma_rel;
    }
  }
  return pred;
}

FitResult CalibrationProblem::fit(const LmOptions& options) const {
  std::vector<FitParameter> fp;
  for (const auto& p : params) fp.push_back(p.fit);
  std::vector<double> start = current_values();
  for (std::size_t k = 0; k < fp.size(); ++k) start[k] = std::clamp(start[k], fp[k].lower, fp[k].upper);
  BatchResidualFunction batch = [this](const std::vector<std::vector<double>>& points) { return residuals_many(points); };
  return fit_least_squares(fp, batch, start, options);
}

FitUncertainty fit_uncertainty(const std::string& name, const CalibrationProblem& pb, const FitResult& fr) {
  FitUncertainty u;
  u.name = name;
  const std::size_t p = pb.params.size();
  for (std::size_t k = 0; k < p; ++k) {
    u.labels.push_back(pb.params[k].fit.label);
    u.targets.push_back(pb.params[k].targets);
  }
  u.values = fr.values;
  u.covariance_log = fr.covariance_log;
  const std::size_t n = pb.observations.size();
  const auto rows = static_cast<Eigen::Index>(fr.jacobian.size() / std::max<std::size_t>(p, 1));
  if (p == 0 || fr.residuals.size() != n || rows != static_cast<Eigen::Index>(n + p)) return u;
  Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> J(fr.jacobian.data(), rows, static_cast<Eigen::Index>(p));
  Eigen::Map<const Eigen::MatrixXd> cov(fr.covariance_log.data(), static_cast<Eigen::Index>(p), static_cast<Eigen::Index>(p));
  // Leave one run out (all of its observations together), linearised at the optimum.
  std::map<std::string, std::vector<std::size_t>> blocks;
  for (std::size_t i = 0; i < n; ++i) blocks[pb.observations[i].id].push_back(i);
  // The linearisation holds where each run is one of many (Zeus: 30-81 points for ~10
  // parameters); with few runs per parameter (the paper fit: 9 runs, 18 parameters) a run's
  // leverage is near 1 and refits are needed (calibrate --leave-one-out).
  if (blocks.size() < 3 * p) return u;
  struct Acc {
    double press2 = 0, param_var = 0;
    int n = 0;
  };
  std::map<std::string, Acc> acc;
  for (const auto& [id, obs] : blocks) {
    const auto m = static_cast<Eigen::Index>(obs.size());
    Eigen::MatrixXd Jb(m, static_cast<Eigen::Index>(p));
    Eigen::VectorXd eb(m);
    for (Eigen::Index a = 0; a < m; ++a) {
      Jb.row(a) = J.row(static_cast<Eigen::Index>(obs[static_cast<std::size_t>(a)]));
      eb(a) = fr.residuals[obs[static_cast<std::size_t>(a)]];
    }
    Eigen::MatrixXd Hbb = Jb * cov * Jb.transpose();
    Eigen::VectorXd press = (Eigen::MatrixXd::Identity(m, m) - Hbb).ldlt().solve(eb);
    for (Eigen::Index a = 0; a < m; ++a) {
      const Observation& o = pb.observations[obs[static_cast<std::size_t>(a)]];
      Acc& q = acc[o.quantity];
      double rel = press(a) * o.sigma_rel;  // residuals are relative errors over sigma
      q.press2 += rel * rel;
      q.param_var += Hbb(a, a) * o.sigma_rel * o.sigma_rel;  // variance of the fitted prediction
      q.n += 1;
    }
  }
  for (const auto& [q, a] : acc) {
    DiscrepancyEntry d;
    d.runs = a.n;
    d.loo_rms = std::sqrt(a.press2 / a.n);
    // What the parameter covariance does not explain of the held-out errors.
    d.sd = std::sqrt(std::max(0.0, (a.press2 - a.param_var) / a.n));
    d.method = "leave-one-run-out residuals of the " + name + " fit (linearised: (I - H_bb)^-1 e_b), minus the parameter variance";
    u.discrepancy.emplace(q, d);
  }
  return u;
}

}  // namespace ddpsim
