#include "sim/run/gpu_power.hpp"

#include "sim/run/training_run.hpp"

namespace ddpsim {

PowerParams PowerParams::from_scenario(const Scenario& s) {
  const auto& hw = s.hw;
  const auto& nc = s.node_cal;
  const auto& wc = s.wl_cal;
  PowerParams p;
  p.gpu.idle_power_w = hw.p(kGpuIdlePower);
  p.gpu.tdp_w = hw.p(kGpuTdp);
  p.gpu.power_limit_w = hw.p(kGpuPowerLimit);
  p.gpu.comm_fraction = nc[kGpuCommFraction];
  p.gpu.limit_gamma = nc[kGpuLimitGamma];
  p.gpu.limit_knee = nc[kGpuLimitKnee];
  p.gpu.cap_sharpness = nc[kGpuCapSharpness];
  p.activity = wc[kActivity];
  p.lbs_half = wc[kLbsHalf];
  p.overhead_activity = wc[kOverheadActivity];
  p.cpu.idle_power_w = nc[kCpuIdlePower];
  p.cpu.core_power_w = nc[kCpuCorePower];
  p.cpu.cores = static_cast<int>(hw.p(kCpuCores));
  p.sockets_per_node = static_cast<int>(hw.p(kSockets));
  p.gpus_per_node = s.gpus_per_node;
  p.ram_metered = hw.p(kRamMetered) != 0.0;
  p.ram_power_w = nc[kRamPower];
  return p;
}

void CpuSockets::add_devices(EnergyLedger& ledger, double weight) {
  ledger_ = &ledger;
  for (auto& sock : sockets_) sock.dev = ledger.add_device(Component::Cpu, model_.power_w(0), Phase::Idle, false, weight);
}

}  // namespace ddpsim
