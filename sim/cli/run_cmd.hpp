#pragma once
#include <string>
#include <vector>

namespace ddpsim {
/// ddpsim run: simulate one training run (and its repeats) and report it.
int cmd_run(const std::vector<std::string>& args);
}  // namespace ddpsim
