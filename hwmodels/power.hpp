#pragma once
// Power models. They map a device state to watts; they know nothing of energy (the energy
// observer in sim/ integrates piecewise-constant power over time).
namespace ddpsim {

// Power capping: the power manager holds the dynamic power (above idle) near
//   P_dyn = softmin(D_dyn, L_dyn) = (D_dyn^-p + L_dyn^-p)^(-1/p)
// (D = demand, L = limit; p = cap_sharpness, large p = a hard cap). Clocks drop to get there:
// with x = P_dyn / D_dyn, compute time stretches by x^-gamma while voltage still scales with
// frequency (gamma ~ 1/3: dynamic power ~ f^3), and linearly in 1/x below the knee where the
// voltage floor is reached: s = knee^-gamma * knee / x. Fitted on the Zeus power-limit traces.
struct GpuPowerModel {
  double idle_power_w = 50;
  double tdp_w = 400;
  double power_limit_w = 400;
  double comm_fraction = 0.15;  // share of the dynamic range drawn during exposed communication
  double limit_gamma = 1.0 / 3.0;
  double limit_knee = 0.5;
  double cap_sharpness = 8.0;

  /// Power the workload would draw while computing at this activity (0..1) and occupancy (0..1).
  double demand_w(double activity, double occupancy) const {
    return idle_power_w + (tdp_w - idle_power_w) * activity * occupancy;
  }
  /// Power actually drawn while computing (softly capped at the limit).
  double compute_power_w(double demand) const;
  /// Factor >= 1 by which compute time stretches because of the cap.
  double time_stretch(double demand) const;
  double comm_power_w() const { return idle_power_w + comm_fraction * (tdp_w - idle_power_w); }
};

/// Occupancy of the GPU's dynamic power range at local batch size `lbs`: lbs / (lbs + lbs_half).
double gpu_occupancy(double lbs, double lbs_half);

struct CpuSocketPowerModel {
  double idle_power_w = 80;  // package power with all cores idle
  double core_power_w = 4;   // extra per busy core
  int cores = 38;
  double power_w(int busy_cores) const {
    int b = busy_cores < 0 ? 0 : (busy_cores > cores ? cores : busy_cores);
    return idle_power_w + core_power_w * b;
  }
};

}  // namespace ddpsim
