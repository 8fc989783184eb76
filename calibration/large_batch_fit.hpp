#pragma once
// Fits of the large-batch model (sim/large_batch.hpp) to epochs-to-target data: the Zeus
// training traces (summary_train.csv) and the paper's large-batch facts.
#include <string>
#include <vector>

#include "calibration/readers.hpp"
#include "sim/run/large_batch.hpp"

namespace ddpsim {

/// Epochs to `target` at batch size `batch` over the runs that trained it: the median (the
/// typical run; at ImageNet batch sizes 128 and 192 two of five runs plateau until epoch 31,
/// which makes the mean bimodal) and the mean.
struct EpochPoint {
  double batch = 0, target = 0, epochs = 0;  // epochs: the median over the runs
  double rel_se = 0.05;  // relative standard error of the median (1.2533 sd / sqrt(runs); floored at 5 %: whole epochs)
  int runs = 0;
  double mean_epochs = 0;
};

/// The metric of a Zeus (dataset, network) pair; name "" for a pair ddpsim does not know.
TargetMetric zeus_metric(const std::string& dataset, const std::string& network);

struct EpochCurve {
  std::string dataset, network;
  TargetMetric metric;
  double target_ref = 0;            // the hardest target that every run of every batch size reached
  std::vector<double> targets;      // target_ref and up to two easier ones (the difficulty exponent)
  std::vector<EpochPoint> points;
};
/// One curve per known (dataset, network) pair, in name order. `reference_rank` 0 takes the
/// hardest target every run reached as target_ref, 1 the next easier one, and so on; a pair with
/// fewer reached targets than reference_rank + 1 is left out.
std::vector<EpochCurve> zeus_epoch_curves(const std::vector<ZeusTrainPoint>& rows, int targets_per_curve = 3,
                                          int reference_rank = 0);

struct LargeBatchFitResult {
  double b_noise = 0, e_min = 0, exponent = 0, b_small = 0;
  double se_b_noise = 0, se_e_min = 0, se_exponent = 0, se_b_small = 0;
  double rms_log_residual = 0;
  int points = 0;
};
/// Weighted log-space least squares (calibration/fit.cpp) of
/// E = e_min (d/d_ref)^-k (1 + B/B_noise) (1 + B_small/B) (without `small_batch`: B_small = 0).
/// Standard errors are scaled by sqrt(reduced chi^2) where that exceeds 1 (model scatter).
LargeBatchFitResult fit_epoch_curve(const std::vector<EpochPoint>& points, const TargetMetric& metric, double target_ref,
                                    bool small_batch = true);

struct HoldOutRow {
  double batch = 0, observed = 0, predicted = 0;  // observed: the median over the runs
  double observed_mean = 0;
  double ape() const { return std::abs(predicted - observed) / observed; }
  double ape_mean() const { return std::abs(predicted - observed_mean) / observed_mean; }
};
/// Holds out each batch size in turn (all its targets), refits, predicts epochs to target_ref.
std::vector<HoldOutRow> hold_out_batch_sizes(const EpochCurve& curve, bool small_batch = true);
double mape(const std::vector<HoldOutRow>& rows);
/// The same against the mean epochs over the runs.
double mape_vs_mean(const std::vector<HoldOutRow>& rows);

/// A model-free baseline for the hold-out: each batch size's epochs to target_ref predicted by
/// straight-line interpolation in log(epochs) over log(batch) between its two neighbours (at either
/// end: extrapolation from the two nearest). It shows how rough the data are: where it misses by
/// 20 %, the measured points themselves jump that much between neighbouring batch sizes.
std::vector<HoldOutRow> neighbour_interpolation(const EpochCurve& curve);

/// Writes a fit into a large-batch parameter set.
ParamSet large_batch_set(const LargeBatchFitResult& fit, double target_ref, const std::string& source);

}  // namespace ddpsim
