#pragma once
// Fits of the large-batch model (sim/large_batch.hpp) to epochs-to-target data: the Zeus
// training traces (summary_train.csv) and the paper's large-batch facts.
#include <string>
#include <vector>

#include "calibration/readers.hpp"
#include "sim/run/large_batch.hpp"

namespace ddpsim {

/// Mean epochs to `target` at batch size `batch` over the runs that trained it.
struct EpochPoint {
  double batch = 0, target = 0, epochs = 0;
  double rel_se = 0.05;  // relative standard error of the mean (floored at 5 %: whole epochs)
  int runs = 0;
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
/// One curve per known (dataset, network) pair, in name order.
std::vector<EpochCurve> zeus_epoch_curves(const std::vector<ZeusTrainPoint>& rows, int targets_per_curve = 3);

struct LargeBatchFitResult {
  double b_noise = 0, e_min = 0, exponent = 0;
  double se_b_noise = 0, se_e_min = 0, se_exponent = 0;
  double rms_log_residual = 0;
  int points = 0;
};
/// Weighted log-space least squares (calibration/fit.cpp) of E = e_min (d/d_ref)^-k (1 + B/B_noise).
/// Standard errors are scaled by sqrt(reduced chi^2) where that exceeds 1 (model scatter).
LargeBatchFitResult fit_epoch_curve(const std::vector<EpochPoint>& points, const TargetMetric& metric, double target_ref);

struct HoldOutRow {
  double batch = 0, observed = 0, predicted = 0;
  double ape() const { return std::abs(predicted - observed) / observed; }
};
/// Holds out each batch size in turn (all its targets), refits, predicts epochs to target_ref.
std::vector<HoldOutRow> hold_out_batch_sizes(const EpochCurve& curve);
double mape(const std::vector<HoldOutRow>& rows);

/// Writes a fit into a large-batch parameter set.
ParamSet large_batch_set(const LargeBatchFitResult& fit, double target_ref, const std::string& source);

}  // namespace ddpsim
