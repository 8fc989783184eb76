#pragma once
#include <string>
#include <vector>

namespace ddpsim {
int cmd_calibrate(const std::vector<std::string>& args);
int cmd_validate(const std::vector<std::string>& args);
}  // namespace ddpsim
