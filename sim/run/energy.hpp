#pragma once
// The energy observer. Devices (GPUs, CPU sockets, RAM) report state changes as a new constant
// power and a phase; the ledger integrates the previous constant power over the elapsed ticks,
// per device, per component and per phase. An optional PowerObserver sees every interval of
// constant component power (used to write power timelines).
#include <array>
#include <cstdint>
#include <vector>

#include "sim/core/units.hpp"

namespace ddpsim {

enum class Component : int { Gpu = 0, Cpu = 1, Ram = 2 };
constexpr int kComponents = 3;
enum class Phase : int { Compute = 0, Communication = 1, Stall = 2, Idle = 3 };
constexpr int kPhases = 4;
const char* component_name(Component c);
const char* phase_name(Phase p);

class PowerObserver {
 public:
  /// Power was constant over [t0, t1): per component, and for each probed device.
  virtual void on_interval(Tick t0, Tick t1, const std::array<double, kComponents>& component_power_w,
                           const std::vector<double>& probe_power_w) = 0;
  virtual void on_finish(Tick end) = 0;
  /// Probed device `probe` draws `power_w` in `phase` from `t` on: called when it is added
  /// (t = 0) and at each change, after on_interval has covered the time up to `t`.
  virtual void on_probe(int probe, Tick t, double power_w, Phase phase) {
    (void)probe, (void)t, (void)power_w, (void)phase;
  }
  /// Whether the GPUs of node `node` are probed (in rank order); default: those of node 0.
  virtual bool probes_node(int node) const { return node == 0; }

 protected:
  ~PowerObserver() = default;
};

class EnergyLedger {
 public:
  explicit EnergyLedger(PowerObserver* observer = nullptr) : observer_(observer) {}
  PowerObserver* observer() const { return observer_; }
  /// Adds a device drawing `power_w` from time 0. Probed devices are reported to the observer.
  /// A device of `weight` w stands for w identical devices (rank classes): its energy, phase
  /// time and share of the component power count w times; probes see one device.
  int add_device(Component c, double power_w, Phase phase, bool probe = false, double weight = 1.0);
  /// From `now` on, device `dev` draws `power_w` in `phase`.
  void set(int dev, Tick now, double power_w, Phase phase);
  /// Closes every device's last interval at `end`.
  void finish(Tick end);

  /// Energy of component `c` (sum over its devices and phases).
  double energy_j(Component c) const;
  /// The same energy integrated from the component's total power (what the observer saw).
  double observed_energy_j(Component c) const { return comp_energy_j_[static_cast<std::size_t>(c)]; }
  double total_energy_j() const;
  double phase_energy_j(Component c, Phase p) const { return phase_energy_j_[static_cast<int>(c)][static_cast<int>(p)]; }
  /// Device-seconds spent in phase `p` by devices of component `c`.
  double phase_time_s(Component c, Phase p) const { return phase_time_s_[static_cast<int>(c)][static_cast<int>(p)]; }
  double device_energy_j(int dev) const { return devs_[static_cast<std::size_t>(dev)].energy_j; }
  double device_power_w(int dev) const { return devs_[static_cast<std::size_t>(dev)].power_w; }
  /// Devices of component `c` (weighted: a device of weight w counts w times).
  double devices(Component c) const { return count_[static_cast<int>(c)]; }

 private:
  struct Device {
    Component comp;
    Phase phase;
    double power_w;
    Tick since;
    double energy_j;
    int probe;  // index into probe_power_ or -1
    double weight;
  };
  void advance_observer(Tick now);

  PowerObserver* observer_;
  std::vector<Device> devs_;
  std::array<double, kComponents> comp_power_w_{};
  std::array<double, kComponents> comp_energy_j_{};
  std::array<std::array<double, kPhases>, kComponents> phase_energy_j_{};
  std::array<std::array<double, kPhases>, kComponents> phase_time_s_{};
  std::array<double, kComponents> count_{};
  std::vector<double> probe_power_w_;
  Tick observed_until_ = 0;
};

}  // namespace ddpsim
