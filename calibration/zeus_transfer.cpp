#include "calibration/zeus_transfer.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <array>
#include <cmath>
#include <fmt/format.h>
#include <limits>
#include <map>
#include <set>
#include <sstream>

#include "calibration/problem.hpp"
#include "calibration/readers.hpp"
#include "hwmodels/hardware.hpp"
#include "sim/core/errors.hpp"
#include "sim/provenance/calibration_lookup.hpp"
#include "workloads/workload.hpp"

namespace ddpsim {

RooflineFit fit_roofline(const std::vector<RooflinePoint>& pts, bool with_memory) {
  RooflineFit f;
  f.points = static_cast<int>(pts.size());
  if (pts.empty()) return f;
  std::set<std::pair<double, double>> gpus;
  for (const auto& p : pts) gpus.insert({p.peak_flops, p.memory_bw});
  const auto n = static_cast<Eigen::Index>(pts.size());
  Eigen::MatrixXd A(n, 2);
  Eigen::VectorXd y = Eigen::VectorXd::Ones(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    const auto& p = pts[static_cast<std::size_t>(i)];
    A(i, 0) = 3 * p.forward_flops / p.peak_flops / p.per_sample_s;
    A(i, 1) = 3 * p.forward_flops / p.memory_bw / p.per_sample_s;
  }
  double a = 0, q = 0;
  if (with_memory && gpus.size() >= 2) {
    Eigen::Vector2d w = A.colPivHouseholderQr().solve(y);
    a = w(0);
    q = w(1);
  }
  if (!(a > 0) || q < 0) {
    q = 0;
    a = A.col(0).dot(y) / A.col(0).squaredNorm();
  }
  f.efficiency = std::min(1.0, 1.0 / a);
  f.bytes_per_flop = q;
  // Spread of the per-point efficiencies implied at the fitted memory term.
  if (n >= 2) {
    double s = 0;
    for (Eigen::Index i = 0; i < n; ++i) {
      double rest = 1 - q * A(i, 1);
      double ai = rest > 0 ? rest / A(i, 0) : a;
      s += std::pow(std::log(ai / a), 2);
    }
    f.efficiency_se = f.efficiency * std::sqrt(s / static_cast<double>(n - 1) / static_cast<double>(n));
  }
  return f;
}

void efficiency_stage(Calibration& cal, CalibrationLog& log) {
  std::map<std::pair<std::string, std::string>, std::vector<RooflinePoint>> groups;
  const auto wl_names = list_workloads();
  const auto hw_names = list_hardware();
  for (const auto& [key, set] : cal.workload_sets) {
    if (std::find(wl_names.begin(), wl_names.end(), key.first) == wl_names.end()) continue;
    if (std::find(hw_names.begin(), hw_names.end(), key.second) == hw_names.end()) continue;
    if (!set.is_set(kPerSample) || set.citation(kPerSample).rfind("fit:", 0) != 0) continue;
    WorkloadSpec wl = load_workload(key.first);
    if (!wl.has_flops()) continue;
    HardwareSpec hw = load_hardware(key.second);
    groups[{wl.params.format(kFamily), wl.params.format(kPrecision)}].push_back(
        {key.first + " on " + key.second, wl.p(kForwardFlops), peak_flops(hw, static_cast<int>(wl.p(kPrecision))), hw.p(kGpuMemBw), set[kPerSample]});
  }
  for (const auto& [key, pts] : groups) {
    // The memory term needs at least three GPU types (two unknowns and a check).
    std::set<double> peaks;
    for (const auto& p : pts) peaks.insert(p.peak_flops);
    RooflineFit f = fit_roofline(pts, peaks.size() >= 3);
    std::string on;
    for (const auto& p : pts) on += (on.empty() ? "" : ", ") + p.label;
    ParamSet set(efficiency_table());
    set.set(kRoofEfficiency, f.efficiency, "fit", "fit: roofline over the fitted compute.per_sample of " + on,
            f.efficiency_se > 0 ? f.efficiency_se : std::numeric_limits<double>::quiet_NaN());
    set.set(kRoofBytesPerFlop, f.bytes_per_flop, "fit", "fit: roofline memory term over " + on);
    cal.efficiency_sets.insert_or_assign(key, set);
    log.add(fmt::format("efficiency({}, {}) = {:.3g}, {:.3g} B/FLOP from {} pairs", key.first, key.second, f.efficiency, f.bytes_per_flop,
                        f.points));
  }
}

namespace {

constexpr int kSteps = 24;  // steps simulated per point (steady state; scaled to the epoch)

// Zeus (dataset, network) -> workload catalog entry.
const std::map<std::pair<std::string, std::string>, std::string>& zeus_workloads() {
  static const std::map<std::pair<std::string, std::string>, std::string> m = {
      {{"imagenet", "resnet50"}, "resnet50"},
      {{"cifar100", "shufflenetv2"}, "zeus-shufflenetv2"},
      {{"sentiment140", "bert_base_uncased"}, "zeus-bert-sentiment140"},
      {{"squad", "bert_base_uncased"}, "zeus-bert-squad"},
      {{"librispeech", "deepspeech2"}, "zeus-deepspeech2"},
      {{"movielens-1m", "ncf"}, "zeus-ncf"},
  };
  return m;
}

}  // namespace

// Relative least squares of the epoch times: (c, p, g) with c >= 0, p > 0, g >= 0; where the
// unconstrained solution breaks a bound, the best of the smaller models.
static void fit_time(const std::vector<ZeusPairPoint>& pts, double n, bool growth, ZeusPairFit& f) {
  const auto m = static_cast<Eigen::Index>(pts.size());
  Eigen::MatrixXd A(m, 3);
  Eigen::VectorXd y = Eigen::VectorXd::Ones(m);
  for (Eigen::Index i = 0; i < m; ++i) {
    const auto& q = pts[static_cast<std::size_t>(i)];
    A(i, 0) = std::ceil(n / q.bs) / q.time_s;
    A(i, 1) = n / q.time_s;
    A(i, 2) = n * q.bs / q.time_s;
  }
  double best = std::numeric_limits<double>::infinity();
  // Column subsets (c, p, g): all three, then (c, p), (p, g), (c), (p).
  const std::vector<std::vector<int>> subsets = {{0, 1, 2}, {0, 1}, {1, 2}, {0}, {1}};
  for (const auto& cols : subsets) {
    if (static_cast<Eigen::Index>(cols.size()) > m) continue;
    if (!growth && std::find(cols.begin(), cols.end(), 2) != cols.end()) continue;
    Eigen::MatrixXd B(m, static_cast<Eigen::Index>(cols.size()));
    for (std::size_t j = 0; j < cols.size(); ++j) B.col(static_cast<Eigen::Index>(j)) = A.col(cols[j]);
    Eigen::VectorXd w = B.colPivHouseholderQr().solve(y);
    double c = 0, p = 1e-12, pg = 0;
    bool ok = true;
    for (std::size_t j = 0; j < cols.size(); ++j) {
      double v = w(static_cast<Eigen::Index>(j));
      if (cols[j] == 0) c = v, ok = ok && v >= 0;
      if (cols[j] == 1) p = v, ok = ok && v > 0;
      if (cols[j] == 2) pg = v, ok = ok && v >= 0;
    }
    if (!ok) continue;
    double e = (B * w - y).squaredNorm();
    if (e < best * (1 - 1e-12)) {
      best = e;
      f.c = c;
      f.p = p;
      f.g = pg / p;
    }
  }
}

// `rich`: the within-GPU model (batch growth, overhead activity fitted); otherwise the
// two-term step with the overhead as busy as the work (oa = 1), the model that transfers.
ZeusPairFit fit_zeus_pair(const std::vector<ZeusPairPoint>& pts, double n, double idle, double tdp, bool rich) {
  ZeusPairFit f;
  fit_time(pts, n, rich, f);
  // Power: for each half-occupancy batch size on a log grid, act and act x oa are linear
  // (relative least squares) in the box 0 < act <= 1, 0 <= act x oa <= 1 (the overhead cannot
  // draw more than the GPU's whole dynamic range; oa itself may exceed 1).
  double best = std::numeric_limits<double>::infinity();
  for (double lh = 0.01; lh <= 1e5; lh *= 1.05) {
    const auto m = static_cast<Eigen::Index>(pts.size());
    Eigen::MatrixXd G(m, 2);
    Eigen::VectorXd r(m);
    for (Eigen::Index i = 0; i < m; ++i) {
      const auto& q = pts[static_cast<std::size_t>(i)];
      double ov = f.overhead_s(n, q.bs), wk = f.work_s(n, q.bs), occ = q.bs / (q.bs + lh);
      G(i, 0) = (tdp - idle) * occ * wk / (ov + wk) / q.power_w;
      G(i, 1) = (tdp - idle) * occ * ov / (ov + wk) / q.power_w;
      r(i) = (q.power_w - idle) / q.power_w;
    }
    if (!rich) {
      // oa = 1: the occupancy-weighted activity alone, a one-unknown least squares.
      G.col(0) += G.col(1);
      G.col(1).setZero();
    }
    Eigen::Vector2d x = rich ? Eigen::Vector2d(G.colPivHouseholderQr().solve(r)) : Eigen::Vector2d(G.col(0).dot(r) / G.col(0).squaredNorm(), 0);
    if (!(x(0) > 0 && x(0) <= 1 && x(1) >= 0 && x(1) <= 1)) {
      double best_b = std::numeric_limits<double>::infinity();
      Eigen::Vector2d pick(1e-4, 0);
      auto consider = [&](double a, double b) {
        a = std::clamp(a, 1e-4, 1.0);
        b = std::clamp(b, 0.0, 1.0);
        double e = (G.col(0) * a + G.col(1) * b - r).squaredNorm();
        if (e < best_b) best_b = e, pick = Eigen::Vector2d(a, b);
      };
      // Each edge of the box: one unknown fixed at a bound, the other by least squares.
      for (double b : {0.0, 1.0}) consider((r - G.col(1) * b).dot(G.col(0)) / G.col(0).squaredNorm(), b);
      for (double a : {1e-4, 1.0}) consider(a, (r - G.col(0) * a).dot(G.col(1)) / std::max(G.col(1).squaredNorm(), 1e-300));
      x = pick;
    }
    double act = x(0), oa = rich ? std::min(x(1) / x(0), 10.0) : 1.0;
    double e = (G.col(0) * act + G.col(1) * act * oa - r).squaredNorm();
    if (e < best) {
      best = e;
      f.act = act;
      f.half = lh;
      f.oa = oa;
    }
  }
  return f;
}

namespace {

double gmean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += std::log(std::max(x, 1e-12));
  return std::exp(s / static_cast<double>(v.size()));
}

double amean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return s / static_cast<double>(v.size());
}

struct Data {
  std::vector<std::string> gpus;
  std::vector<std::string> workloads;
  std::map<std::pair<std::string, std::string>, std::vector<ZeusPairPoint>> pts;  // (workload, gpu)
};

Data read_data(const std::string& dir) {
  Data d;
  auto all = read_zeus_dir(dir);
  std::map<std::string, double> max_limit;
  for (const auto& p : all) max_limit[p.gpu] = std::max(max_limit[p.gpu], p.power_limit_w);
  std::set<std::string> wls;
  for (const auto& p : all) {
    auto it = zeus_workloads().find({p.dataset, p.network});
    if (it == zeus_workloads().end() || p.power_limit_w != max_limit[p.gpu]) continue;
    auto& v = d.pts[{it->second, p.gpu}];
    // One optimizer per batch size (the trace repeats some with a second one): the first.
    if (std::any_of(v.begin(), v.end(), [&](const ZeusPairPoint& q) { return q.bs == p.batch_size; })) continue;
    v.push_back({p.batch_size, p.time_per_epoch_s, p.average_power_w});
    wls.insert(it->second);
  }
  for (const auto& [g, l] : max_limit) d.gpus.push_back(g);
  d.workloads.assign(wls.begin(), wls.end());
  return d;
}

// The experiment's base calibration: the priors, with the zeus GPUs' cap made hard (at the
// default, maximum power limit the cap never binds) and loader costs off (Zeus epochs are not
// loader-bound).
Calibration base_calibration() {
  Calibration cal = load_calibration(default_priors_path());
  cal.efficiency_sets.clear();
  return cal;
}

ParamSet& entry(Calibration& cal, const std::string& wl, const std::string& hw) {
  auto [it, added] = cal.workload_sets.try_emplace({wl, hw}, workload_calibration_table());
  return it->second;
}

void set_common(ParamSet& s, const ZeusPairFit& f, const std::string& cite) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  s.set(kActivity, f.act, "fit", cite, nan);
  s.set(kLbsHalf, f.half, "fit", cite, nan);
  s.set(kOverheadActivity, f.oa, "fit", cite, nan);
  s.set(kOverheadStretch, 0.0, "zeus", "default power limit: no stretch");
  s.set(kJitterCv, 0.0, "zeus", "Zeus reports one deterministic epoch time");
  s.set(kDecodePerSample, 0.0, "zeus", "Zeus epochs are not loader-bound");
  s.set(kReadCpuBw, 1e13, "zeus", "Zeus epochs are not loader-bound");
  s.set(kEvalSampleOverhead, 0.0, "zeus", "no evaluation pass");
}

RunConfig point_config(const std::string& wl, const std::string& gpu, int bs) {
  RunConfig c;
  c.workload = wl;
  c.hardware = "zeus-" + gpu;
  c.gpus = 1;
  c.lbs = bs;
  c.epochs = 1;
  c.seed = 1;
  c.overrides = {{"dataset.train_samples", std::to_string(kSteps * bs)},
                 {"dataset.val_samples", "0"},
                 {"dataset.train_eval_pass", "false"},
                 {"gpu.cap_sharpness", "1000"}};
  return c;
}

double h2d_per_sample(const WorkloadSpec& w, const HardwareSpec& hw) { return w.p(kDeviceBytes) / hw.p(kGpuPcieBw); }

struct Errors {
  std::map<std::pair<std::string, std::string>, std::vector<std::pair<double, double>>> cell;  // |rel err| time, power
  // Per point: the share of the predicted epoch that is the fixed cost per step (host side:
  // Python, launches, optimizer), and its errors.
  std::vector<std::array<double, 3>> by_share;  // host share, |rel err| time, power
};

// Predicts `pts` of (wl, gpu) under `cal` with the simulator and records the errors.
void predict_into(const Calibration& cal, const std::string& wl, const std::string& gpu, const std::vector<ZeusPairPoint>& pts, double n, Errors& err) {
  CalibrationProblem pb;
  pb.base = cal;
  for (const auto& q : pts) {
    RunConfig c = point_config(wl, gpu, q.bs);
    double scale = n / (kSteps * static_cast<double>(q.bs));
    pb.observations.push_back({wl + "/" + gpu, c, "time_per_epoch_s", q.time_s, 0.03, scale});
    pb.observations.push_back({wl + "/" + gpu, c, "average_gpu_power_w", q.power_w, 0.03, 1});
  }
  auto pred = pb.predict(cal);
  const auto it = cal.workload_sets.find({wl, "zeus-" + gpu});
  const double step_s = it != cal.workload_sets.end() && it->second.is_set(kStepOverhead) ? it->second[kStepOverhead] : 0.0;
  for (std::size_t i = 0; i < pts.size(); ++i) {
    const double et = std::fabs(pred[2 * i] / pts[i].time_s - 1), ep = std::fabs(pred[2 * i + 1] / pts[i].power_w - 1);
    err.cell[{wl, gpu}].push_back({et, ep});
    const double host_s = std::ceil(n / pts[i].bs) * step_s;
    err.by_share.push_back({pred[2 * i] > 0 ? std::min(1.0, host_s / pred[2 * i]) : 0.0, et, ep});
  }
}

std::vector<ZeusTransferCell> cells(const Errors& e, double& time, double& power) {
  std::vector<ZeusTransferCell> out;
  double st = 0, sp = 0;
  int n = 0;
  for (const auto& [key, v] : e.cell) {
    ZeusTransferCell c{key.first, key.second, 0, 0, static_cast<int>(v.size())};
    for (auto [t, p] : v) {
      c.time_mape += t;
      c.power_mape += p;
      st += t;
      sp += p;
      ++n;
    }
    c.time_mape /= static_cast<double>(v.size());
    c.power_mape /= static_cast<double>(v.size());
    out.push_back(c);
  }
  time = n ? st / n : 0;
  power = n ? sp / n : 0;
  return out;
}

// What every part of the transfer experiment reads: the traces, the workload and GPU files, the
// shipped calibration and each (workload, GPU) pair's fits on all its batch sizes (the training
// GPUs' inputs to the transfer: the two-term model that transfers, and the within-GPU model).
struct Experiment {
  Data d;
  std::map<std::string, WorkloadSpec> wl;
  std::map<std::string, HardwareSpec> hw;
  Calibration base;
  std::map<std::pair<std::string, std::string>, ZeusPairFit> pair_simple, pair_rich;
  double samples(const std::string& w) const { return wl.at(w).p(kTrainSamples); }
};

Experiment load_experiment(const std::string& dir) {
  Experiment x;
  x.d = read_data(dir);
  if (x.d.gpus.size() < 3) throw InputError(dir + ": the transfer needs power traces of at least three GPU types");
  for (const auto& w : x.d.workloads) {
    x.wl.emplace(w, load_workload(w));
    if (!x.wl.at(w).has_flops()) throw InputError("workload " + w + " states no model.forward_flops_per_sample: the roofline cannot price it");
  }
  for (const auto& g : x.d.gpus) x.hw.emplace(g, load_hardware("zeus-" + g));
  for (const auto& [key, pts] : x.d.pts) {
    double idle = x.hw.at(key.second).p(kGpuIdlePower), tdp = x.hw.at(key.second).p(kGpuTdp);
    x.pair_simple[key] = fit_zeus_pair(pts, x.samples(key.first), idle, tdp, false);
    x.pair_rich[key] = fit_zeus_pair(pts, x.samples(key.first), idle, tdp, true);
  }
  x.base = base_calibration();
  return x;
}

// What no GPU datasheet states: each machine's fixed cost per step (host Python, kernel launches,
// optimizer) for the same workload, the GPU's lowest mean power in any row against the catalog's
// idle power, and the transformers' half-occupancy batch in tokens.
void add_diagnostics(const Experiment& x, ZeusTransferReport& rep) {
  for (const auto& [key, f] : x.pair_simple) rep.fixed_cost.push_back({key.first, key.second, f.c});
  for (const auto& [key, pts] : x.d.pts) {
    auto& fl = rep.power_floor[key.second];
    fl.idle_w = x.hw.at(key.second).p(kGpuIdlePower);
    for (const auto& q : pts) {
      if (fl.lowest_w == 0 || q.power_w < fl.lowest_w) {
        fl.lowest_w = q.power_w;
        fl.workload = key.first;
      }
    }
  }
  std::vector<double> tokens;
  for (const auto& [key, f] : x.pair_simple) {
    const WorkloadSpec& s = x.wl.at(key.first);
    if (s.params.format(kFamily) != "transformer" || !(s.p(kSampleBytes) > 0)) continue;
    double per = s.p(kSampleBytes) / 4;
    rep.transformer_half.push_back({key.first, key.second, f.half, per});
    tokens.push_back(f.half * per);
  }
  if (!tokens.empty()) rep.transformer_half_tokens_gmean = gmean(tokens);
}

// Oracles (diagnosis only, they use the held-out GPU's own fit): the held-out machine's own
// fixed cost per step (host), or its own per-sample time (GPU), with the rest transferred.
enum class Oracle { kNone, kHost, kGpu };
struct Variant {
  bool memory, rich;
  Oracle oracle;
};

// The calibration fitted on two training GPUs: efficiency per (family, precision) from their
// per-sample times, and those per-sample times themselves, as a user's fits of the workload would
// be (the roofline refines the family's efficiency with them, calibration_lookup.cpp).
Calibration fit_on(const Experiment& x, const std::vector<std::string>& train, const Variant& v, const std::string& tag) {
  const auto& pair = v.rich ? x.pair_rich : x.pair_simple;
  Calibration cal = x.base;
  std::map<std::pair<std::string, std::string>, std::vector<RooflinePoint>> groups;
  for (const auto& w : x.d.workloads) {
    const WorkloadSpec& s = x.wl.at(w);
    for (const auto& g : train) {
      if (!pair.count({w, g})) continue;
      double ps = pair.at({w, g}).p - h2d_per_sample(s, x.hw.at(g));
      groups[{s.params.format(kFamily), s.params.format(kPrecision)}].push_back(
          {w + " on zeus-" + g, s.p(kForwardFlops), peak_flops(x.hw.at(g), static_cast<int>(s.p(kPrecision))), x.hw.at(g).p(kGpuMemBw), std::max(ps, 1e-9)});
    }
  }
  for (const auto& [key, pts] : groups) {
    RooflineFit f = fit_roofline(pts, v.memory);
    ParamSet set(efficiency_table());
    set.set(kRoofEfficiency, f.efficiency, "fit", "fit: Zeus traces, " + tag);
    set.set(kRoofBytesPerFlop, f.bytes_per_flop, "fit", "fit: Zeus traces, " + tag);
    cal.efficiency_sets.insert_or_assign(key, set);
  }
  for (const auto& w : x.d.workloads) {
    for (const auto& g : train) {
      if (!pair.count({w, g})) continue;
      double ps = pair.at({w, g}).p - h2d_per_sample(x.wl.at(w), x.hw.at(g));
      entry(cal, w, "zeus-" + g).set(kPerSample, std::max(ps, 1e-9), "fit", "fit: Zeus traces zeus-" + g + " (" + tag + ")");
    }
  }
  return cal;
}

// Each workload on each held-out GPU: host-side fixed cost per step and the power shape as means
// over the training GPUs, compute.per_sample and compute.optimizer unset (the roofline prices them).
void predict_held_out(const Experiment& x, const Calibration& cal, const std::vector<std::string>& train, const Variant& v,
                      const std::string& tag, Errors& err) {
  const auto& pair = v.rich ? x.pair_rich : x.pair_simple;
  for (const auto& w : x.d.workloads) {
    const WorkloadSpec& s = x.wl.at(w);
    std::vector<double> over, act, half, oa, growth;
    for (const auto& g : train) {
      if (!pair.count({w, g})) continue;
      const ZeusPairFit& f = pair.at({w, g});
      double opt = roofline(cal, s, x.hw.at(g)).optimizer_s;
      over.push_back(std::max(f.c - opt, 1e-6));
      act.push_back(f.act);
      half.push_back(f.half);
      oa.push_back(f.oa);
      growth.push_back(f.g);
    }
    if (over.empty()) continue;
    ZeusPairFit mean;
    mean.act = gmean(act);
    mean.half = gmean(half);
    // Arithmetic means: these may be 0.
    mean.oa = amean(oa);
    mean.g = amean(growth);
    const std::string cite = "transfer: mean over the training GPUs (" + tag + ")";
    for (const auto& g : x.d.gpus) {
      if (g == train[0] || g == train[1] || !x.d.pts.count({w, g})) continue;
      Calibration c = cal;
      ParamSet& e = entry(c, w, "zeus-" + g);
      set_common(e, mean, cite);
      e.set(kStepOverhead, gmean(over), "fit", cite);
      e.set(kBatchGrowth, mean.g, "fit", cite);
      if (v.oracle != Oracle::kNone && pair.count({w, g})) {
        const ZeusPairFit& own = pair.at({w, g});
        if (v.oracle == Oracle::kHost) {
          e.set(kStepOverhead, std::max(own.c - roofline(c, s, x.hw.at(g)).optimizer_s, 1e-6), "fit", "oracle: the held-out GPU's own fit");
        } else {
          e.set(kPerSample, std::max(own.p - h2d_per_sample(s, x.hw.at(g)), 1e-9), "fit", "oracle: the held-out GPU's own fit");
        }
      }
      predict_into(c, w, g, x.d.pts.at({w, g}), x.samples(w), err);
    }
  }
}

// Cross-GPU errors of one variant: every pair of training GPUs, the others held out.
Errors cross_gpu(const Experiment& x, const Variant& v) {
  Errors err;
  for (std::size_t a = 0; a < x.d.gpus.size(); ++a) {
    for (std::size_t b = a + 1; b < x.d.gpus.size(); ++b) {
      const std::vector<std::string> train = {x.d.gpus[a], x.d.gpus[b]};
      const std::string tag = "fit on zeus-" + train[0] + " and zeus-" + train[1];
      predict_held_out(x, fit_on(x, train, v, tag), train, v, tag, err);
    }
  }
  return err;
}

// The main variant's errors split by how much of the predicted epoch is the fixed cost per step.
void split_by_host_share(const Errors& err, ZeusTransferReport& rep) {
  for (const auto& [share, et, ep] : err.by_share) {
    ZeusTransferReport::Split& sp = share < ZeusTransferReport::kHostBoundShare ? rep.gpu_bound : rep.host_bound;
    sp.time_mape += et;
    sp.power_mape += ep;
    ++sp.points;
  }
  for (auto* sp : {&rep.gpu_bound, &rep.host_bound}) {
    if (sp->points > 0) {
      sp->time_mape /= sp->points;
      sp->power_mape /= sp->points;
    }
  }
}

// Within a GPU: every batch size held out in turn, fitted on the others.
Errors held_out_batch_sizes(const Experiment& x) {
  Errors err;
  for (const auto& [key, pts] : x.d.pts) {
    const auto& [w, g] = key;
    const HardwareSpec& h = x.hw.at(g);
    for (std::size_t k = 0; k < pts.size(); ++k) {
      std::vector<ZeusPairPoint> rest;
      for (std::size_t j = 0; j < pts.size(); ++j) {
        if (j != k) rest.push_back(pts[j]);
      }
      ZeusPairFit f = fit_zeus_pair(rest, x.samples(w), h.p(kGpuIdlePower), h.p(kGpuTdp), true);
      Calibration c = x.base;
      ParamSet& e = entry(c, w, "zeus-" + g);
      std::string cite = "fit: Zeus " + g + " without batch size " + std::to_string(pts[k].bs);
      set_common(e, f, cite);
      e.set(kStepOverhead, f.c, "fit", cite);
      e.set(kOptimizer, 0.0, "zeus", "folded into compute.step_overhead");
      // The simulator adds the host-to-device copy to the per-sample work: it does not grow.
      double ps = std::max(f.p - h2d_per_sample(x.wl.at(w), h), 1e-9);
      e.set(kPerSample, ps, "fit", cite);
      e.set(kBatchGrowth, f.g * f.p / ps, "fit", cite);
      predict_into(c, w, g, {pts[k]}, x.samples(w), err);
    }
  }
  return err;
}

}  // namespace

ZeusTransferReport run_zeus_transfer(const std::string& dir) {
  ZeusTransferReport rep;
  const Experiment x = load_experiment(dir);
  add_diagnostics(x, rep);
  // 1. Cross-GPU: the roofline with its memory term (the result), compute-only, the within-GPU
  // model transferred, and the two oracles.
  Errors main_err = cross_gpu(x, {true, false, Oracle::kNone});
  rep.cross_gpu = cells(main_err, rep.cross_time, rep.cross_power);
  split_by_host_share(main_err, rep);
  double unused = 0;
  rep.cross_gpu_compute_only = cells(cross_gpu(x, {false, false, Oracle::kNone}), rep.cross_time_compute_only, unused);
  cells(cross_gpu(x, {true, true, Oracle::kNone}), rep.cross_time_rich, rep.cross_power_rich);
  cells(cross_gpu(x, {true, false, Oracle::kHost}), rep.oracle_host_time, rep.oracle_host_power);
  cells(cross_gpu(x, {true, false, Oracle::kGpu}), rep.oracle_gpu_time, rep.oracle_gpu_power);
  // 2. Within a GPU.
  rep.held_out_bs = cells(held_out_batch_sizes(x), rep.bs_time, rep.bs_power);
  rep.notes.push_back("default (maximum) power limit rows of " + std::to_string(x.d.gpus.size()) + " GPU types, " +
                      std::to_string(x.d.workloads.size()) + " workloads; one optimizer per batch size");
  return rep;
}

std::string zeus_transfer_markdown(const ZeusTransferReport& rep) {
  std::ostringstream o;
  auto table = [&](const std::vector<ZeusTransferCell>& cs, const char* title) {
    std::set<std::string> gpus, wls;
    std::map<std::pair<std::string, std::string>, const ZeusTransferCell*> at;
    for (const auto& c : cs) {
      gpus.insert(c.gpu);
      wls.insert(c.workload);
      at[{c.workload, c.gpu}] = &c;
    }
    o << "**" << title << "** (MAPE epoch time / mean power)\n\n| workload |";
    for (const auto& g : gpus) o << " " << g << " |";
    o << "\n|---|";
    for (std::size_t i = 0; i < gpus.size(); ++i) o << "---|";
    o << "\n";
    for (const auto& w : wls) {
      o << "| " << w << " |";
      for (const auto& g : gpus) {
        auto it = at.find({w, g});
        if (it == at.end()) {
          o << " - |";
        } else {
          o << fmt::format(" {:.1f} % / {:.1f} % |", 100 * it->second->time_mape, 100 * it->second->power_mape);
        }
      }
      o << "\n";
    }
    o << "\n";
  };
  table(rep.cross_gpu, "Cross-GPU: calibrated on two GPU types, predicted on the other two (every split; roofline with memory term)");
  o << fmt::format("Overall cross-GPU MAPE: epoch time {:.1f} % (target 15 %), mean power {:.1f} % (target 10 %); compute-only roofline: epoch time {:.1f} %.\n\n",
                   100 * rep.cross_time, 100 * rep.cross_power, 100 * rep.cross_time_compute_only);
  o << fmt::format("With the within-GPU model below (compute.batch_growth and power.overhead_activity fitted per GPU) transferred as well: "
                   "epoch time {:.1f} %, mean power {:.1f} %; its extra parameters do not carry over between GPUs, so the transfer uses the "
                   "two-term step (fixed + per-sample) with the overhead as busy as the work.\n\n",
                   100 * rep.cross_time_rich, 100 * rep.cross_power_rich);
  if (rep.gpu_bound.points + rep.host_bound.points > 0) {
    o << fmt::format("Split by the share of the predicted epoch that is the fixed cost per step (host side; at least {:.0f} %: host-bound): "
                     "{} GPU-bound points epoch time {:.1f} % / mean power {:.1f} %; {} host-bound points {:.1f} % / {:.1f} %.\n\n",
                     100 * ZeusTransferReport::kHostBoundShare, rep.gpu_bound.points, 100 * rep.gpu_bound.time_mape, 100 * rep.gpu_bound.power_mape,
                     rep.host_bound.points, 100 * rep.host_bound.time_mape, 100 * rep.host_bound.power_mape);
  }
  if (rep.oracle_host_time > 0) {
    o << fmt::format("How far the datasheets can take it (diagnosis, not a prediction: each uses the held-out GPU's own fit for one part): "
                     "with the held-out machine's own fixed cost per step and the per-sample time transferred, epoch time {:.1f} % / mean power "
                     "{:.1f} %; with its own per-sample time and the fixed cost transferred, {:.1f} % / {:.1f} %.\n\n",
                     100 * rep.oracle_host_time, 100 * rep.oracle_host_power, 100 * rep.oracle_gpu_time, 100 * rep.oracle_gpu_power);
  }
  table(rep.cross_gpu_compute_only, "Cross-GPU, compute-only roofline (roofline.bytes_per_flop = 0)");
  table(rep.held_out_bs, "Held-out batch sizes within a GPU (each batch size left out in turn)");
  o << fmt::format("Overall held-out batch-size MAPE: epoch time {:.1f} % (target 8 %), mean power {:.1f} % (target 5 %).\n", 100 * rep.bs_time,
                   100 * rep.bs_power);
  if (!rep.transformer_half.empty()) {
    o << "\n**Half-occupancy batch of the transformers** (two-term fit on all batch sizes; tokens = dataset.sample_bytes / 4 int32 ids "
         "per sample)\n\n| workload | GPU | power.lbs_half (samples) | tokens |\n|---|---|---:|---:|\n";
    for (const auto& h : rep.transformer_half) {
      o << fmt::format("| {} | {} | {:.3g} | {:.0f} |\n", h.workload, h.gpu, h.half_samples, h.half_samples * h.tokens_per_sample);
    }
    o << fmt::format("\nGeometric mean: {:.0f} tokens per batch at half the dynamic power.\n", rep.transformer_half_tokens_gmean);
  }
  if (!rep.fixed_cost.empty()) {
    std::set<std::string> gpus, wls;
    std::map<std::pair<std::string, std::string>, double> at;
    for (const auto& f : rep.fixed_cost) {
      gpus.insert(f.gpu);
      wls.insert(f.workload);
      at[{f.workload, f.gpu}] = f.step_s;
    }
    o << "\n**What the GPU datasheets do not state.** Fixed cost per step (two-term fit on all batch sizes, ms: host-side Python, "
         "kernel launches, the optimizer, and for the recurrent DeepSpeech2 GPU work per time step) of the same workload on the four "
         "machines, whose host CPUs the traces do not name:\n\n| workload |";
    for (const auto& g : gpus) o << " " << g << " |";
    o << " max / min |\n|---|";
    for (std::size_t i = 0; i <= gpus.size(); ++i) o << "---:|";
    o << "\n";
    for (const auto& w : wls) {
      o << "| " << w << " |";
      double lo = 0, hi = 0;
      int positive = 0;
      for (const auto& g : gpus) {
        auto it = at.find({w, g});
        if (it == at.end()) {
          o << " - |";
          continue;
        }
        o << fmt::format(" {:.3g} |", 1e3 * it->second);
        if (it->second > 0) {
          ++positive;
          lo = lo == 0 ? it->second : std::min(lo, it->second);
          hi = std::max(hi, it->second);
        }
      }
      o << (positive > 1 ? fmt::format(" {:.2f} |\n", hi / lo) : std::string(" - |\n"));
    }
    o << "\nThe lowest mean GPU power of any trace row against the catalog's idle power (an estimate for each Zeus GPU):\n\n"
         "| GPU | lowest mean power | workload | catalog idle | ratio |\n|---|---:|---|---:|---:|\n";
    for (const auto& [g, fl] : rep.power_floor) {
      o << fmt::format("| {} | {:.0f} W | {} | {:.0f} W | {:.2f} |\n", g, fl.lowest_w, fl.workload, fl.idle_w, fl.idle_w > 0 ? fl.lowest_w / fl.idle_w : 0.0);
    }
  }
  for (const auto& n : rep.notes) o << "\n" << n << "\n";
  return o.str();
}

}  // namespace ddpsim
