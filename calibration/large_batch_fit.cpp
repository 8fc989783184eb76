#include "calibration/large_batch_fit.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>

#include "calibration/fit.hpp"

namespace ddpsim {

TargetMetric zeus_metric(const std::string& dataset, const std::string& network) {
  // Metric names and directions as the Zeus traces define them (ml-energy/zeus README of the trace).
  struct Known {
    const char *dataset, *network, *name;
    bool higher;
    double bound;
  };
  static const Known kKnown[] = {
      {"cifar100", "shufflenetv2", "top1", true, 1},         {"imagenet", "resnet50", "top1", true, 1},
      {"librispeech", "deepspeech2", "wer_percent", false, 0}, {"movielens-1m", "ncf", "hit_rate", true, 1},
      {"sentiment140", "bert_base_uncased", "accuracy", true, 1}, {"squad", "bert_base_uncased", "f1_percent", true, 100},
  };
  for (const auto& k : kKnown) {
    if (dataset == k.dataset && network == k.network) return {k.name, k.higher, k.bound};
  }
  return {};
}

std::vector<EpochCurve> zeus_epoch_curves(const std::vector<ZeusTrainPoint>& rows, int targets_per_curve, int reference_rank) {
  // (dataset, network) -> target -> batch -> epochs of the runs (0 = not reached)
  std::map<std::pair<std::string, std::string>, std::map<double, std::map<int, std::vector<int>>>> data;
  for (const auto& r : rows) data[{r.dataset, r.network}][r.target_metric][r.batch_size].push_back(r.target_epoch);
  std::vector<EpochCurve> out;
  for (const auto& [pair, by_target] : data) {
    EpochCurve c;
    c.dataset = pair.first;
    c.network = pair.second;
    c.metric = zeus_metric(pair.first, pair.second);
    if (c.metric.name.empty()) continue;
    std::set<int> batches;
    for (const auto& [t, by_b] : by_target) {
      for (const auto& kv : by_b) batches.insert(kv.first);
    }
    // Targets every run of every batch size reached, easiest first by the metric's direction.
    std::vector<double> all_reached;
    for (const auto& [t, by_b] : by_target) {
      bool ok = by_b.size() == batches.size();
      for (const auto& [b, epochs] : by_b) {
        for (int e : epochs) ok = ok && e > 0;
      }
      if (ok) all_reached.push_back(t);
    }
    const auto rank = static_cast<std::size_t>(std::max(0, reference_rank));
    if (all_reached.size() <= rank) continue;
    std::sort(all_reached.begin(), all_reached.end(), [&](double a, double b) { return c.metric.distance(a) < c.metric.distance(b); });
    c.target_ref = all_reached[rank];  // rank 0: the hardest
    for (std::size_t k = rank; k < all_reached.size() && static_cast<int>(k - rank) < targets_per_curve; ++k) c.targets.push_back(all_reached[k]);
    for (double t : c.targets) {
      for (const auto& [b, epochs] : by_target.at(t)) {
        EpochPoint p;
        p.batch = b;
        p.target = t;
        p.runs = static_cast<int>(epochs.size());
        double sum = 0, sq = 0;
        for (int e : epochs) sum += e;
        p.mean_epochs = sum / p.runs;
        for (int e : epochs) sq += (e - p.mean_epochs) * (e - p.mean_epochs);
        std::vector<int> sorted = epochs;
        std::sort(sorted.begin(), sorted.end());
        const std::size_t mid = sorted.size() / 2;
        p.epochs = sorted.size() % 2 ? sorted[mid] : 0.5 * (sorted[mid - 1] + sorted[mid]);
        double sd = p.runs > 1 ? std::sqrt(sq / (p.runs - 1)) : 0;
        // Standard error of a median: sqrt(pi / 2) sd / sqrt(n) for normal scatter.
        p.rel_se = std::max(0.05, 1.2533 * sd / p.epochs / std::sqrt(static_cast<double>(p.runs)));
        c.points.push_back(p);
      }
    }
    out.push_back(std::move(c));
  }
  return out;
}

LargeBatchFitResult fit_epoch_curve(const std::vector<EpochPoint>& points, const TargetMetric& metric, double target_ref,
                                    bool small_batch) {
  double bmin = std::numeric_limits<double>::infinity(), bmax = 0, emin = std::numeric_limits<double>::infinity(), logb = 0;
  std::set<double> targets;
  for (const auto& p : points) {
    bmin = std::min(bmin, p.batch);
    bmax = std::max(bmax, p.batch);
    logb += std::log(p.batch);
    if (p.target == target_ref) emin = std::min(emin, p.epochs);
    targets.insert(p.target);
  }
  if (!std::isfinite(emin)) emin = 1;
  const bool fit_k = targets.size() > 1;
  std::vector<FitParameter> params = {
      {"b_noise", std::exp(logb / static_cast<double>(points.size())), 1e3, bmin * 1e-3, bmax * 1e6},
      {"e_min", emin, 1e3, 1e-3, 1e6},
  };
  if (fit_k) params.push_back({"target_exponent", 1, 1e3, 1e-3, 50});
  const std::size_t i_small = params.size();
  // Prior at the "no small-batch effect" end of the range (weak, as the others).
  if (small_batch) params.push_back({"b_small", bmin * 1e-4, 1e3, bmin * 1e-4, bmax * 1e3});
  const double d_ref = metric.distance(target_ref);
  auto predict = [&](const std::vector<double>& v, const EpochPoint& p) {
    double k = fit_k ? v[2] : 0;
    return epochs_at_gbs(v[1] * std::pow(metric.distance(p.target) / d_ref, -k), v[0], p.batch, small_batch ? v[i_small] : 0.0);
  };
  auto residuals = [&](const std::vector<double>& v) {
    std::vector<double> r;
    r.reserve(points.size());
    for (const auto& p : points) r.push_back(std::log(predict(v, p) / p.epochs) / p.rel_se);
    return r;
  };
  std::vector<double> start;
  for (const auto& fp : params) start.push_back(fp.prior);
  LmOptions opt;
  opt.max_iterations = 200;
  opt.tolerance = 1e-12;
  FitResult fr = fit_least_squares(params, residuals, start, opt);
  if (small_batch) {
    // The small-batch knee has a second basin near zero (a flat curve): start from both ends.
    for (double s : {bmin * 1e-3, bmin * 4}) {
      start[i_small] = s;
      FitResult alt = fit_least_squares(params, residuals, start, opt);
      if (alt.cost < fr.cost) fr = std::move(alt);
    }
  }
  LargeBatchFitResult res;
  res.points = static_cast<int>(points.size());
  double chi2 = 0, lsq = 0;
  for (std::size_t i = 0; i < points.size(); ++i) {
    chi2 += fr.residuals[i] * fr.residuals[i];
    double l = fr.residuals[i] * points[i].rel_se;
    lsq += l * l;
  }
  res.rms_log_residual = std::sqrt(lsq / static_cast<double>(points.size()));
  const double dof = static_cast<double>(points.size()) - static_cast<double>(params.size());
  const double scale = dof > 0 ? std::sqrt(std::max(1.0, chi2 / dof)) : 1.0;
  res.b_noise = fr.values[0];
  res.e_min = fr.values[1];
  res.se_b_noise = fr.stderrs[0] * scale;
  res.se_e_min = fr.stderrs[1] * scale;
  res.exponent = fit_k ? fr.values[2] : 0;
  res.se_exponent = fit_k ? fr.stderrs[2] * scale : 0;
  res.b_small = small_batch ? fr.values[i_small] : 0;
  res.se_b_small = small_batch ? fr.stderrs[i_small] * scale : 0;
  return res;
}

std::vector<HoldOutRow> hold_out_batch_sizes(const EpochCurve& curve, bool small_batch) {
  std::set<double> batches;
  for (const auto& p : curve.points) batches.insert(p.batch);
  std::vector<HoldOutRow> out;
  for (double b : batches) {
    std::vector<EpochPoint> train;
    const EpochPoint* held = nullptr;
    for (const auto& p : curve.points) {
      if (p.batch != b) {
        train.push_back(p);
      } else if (p.target == curve.target_ref) {
        held = &p;
      }
    }
    if (!held) continue;
    LargeBatchFitResult f = fit_epoch_curve(train, curve.metric, curve.target_ref, small_batch);
    out.push_back({b, held->epochs, epochs_at_gbs(f.e_min, f.b_noise, b, f.b_small), held->mean_epochs});
  }
  return out;
}

double mape(const std::vector<HoldOutRow>& rows) {
  double s = 0;
  for (const auto& r : rows) s += r.ape();
  return rows.empty() ? 0 : s / static_cast<double>(rows.size());
}

double mape_vs_mean(const std::vector<HoldOutRow>& rows) {
  double s = 0;
  for (const auto& r : rows) s += r.ape_mean();
  return rows.empty() ? 0 : s / static_cast<double>(rows.size());
}

std::vector<HoldOutRow> neighbour_interpolation(const EpochCurve& curve) {
  std::vector<const EpochPoint*> ref;
  for (const auto& p : curve.points) {
    if (p.target == curve.target_ref) ref.push_back(&p);
  }
  std::sort(ref.begin(), ref.end(), [](const EpochPoint* a, const EpochPoint* b) { return a->batch < b->batch; });
  std::vector<HoldOutRow> out;
  if (ref.size() < 3) return out;
  for (std::size_t i = 0; i < ref.size(); ++i) {
    // Neighbours: i-1 and i+1 inside; the two nearest at either end.
    const std::size_t lo = i == 0 ? 1 : (i + 1 == ref.size() ? i - 2 : i - 1);
    const std::size_t hi = i == 0 ? 2 : (i + 1 == ref.size() ? i - 1 : i + 1);
    const double x0 = std::log(ref[lo]->batch), x1 = std::log(ref[hi]->batch);
    const double y0 = std::log(ref[lo]->epochs), y1 = std::log(ref[hi]->epochs);
    if (!(x1 != x0)) continue;  // two points at one batch size: no line through them
    const double t = (std::log(ref[i]->batch) - x0) / (x1 - x0);
    HoldOutRow r;
    r.batch = ref[i]->batch;
    r.observed = ref[i]->epochs;
    r.observed_mean = ref[i]->mean_epochs;
    r.predicted = std::exp(y0 + t * (y1 - y0));
    out.push_back(r);
  }
  return out;
}

ParamSet large_batch_set(const LargeBatchFitResult& fit, double target_ref, const std::string& source) {
  ParamSet set(large_batch_table());
  set.set(kLbBNoise, fit.b_noise, "calibration", source, fit.se_b_noise);
  set.set(kLbEMin, fit.e_min, "calibration", source, fit.se_e_min);
  set.set(kLbTargetRef, target_ref, "calibration", source);
  set.set(kLbExponent, fit.exponent, "calibration", source, fit.se_exponent);
  if (fit.b_small > 0) set.set(kLbSmallBatch, fit.b_small, "calibration", source, fit.se_b_small);
  set.set(kLbMaxEpochFactor, large_batch_table().spec(kLbMaxEpochFactor).default_si, "calibration",
          std::string(large_batch_table().spec(kLbMaxEpochFactor).source));
  return set;
}

}  // namespace ddpsim
