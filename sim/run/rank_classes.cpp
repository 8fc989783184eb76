#include "sim/run/rank_classes.hpp"

#include "sim/run/training_run.hpp"

namespace ddpsim {

RankClassPlan RankClassPlan::from_scenario(const Scenario& s) {
  RankClassPlan p;
  p.on = s.config.rank_classes && s.nodes > 1;
  p.simulated_nodes = p.on ? 1 : s.nodes;
  p.simulated_ranks = p.on ? s.gpus_per_node : s.gpus;
  p.class_size = p.on ? s.nodes : 1;
  p.jitter_cv = s.wl_cal[kJitterCv];
  return p;
}

}  // namespace ddpsim
