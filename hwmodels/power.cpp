#include "hwmodels/power.hpp"

#include <cmath>

namespace ddpsim {

double GpuPowerModel::time_stretch(double demand) const {
  if (demand <= power_limit_w) return 1.0;
  double over = (demand - idle_power_w) / (power_limit_w - idle_power_w);
  return std::pow(over, limit_gamma);
}

double gpu_occupancy(double lbs, double lbs_half) {
  if (lbs <= 0) return 0.0;
  return lbs / (lbs + lbs_half);
}

}  // namespace ddpsim
