#include "sim/run/large_batch.hpp"

#include <cmath>
#include <algorithm>
#include <fmt/format.h>
#include <limits>

namespace ddpsim {

namespace {
constexpr ParamSpec kSpecs[] = {
#define DDPSIM_SPEC(id, name, dim, def, lo, hi, help, src) {name, Dim::dim, def, lo, hi, help, src},
    DDPSIM_LARGE_BATCH_PARAMS(DDPSIM_SPEC)
#undef DDPSIM_SPEC
};
}  // namespace

const ParamTable& large_batch_table() {
  static const ParamTable table("large-batch model", kSpecs);
  return table;
}

double small_batch_epochs(const ParamSet& lb, const TargetMetric& metric, double value) {
  double d = metric.distance(value), d_ref = metric.distance(lb[kLbTargetRef]);
  if (!(d > 0) || !(d_ref > 0)) return std::numeric_limits<double>::infinity();
  return lb[kLbEMin] * std::pow(d / d_ref, -lb[kLbExponent]);
}

double epochs_at_gbs(double e_min, double b_noise, double gbs, double b_small) {
  double e = e_min * (1.0 + gbs / b_noise);
  return b_small > 0 ? e * (1.0 + b_small / gbs) : e;
}

TargetPlan plan_target(const ParamSet& lb, const TargetMetric& metric, double value, long long gbs, int phase_epochs) {
  TargetPlan p;
  p.max_epochs = lb[kLbMaxEpochFactor] * phase_epochs;
  if (!(metric.distance(value) > 0)) {
    p.why = fmt::format("{}={:.6g} is at or beyond the metric's perfect value {:.6g}", metric.name, value, metric.bound);
    return p;
  }
  p.epochs_model = epochs_at_gbs(small_batch_epochs(lb, metric, value), lb[kLbBNoise], static_cast<double>(gbs), lb[kLbSmallBatch]);
  if (!(p.epochs_model <= p.max_epochs)) {
    p.why = fmt::format(
        "{}={:.6g} is out of reach at GBS {}: the large-batch model needs {:.4g} epochs, more than the declared maximum "
        "{:.4g} (large_batch.max_epoch_factor {:.3g} x the phase's {} epochs)",
        metric.name, value, gbs, p.epochs_model, p.max_epochs, lb[kLbMaxEpochFactor], phase_epochs);
    return p;
  }
  p.reachable = true;
  p.epochs = std::max(1, static_cast<int>(std::ceil(p.epochs_model - 1e-9)));
  return p;
}

}  // namespace ddpsim
