#include "sim/uncertainty/interval.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <atomic>
#include <cctype>
#include <boost/math/distributions/normal.hpp>
#include <cmath>
#include <thread>

#include "sim/core/errors.hpp"
#include "sim/core/limits.hpp"
#include "sim/core/rng.hpp"
#include "sim/core/units.hpp"
#include "sim/sweep/sweep.hpp"

namespace ddpsim {

namespace {

constexpr double kJPerKwh = 3.6e6;
constexpr double kRelevanceStep = 0.01;  // log step used to find the parameters that reach a run

struct Output {
  const char* name;
  double (*get)(const RunResult&);
  // Discrepancy: first stored quantity found; `combine` adds time and power in quadrature.
  std::vector<const char*> own;
  bool energy_like;
};

const std::vector<Output>& outputs() {
  static const std::vector<Output> o = {
      {"runtime_h", [](const RunResult& r) { return r.runtime_s / 3600.0; }, {"runtime_h", "time_per_epoch_s"}, false},
      {"gpu_hours", [](const RunResult& r) { return r.gpu_hours; }, {"runtime_h", "time_per_epoch_s"}, false},
      {"energy_kwh.gpu", [](const RunResult& r) { return r.energy_j[0] / kJPerKwh; }, {"energy_gpu_kwh", "energy_total_kwh"}, true},
      {"energy_kwh.cpu", [](const RunResult& r) { return r.energy_j[1] / kJPerKwh; }, {"energy_cpu_kwh", "energy_total_kwh"}, true},
      {"energy_kwh.ram", [](const RunResult& r) { return r.energy_j[2] / kJPerKwh; }, {"energy_ram_kwh", "energy_total_kwh"}, true},
      {"energy_kwh.total", [](const RunResult& r) { return r.energy_total_j / kJPerKwh; }, {"energy_total_kwh"}, true},
      {"mean_power_w.gpu", [](const RunResult& r) { return r.mean_gpu_power_w; }, {"average_gpu_power_w"}, false},
  };
  return o;
}

// The discrepancy of one output under one fit: a stored entry, or for energies of fits that
// observed time and power only (Zeus), both in quadrature (energy = power x time).
double fit_discrepancy(const FitUncertainty& f, const Output& out, std::string& from) {
  for (const char* q : out.own) {
    auto it = f.discrepancy.find(q);
    if (it != f.discrepancy.end()) {
      from = f.name + "/" + q;
      return it->second.sd;
    }
  }
  if (out.energy_like) {
    auto t = f.discrepancy.find("time_per_epoch_s"), p = f.discrepancy.find("average_gpu_power_w");
    if (t != f.discrepancy.end() && p != f.discrepancy.end()) {
      from = f.name + "/time_per_epoch_s+average_gpu_power_w";
      return std::hypot(t->second.sd, p->second.sd);
    }
  }
  return -1;
}

struct Reach {
  std::size_t fit;
  std::size_t param;
};

}  // namespace

const QuantityInterval* IntervalResult::find(const std::string& name) const {
  for (const auto& q : quantities) {
    if (q.name == name) return &q;
  }
  return nullptr;
}

double parse_interval_level(const std::string& text) {
  auto trim = [](std::string x) {
    while (!x.empty() && std::isspace(static_cast<unsigned char>(x.back()))) x.pop_back();
    x.erase(0, x.find_first_not_of(" \t"));
    return x;
  };
  std::string t = trim(text);
  if (!t.empty() && t.back() == '%') t = trim(t.substr(0, t.size() - 1));
  const std::optional<double> v = parse_plain_number(t);
  if (!v || !(*v > 0 && *v < 100)) {
    throw InputError("the interval level is a percentage strictly between 0 and 100, e.g. 90 (got " + quote_user(text) + ")");
  }
  return *v / 100;
}

double two_sided_z(double level) {
  if (!(level > 0 && level < 1)) throw InputError("interval level must lie strictly between 0 and 100 %");
  return boost::math::quantile(boost::math::normal(), 0.5 + level / 2);
}

QuantityInterval make_interval(const std::string& name, double value, double sd_parameters, double sd_discrepancy, double level) {
  QuantityInterval q;
  q.name = name;
  q.value = value;
  q.sd_parameters = sd_parameters;
  q.sd_discrepancy = sd_discrepancy;
  double sd = std::hypot(sd_parameters, sd_discrepancy);
  double z = two_sided_z(level);
  q.low = value * std::exp(-z * sd);
  q.high = value * std::exp(z * sd);
  return q;
}

namespace {

// The fitted parameters that reach a run: each one moved by kRelevanceStep, and kept where the
// scenario changes.
struct Reaching {
  std::vector<Reach> reach;
  std::vector<bool> fit_used;
};

Reaching reaching_parameters(const RunConfig& cfg, const Calibration& cal, const Scenario& base) {
  Reaching r;
  r.fit_used.assign(cal.fits.size(), false);
  for (std::size_t f = 0; f < cal.fits.size(); ++f) {
    const FitUncertainty& fit = cal.fits[f];
    // The fit's entries at its full-precision values (the file rounds them to 6 digits), once.
    Calibration at = cal;
    apply_fit_values(at, fit, fit.values, "interval");
    const std::string at_key = scenario_fingerprint(resolve_scenario(cfg, at, base.wl, base.hw));
    for (std::size_t k = 0; k < fit.size(); ++k) {
      std::vector<double> v = fit.values;
      v[k] *= std::exp(kRelevanceStep);
      Calibration moved = cal;
      apply_fit_values(moved, fit, v, "interval");
      if (scenario_fingerprint(resolve_scenario(cfg, moved, base.wl, base.hw)) != at_key) {
        r.reach.push_back({f, k});
        r.fit_used[f] = true;
      }
    }
  }
  return r;
}

// Points in log-parameter space (offsets from the fitted values) of the reaching parameters'
// covariance (fits are independent: block diagonal): Monte-Carlo draws, or sigma points.
std::vector<Eigen::VectorXd> parameter_points(const Calibration& cal, const std::vector<Reach>& reach, const IntervalOptions& opt,
                                              std::string& method) {
  const auto m = static_cast<Eigen::Index>(reach.size());
  std::vector<Eigen::VectorXd> points;
  if (m == 0) {
    method = "no fitted parameter reaches this run";
    return points;
  }
  Eigen::MatrixXd S = Eigen::MatrixXd::Zero(m, m);
  for (Eigen::Index a = 0; a < m; ++a) {
    for (Eigen::Index b = 0; b < m; ++b) {
      const Reach& ra = reach[static_cast<std::size_t>(a)];
      const Reach& rb = reach[static_cast<std::size_t>(b)];
      if (ra.fit == rb.fit) S(a, b) = cal.fits[ra.fit].cov(ra.param, rb.param);
    }
  }
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(S);
  const Eigen::VectorXd lambda = es.eigenvalues().cwiseMax(0.0);
  if (opt.samples > 0) {
    method = "Monte-Carlo, " + std::to_string(opt.samples) + " draws of the log-parameters (seed " + std::to_string(opt.seed) + ")";
    Rng rng(opt.seed, 0x1D7E4A1ull);
    Eigen::MatrixXd L = es.eigenvectors() * lambda.cwiseSqrt().asDiagonal();
    for (int s = 0; s < opt.samples; ++s) {
      Eigen::VectorXd e(m);
      for (Eigen::Index a = 0; a < m; ++a) e(a) = rng.normal();
      points.push_back(L * e);
    }
  } else {
    method = "sigma points: +-1 sd along each principal axis of the parameter covariance";
    for (Eigen::Index j = 0; j < m; ++j) {
      if (lambda(j) <= 1e-16) continue;
      Eigen::VectorXd d = std::sqrt(lambda(j)) * es.eigenvectors().col(j);
      points.push_back(d);
      points.push_back(-d);
    }
  }
  return points;
}

// The calibration at the fitted values (first) and at every point.
std::vector<Calibration> calibrations_at(const Calibration& cal, const Reaching& r, const std::vector<Eigen::VectorXd>& points) {
  std::vector<Calibration> cals(points.size() + 1, cal);
  for (const auto& f : cal.fits) apply_fit_values(cals[0], f, f.values, "interval");
  for (std::size_t s = 0; s < points.size(); ++s) {
    cals[s + 1] = cals[0];
    std::vector<std::vector<double>> values(cal.fits.size());
    for (std::size_t f = 0; f < cal.fits.size(); ++f) values[f] = cal.fits[f].values;
    for (std::size_t a = 0; a < r.reach.size(); ++a) {
      const Reach& p = r.reach[a];
      values[p.fit][p.param] *= std::exp(points[s](static_cast<Eigen::Index>(a)));
    }
    for (std::size_t f = 0; f < cal.fits.size(); ++f) {
      if (r.fit_used[f]) apply_fit_values(cals[s + 1], cal.fits[f], values[f], "interval sample");
    }
  }
  return cals;
}

// Simulates the run under every calibration, on all cores; a failure of any is a ModelError.
std::vector<RunResult> simulate_all(const RunConfig& cfg, const Scenario& base, const std::vector<Calibration>& cals) {
  std::vector<RunResult> runs(cals.size());
  std::vector<std::string> errors(cals.size());
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t j = next++; j < cals.size(); j = next++) {
      try {
        runs[j] = simulate(resolve_scenario(cfg, cals[j], base.wl, base.hw), cfg.seed);
      } catch (const std::exception& e) {
        errors[j] = e.what();
      }
    }
  };
  unsigned threads = std::max(1u, std::min(std::thread::hardware_concurrency(), static_cast<unsigned>(cals.size())));
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  for (const auto& e : errors) {
    if (!e.empty()) throw ModelError("interval: a sampled calibration failed: " + e);
  }
  return runs;
}

// Variance of log(output) over the simulated points: the sample variance of the draws, or the
// sum of the squared half-differences of each sigma-point pair.
double log_variance(const Output& out, const std::vector<RunResult>& runs, bool monte_carlo) {
  const double v0 = out.get(runs[0]);
  if (!(v0 > 0) || runs.size() < 2) return 0;
  double var = 0;
  if (monte_carlo) {
    double sum = 0, sum2 = 0;
    for (std::size_t s = 1; s < runs.size(); ++s) {
      double l = std::log(std::max(out.get(runs[s]), 1e-300) / v0);
      sum += l;
      sum2 += l * l;
    }
    double k = static_cast<double>(runs.size() - 1);
    var = k > 1 ? std::max(0.0, (sum2 - sum * sum / k) / (k - 1)) : 0.0;
  } else {
    for (std::size_t s = 1; s + 1 < runs.size(); s += 2) {
      double half = 0.5 * (std::log(std::max(out.get(runs[s]), 1e-300)) - std::log(std::max(out.get(runs[s + 1]), 1e-300)));
      var += half * half;
    }
  }
  return var;
}

}  // namespace

IntervalResult predict_interval(const RunConfig& config, const Calibration& cal, const RunResult& center, const IntervalOptions& opt) {
  IntervalResult res;
  res.level = opt.level;
  two_sided_z(opt.level);  // checks the level
  RunConfig cfg = config;
  cfg.repeats = 1;
  if (cfg.fast_forward_epochs <= 0) cfg.fast_forward_epochs = std::max(1, opt.fast_forward_epochs);
  const Scenario base = resolve_scenario(cfg, cal);

  const Reaching r = reaching_parameters(cfg, cal, base);
  for (std::size_t f = 0; f < cal.fits.size(); ++f) {
    if (r.fit_used[f]) res.fits.push_back(cal.fits[f].name);
  }
  res.parameters = static_cast<int>(r.reach.size());
  const std::vector<Eigen::VectorXd> points = parameter_points(cal, r.reach, opt, res.method);
  // The fast-forwarded run at the fitted values and at every point.
  const std::vector<RunResult> runs = simulate_all(cfg, base, calibrations_at(cal, r, points));
  res.simulations = static_cast<int>(runs.size());

  for (const auto& out : outputs()) {
    const double var = points.empty() ? 0.0 : log_variance(out, runs, opt.samples > 0);
    // The largest discrepancy any reaching fit stores for this output.
    double disc = -1;
    std::string from;
    for (std::size_t f = 0; f < cal.fits.size(); ++f) {
      if (!r.fit_used[f]) continue;
      std::string fr;
      double d = fit_discrepancy(cal.fits[f], out, fr);
      if (d > disc) {
        disc = d;
        from = fr;
      }
    }
    QuantityInterval q = make_interval(out.name, out.get(center), std::sqrt(var), std::max(0.0, disc), opt.level);
    q.discrepancy_from = from;
    res.quantities.push_back(q);
  }
  if (r.reach.empty()) {
    res.notes.push_back("no fitted parameter with a stored covariance reaches this run (transferred or default calibration): the interval is the "
                        "run's point value only");
  } else {
    for (const auto& q : res.quantities) {
      if (q.discrepancy_from.empty() && q.value > 0) {
        res.notes.push_back("no discrepancy stored for " + q.name + " by fit(s) reaching this run: its interval covers the parameter covariance only");
      }
    }
  }
  return res;
}

}  // namespace ddpsim
