#pragma once
// Rank classes (RunConfig::rank_classes, `run --rank-classes`): every node of a job is alike, so
// one node is simulated and each of its ranks stands for the same local rank of every node (a
// class of m = nodes ranks). Its devices count m times in the energy ledger and its shared reads
// m times in the file system's share. What differs between the members of a class is their
// compute jitter; the component draws the class's slowest member:
//  - each training step: the slowest of the other m - 1 members' jitter factors, from the order
//    statistics of the lognormal jitter (Rng::jitter_max): exact in distribution;
//  - at the end of each evaluation pass: the members' finish times deviate by the sum of the
//    jitters of the batches they computed back to back since they last waited for data; the
//    largest of m - 1 such sums (normal to first order, Rng::normal_max) arrives that much later
//    than an undisturbed rank (an approximation; README "Scale").
#include <algorithm>
#include <cmath>

#include "sim/core/rng.hpp"

namespace ddpsim {

struct Scenario;

struct RankClassPlan {
  bool on = false;            // more than one node and rank classes asked for
  int simulated_nodes = 1;
  int simulated_ranks = 1;
  long long class_size = 1;   // ranks (and nodes) each simulated one stands for
  double jitter_cv = 0;       // compute.jitter_cv

  static RankClassPlan from_scenario(const Scenario& scenario);
};

/// Each training step: the GPU time of the class's slowest member for a batch that took `gpu_s`
/// on the representative, whose jitter factor was `jitter`: the other class_size - 1 members
/// draw their own factors, and the largest of them comes from the order statistics of the
/// lognormal jitter (one draw from `rng`; exact in distribution). Without classes or jitter,
/// `gpu_s`.
inline double step_straggler_gpu_s(const RankClassPlan& plan, double gpu_s, double jitter, Rng& rng) {
  if (!plan.on || plan.class_size <= 1 || plan.jitter_cv <= 0) return gpu_s;
  return std::max(gpu_s, gpu_s / jitter * rng.jitter_max(plan.jitter_cv, plan.class_size - 1));
}

/// How much later than the representative the slowest other member of its class reaches the
/// end of an evaluation pass: cv sqrt(streak_var_s2) z - streak_dev_s, at least 0, where
/// streak_var_s2 is the sum of squared unjittered GPU times of the representative's last
/// back-to-back batches, streak_dev_s its own deviation from them, z the largest of the other
/// members' standard normal scores.
inline double eval_straggler_delay_s(double cv, double streak_var_s2, double streak_dev_s, double z) {
  double slowest_s = cv * std::sqrt(streak_var_s2) * z;
  return slowest_s > streak_dev_s ? slowest_s - streak_dev_s : 0.0;
}

/// Per simulated rank: the batches it computed back to back in an evaluation pass.
class EvalStreak {
 public:
  /// The rank waited for data: its finish time restarts from its next batch.
  void restart() { var_s2_ = dev_s_ = 0; }
  /// It computed a batch of unjittered GPU time `base_s` that took `gpu_s`.
  void add(double base_s, double gpu_s) {
    var_s2_ += base_s * base_s;
    dev_s_ += gpu_s - base_s;
  }
  /// The class's slowest member's extra delay at the end of the pass (one draw from `rng`).
  double straggler_delay_s(const RankClassPlan& plan, Rng& rng) const {
    if (!plan.on || plan.jitter_cv <= 0 || var_s2_ <= 0) return 0.0;
    return eval_straggler_delay_s(plan.jitter_cv, var_s2_, dev_s_, rng.normal_max(plan.class_size - 1));
  }

 private:
  double var_s2_ = 0, dev_s_ = 0;
};

}  // namespace ddpsim
