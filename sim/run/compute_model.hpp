#pragma once
// The compute component of a training run: the GPU time of a batch. A training step costs the
// fixed step overhead (launch-bound; it stretches under a power cap by compute.overhead_stretch
// of the cap's stretch) plus per-sample work (growing with the batch by compute.batch_growth,
// stretched by the cap), repeated per rollout step,
// then a seeded lognormal jitter; the forward pass is model.forward_fraction of it, the
// backward pass the rest. An evaluation batch is the forward pass plus a host-side loop per
// sample at idle power. The input copy to the GPU (host-to-device) precedes each batch. The
// optimizer step has a fixed time. Power during a batch comes from the power component.
#include <algorithm>
#include <array>
#include <cstddef>

#include "sim/core/rng.hpp"
#include "sim/run/gpu_power.hpp"

namespace ddpsim {

struct Scenario;

/// The compute parameters of a run, filled from the resolved scenario in one place.
struct ComputeParams {
  double step_overhead_s = 0;          // compute.step_overhead: fixed cost per step
  double per_sample_s = 0;             // compute.per_sample: forward+backward per sample
  double batch_growth = 0;             // compute.batch_growth: per-sample time x (1 + g x samples)
  double forward_fraction = 1.0 / 3;   // model.forward_fraction: share of the step in the forward pass
  double eval_sample_overhead_s = 0;   // host time per sample of an evaluation batch
  double optimizer_s = 0;              // the optimizer step
  double jitter_cv = 0;                // coefficient of variation of each batch's GPU time
  double rollout_steps = 1;            // autoregressive rollout: the model runs this often per step
  double overhead_stretch = 0;         // share of the cap's stretch the step overhead follows
  double device_bytes_per_sample = 0;  // input tensor + targets copied to the GPU
  double pcie_bps = 1;                 // host-to-device bandwidth

  static ComputeParams from_scenario(const Scenario& scenario);
};

/// GPU cost of one batch.
struct BatchCost {
  double demand_w = 0;  // power the batch would draw uncapped
  double power_w = 0;   // time-weighted mean power while computing (capped; overhead at its own activity)
  double h2d_s = 0;     // host-to-device copy of its inputs
  double gpu_s = 0;     // GPU compute time
  double jitter = 1;    // the jitter factor drawn for this batch (gpu_s includes it)
};

/// Forward/backward split of a training step's compute time.
struct StepSplit {
  double forward_s = 0, backward_s = 0;
};

/// An evaluation batch: its whole duration and the mean GPU power over it.
struct EvalBatch {
  double total_s = 0, power_w = 0;
};

class ComputeModel {
 public:
  ComputeModel(const ComputeParams& p, const GpuPower& power) : p_(p), power_(&power) {}

  /// The deterministic cost of a training step of `samples` samples (no jitter).
  BatchCost step_cost(long long samples) const;
  /// The cost of a batch doing `fraction` of a training step's compute (1 = forward+backward),
  /// with one jitter draw from `rng`. Cached per batch size (a run has a few: LBS and the last,
  /// partial batch of each pass).
  BatchCost batch_cost(long long samples, double fraction, Rng& rng) {
    const CachedCost* cc = nullptr;
    for (auto& e : cache_) {
      if (e.samples == samples) cc = &e;
    }
    if (!cc) {
      CachedCost& e = cache_[cache_next_++ % cache_.size()];
      e.samples = samples;
      e.cost = step_cost(samples);
      cc = &e;
    }
    BatchCost c = cc->cost;
    c.jitter = rng.jitter(p_.jitter_cv);
    c.gpu_s *= fraction * c.jitter;
    return c;
  }
  /// A training step (forward and backward).
  BatchCost train_cost(long long samples, Rng& rng) { return batch_cost(samples, 1.0, rng); }
  /// An evaluation batch's GPU part (forward only).
  BatchCost eval_cost(long long samples, Rng& rng) { return batch_cost(samples, p_.forward_fraction, rng); }
  /// The forward and backward parts of a step computing for `compute_s`.
  StepSplit split(double compute_s) const {
    double fwd_s = compute_s * p_.forward_fraction;
    return {fwd_s, compute_s - fwd_s};
  }
  /// An evaluation batch of `samples` with GPU cost `cost`: busy for its GPU time, idle while
  /// the host copies and loops over the samples (piecewise-constant power over the batch).
  EvalBatch eval_batch(const BatchCost& cost, long long samples) const {
    double gpu_s = cost.gpu_s;
    double host_s = cost.h2d_s + p_.eval_sample_overhead_s * static_cast<double>(samples);
    double total_s = gpu_s + host_s;
    double idle_w = power_->idle_power_w();
    return {total_s, total_s > 0 ? (cost.power_w * gpu_s + idle_w * host_s) / total_s : idle_w};
  }
  double optimizer_s() const { return p_.optimizer_s; }
  const ComputeParams& params() const { return p_; }

 private:
  struct CachedCost {
    long long samples = -1;
    BatchCost cost;
  };
  ComputeParams p_;
  const GpuPower* power_;
  std::array<CachedCost, 4> cache_{};
  std::size_t cache_next_ = 0;
};

}  // namespace ddpsim
