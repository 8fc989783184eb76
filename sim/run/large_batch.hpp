#pragma once
// Epochs to a target metric as a function of the global batch size (GBS).
//
// Large-batch model (McCandlish et al. 2018, "An Empirical Model of Large-Batch Training",
// arXiv:1812.06162, eqs. 2.11-2.12): steps S = S_min (1 + B_noise / B), epochs
// E = E_min (1 + B / B_noise). B_noise is the critical (gradient-noise) batch size.
// How E_min grows as the target gets harder is a power-law learning curve in the distance d of
// the metric from its perfect value (Kaplan et al. 2020, arXiv:2001.08361, L(S) ~ S^-alpha):
//   E_min(m) = e_min * (d(m) / d(target_ref))^(-target_exponent),
// with d = bound - m for a higher-is-better metric (accuracy: bound 1) and d = m - bound for a
// lower-is-better one (RMSE: bound 0). A target is out of reach where E exceeds the declared
// maximum, max_epoch_factor x the phase's epochs, or where d <= 0.
// Small batches: McCandlish's E_min assumes the step size retuned at every batch size. Trained
// with one step size for every batch (or one scaled by a fixed rule), small batches take noisier
// steps than their optimum: with a fixed step the per-step gain 2r - r^2 (1 + B_noise / B) of
// McCandlish et al. (r = step / its large-batch optimum) falls as B shrinks. To first order this
// multiplies the epochs by (1 + B_small / B); B_small = 0 (the default) is the retuned case.
// Every number comes from the calibration file (section large_batch, `ddpsim calibrate`).
#include <string>

#include "sim/core/params.hpp"
#include "workloads/workload.hpp"

namespace ddpsim {

// X(id, name, dim, default_si, min_si, max_si, help, source)
#define DDPSIM_LARGE_BATCH_PARAMS(X)                                                                                 \
  X(kLbBNoise, "large_batch.b_noise", Dimensionless, 1e300, 1e-3, 1e300,                                            \
    "critical batch size B_noise (samples): E = E_min (1 + GBS / B_noise)", "McCandlish et al. 2018; fitted")       \
  X(kLbEMin, "large_batch.e_min", Dimensionless, 1, 1e-6, 1e9,                                                       \
    "epochs to target_ref in the small-batch limit (E_min)", "fitted")                                              \
  X(kLbTargetRef, "large_batch.target_ref", Dimensionless, 0, -1e300, 1e300,                                         \
    "target metric value that e_min refers to", "fitted data")                                                      \
  X(kLbExponent, "large_batch.target_exponent", Dimensionless, 1, 0, 100,                                            \
    "k in E_min(m) = e_min (d(m) / d(target_ref))^-k, d = distance of the metric from its bound",                 \
    "power-law learning curve (Kaplan et al. 2020); fitted")                                                        \
  X(kLbSmallBatch, "large_batch.small_batch", Dimensionless, 0, 0, 1e300,                                           \
    "small-batch knee B_small (samples): E x (1 + B_small / GBS); 0 = step size retuned per batch size",           \
    "first-order small-batch term (README 'Epochs to a target'); fitted on Zeus")                                   \
  X(kLbMaxEpochFactor, "large_batch.max_epoch_factor", Dimensionless, 2, 1, 1000,                                    \
    "a target needing more than this x the phase's epochs is out of reach", "assumption (README 'Epochs to a target')")

enum LargeBatchParam : std::size_t {
#define DDPSIM_ENUM(id, ...) id,
  DDPSIM_LARGE_BATCH_PARAMS(DDPSIM_ENUM)
#undef DDPSIM_ENUM
  kLargeBatchParamCount
};

const ParamTable& large_batch_table();

/// Small-batch epochs to `value` (E_min), from the large-batch parameters.
double small_batch_epochs(const ParamSet& lb, const TargetMetric& metric, double value);
/// E(B) = E_min (1 + B / B_noise) (1 + B_small / B).
double epochs_at_gbs(double e_min, double b_noise, double gbs, double b_small = 0);

struct TargetPlan {
  bool reachable = false;
  double epochs_model = 0;  // E(GBS) from the model (fractional)
  int epochs = 0;           // whole epochs to train: ceil(E); the metric is checked after each epoch
  double max_epochs = 0;    // declared maximum
  std::string why;          // when out of reach: the reason, for the user
};
TargetPlan plan_target(const ParamSet& lb, const TargetMetric& metric, double value, long long gbs, int phase_epochs);

}  // namespace ddpsim
