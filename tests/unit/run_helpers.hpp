#pragma once
// Test helpers of the run components: a resolved ResNet50 scenario on A100 nodes with `--set`
// overrides; GPU power parameters easy to work with by hand.
#include <string>
#include <utility>
#include <vector>

#include "sim/run/gpu_power.hpp"
#include "sim/run/training_run.hpp"

namespace ddpsim {

/// A run configuration: workload, phase ("" = the default), hardware, n, LBS, epochs (0 = the
/// phase's) and `--set` overrides.
inline RunConfig make_config(const std::string& workload, const std::string& phase, const std::string& hardware, int gpus, long long lbs,
                             int epochs = 0, std::vector<std::pair<std::string, std::string>> overrides = {}) {
  RunConfig c;
  c.workload = workload;
  c.phase = phase;
  c.hardware = hardware;
  c.gpus = gpus;
  c.lbs = lbs;
  c.epochs = epochs;
  c.overrides = std::move(overrides);
  return c;
}

inline Scenario resnet50_a100(int gpus, long long lbs, std::vector<std::pair<std::string, std::string>> overrides = {}) {
  RunConfig c;
  c.workload = "resnet50";
  c.hardware = "a100";
  c.gpus = gpus;
  c.lbs = lbs;
  c.overrides = std::move(overrides);
  return resolve_scenario(c);
}

/// A GPU of 50 W idle, 400 W TDP and limit, with a hard cap (exact power below the limit), at
/// activity 0.8: a batch of LBS = lbs_half draws 50 + 350 x 0.8 x 0.5 = 190 W.
inline PowerParams hand_power(double lbs_half, double overhead_activity) {
  PowerParams p;
  p.gpu.idle_power_w = 50;
  p.gpu.tdp_w = 400;
  p.gpu.power_limit_w = 400;
  p.gpu.cap_sharpness = 1000;
  p.activity = 0.8;
  p.lbs_half = lbs_half;
  p.overhead_activity = overhead_activity;
  return p;
}

}  // namespace ddpsim
