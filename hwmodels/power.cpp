#include "hwmodels/power.hpp"

#include <algorithm>
#include <cmath>

namespace ddpsim {

double GpuPowerModel::compute_power_w(double demand) const {
  double d = demand - idle_power_w, l = power_limit_w - idle_power_w;
  if (d <= 0) return demand;
  if (l <= 0) return power_limit_w;
  // softmin(d, l) = (d^-p + l^-p)^(-1/p) = lo * (1 + (lo/hi)^p)^(-1/p), stable for large p.
  double lo = std::min(d, l), hi = std::max(d, l);
  return idle_power_w + lo * std::pow(1.0 + std::pow(lo / hi, cap_sharpness), -1.0 / cap_sharpness);
}

double GpuPowerModel::time_stretch(double demand) const {
  double d = demand - idle_power_w;
  if (d <= 0) return 1.0;
  double x = (compute_power_w(demand) - idle_power_w) / d;
  if (x >= 1.0) return 1.0;
  if (x <= 0.0) return 1e6;
  if (x >= limit_knee || limit_knee <= 0) return std::pow(x, -limit_gamma);
  return std::pow(limit_knee, -limit_gamma) * limit_knee / x;
}

double gpu_occupancy(double lbs, double lbs_half) {
  if (lbs <= 0) return 0.0;
  return lbs / (lbs + lbs_half);
}

}  // namespace ddpsim
