#include "sim/run/compute_model.hpp"

#include "sim/run/training_run.hpp"

namespace ddpsim {

ComputeParams ComputeParams::from_scenario(const Scenario& s) {
  const auto& wc = s.wl_cal;
  ComputeParams p;
  p.step_overhead_s = wc[kStepOverhead];
  p.per_sample_s = wc[kPerSample];
  p.batch_growth = wc[kBatchGrowth];
  p.forward_fraction = s.wl.p(kForwardFraction);
  p.eval_sample_overhead_s = wc[kEvalSampleOverhead];
  p.optimizer_s = wc[kOptimizer];
  p.jitter_cv = wc[kJitterCv];
  p.rollout_steps = s.phase.rollout_steps();
  p.overhead_stretch = wc[kOverheadStretch];
  p.device_bytes_per_sample = s.wl.p(kDeviceBytes) + s.wl.p(kTargetBytes) * p.rollout_steps;
  p.pcie_bps = s.hw.p(kGpuPcieBw);
  return p;
}

BatchCost ComputeModel::step_cost(long long samples) const {
  double n = static_cast<double>(samples);
  BatchCost c;
  c.demand_w = power_->demand_w(n);
  c.power_w = power_->compute_power_w(c.demand_w);
  c.h2d_s = n * p_.device_bytes_per_sample / p_.pcie_bps;
  double s = power_->time_stretch(c.demand_w);
  // An autoregressive rollout runs the whole model `rollout` times per step: its fixed
  // (launch-bound) cost repeats with it, like the per-sample work.
  double overhead_s = p_.step_overhead_s * (1.0 + p_.overhead_stretch * (s - 1.0));
  double work_s = p_.per_sample_s * n * (1.0 + p_.batch_growth * n) * s;
  c.gpu_s = (overhead_s + work_s) * p_.rollout_steps;
  // Power while computing: the per-sample work at the (capped) compute power, the fixed
  // overhead at power.overhead_activity of its dynamic part; the batch draws their time-weighted mean.
  if (overhead_s + work_s > 0) {
    double ov_power = power_->overhead_power_w(c.power_w);
    c.power_w = (c.power_w * work_s + ov_power * overhead_s) / (overhead_s + work_s);
  }
  return c;
}

}  // namespace ddpsim
