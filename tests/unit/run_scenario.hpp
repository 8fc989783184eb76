#pragma once
// Test helper: a resolved ResNet50 scenario on A100 nodes with `--set` overrides.
#include <string>
#include <utility>
#include <vector>

#include "sim/run/training_run.hpp"

namespace ddpsim {

inline Scenario resnet50_a100(int gpus, long long lbs, std::vector<std::pair<std::string, std::string>> overrides = {}) {
  RunConfig c;
  c.workload = "resnet50";
  c.hardware = "a100";
  c.gpus = gpus;
  c.lbs = lbs;
  c.overrides = std::move(overrides);
  return resolve_scenario(c);
}

}  // namespace ddpsim
