#include "sim/run/energy.hpp"

#include "sim/core/errors.hpp"

namespace ddpsim {

const char* component_name(Component c) {
  switch (c) {
    case Component::Gpu: return "gpu";
    case Component::Cpu: return "cpu";
    case Component::Ram: return "ram";
  }
  return "?";
}

const char* phase_name(Phase p) {
  switch (p) {
    case Phase::Compute: return "compute";
    case Phase::Communication: return "communication_exposed";
    case Phase::Stall: return "data_stall";
    case Phase::Idle: return "idle";
  }
  return "?";
}

int EnergyLedger::add_device(Component c, double power_w, Phase phase, bool probe, double weight) {
  if (!(weight >= 1.0)) throw ModelError("internal: device weight below 1");
  int probe_idx = -1;
  if (probe) {
    probe_idx = static_cast<int>(probe_power_w_.size());
    probe_power_w_.push_back(power_w);
    if (observer_) observer_->on_probe(probe_idx, 0, power_w, phase);
  }
  devs_.push_back(Device{c, phase, power_w, 0, 0.0, probe_idx, weight});
  comp_power_w_[static_cast<std::size_t>(c)] += weight * power_w;
  count_[static_cast<std::size_t>(c)] += weight;
  return static_cast<int>(devs_.size() - 1);
}

void EnergyLedger::advance_observer(Tick now) {
  if (now > observed_until_) {
    for (int c = 0; c < kComponents; ++c) comp_energy_j_[static_cast<std::size_t>(c)] += comp_power_w_[static_cast<std::size_t>(c)] * ticks_to_seconds(now - observed_until_);
    if (observer_) observer_->on_interval(observed_until_, now, comp_power_w_, probe_power_w_);
    observed_until_ = now;
  }
}

void EnergyLedger::set(int dev, Tick now, double power_w, Phase phase) {
  Device& d = devs_[static_cast<std::size_t>(dev)];
  if (now < d.since) throw ModelError("internal: power change in the past");
  advance_observer(now);
  double dt_s = ticks_to_seconds(now - d.since);
  double e = d.power_w * dt_s * d.weight;
  int c = static_cast<int>(d.comp);
  d.energy_j += e;
  phase_energy_j_[static_cast<std::size_t>(c)][static_cast<std::size_t>(d.phase)] += e;
  phase_time_s_[static_cast<std::size_t>(c)][static_cast<std::size_t>(d.phase)] += dt_s * d.weight;
  comp_power_w_[static_cast<std::size_t>(c)] += (power_w - d.power_w) * d.weight;
  if (d.probe >= 0) {
    probe_power_w_[static_cast<std::size_t>(d.probe)] = power_w;
    if (observer_ && (power_w != d.power_w || phase != d.phase)) observer_->on_probe(d.probe, now, power_w, phase);
  }
  d.power_w = power_w;
  d.phase = phase;
  d.since = now;
}

void EnergyLedger::finish(Tick end) {
  for (std::size_t i = 0; i < devs_.size(); ++i) set(static_cast<int>(i), end, devs_[i].power_w, devs_[i].phase);
  advance_observer(end);
  if (observer_) observer_->on_finish(end);
}

double EnergyLedger::energy_j(Component c) const {
  double t = 0;
  for (double e : phase_energy_j_[static_cast<std::size_t>(c)]) t += e;
  return t;
}

double EnergyLedger::total_energy_j() const {
  return energy_j(Component::Gpu) + energy_j(Component::Cpu) + energy_j(Component::Ram);
}

}  // namespace ddpsim
