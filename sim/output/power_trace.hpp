#pragma once
// Writes a simulated power timeline as CSV at a fixed sampling interval, like perun's 1 s
// samples. By default each row holds the mean power over its interval (energy in the interval /
// length), so the trace integrates exactly to the run's energy. Optionally the GPU columns model
// what the GPU's power sensor reports at each sample instead (NVML: instantaneous power on GA100
// and older, a trailing 1 s average on newer GPUs), which is what perun records.
#include <array>
#include <deque>
#include <ostream>
#include <vector>

#include "sim/run/energy.hpp"

namespace ddpsim {

class PowerTraceWriter final : public PowerObserver {
 public:
  /// `probes` = number of individually traced GPUs (the GPUs of node 0).
  /// `gpu_sensor_window_s` < 0: GPU columns are interval means (exact energy); 0: the GPU power at
  /// the sample instant; > 0: the mean over that window ending at the sample instant.
  PowerTraceWriter(std::ostream& out, double interval_s, int probes, double gpu_sensor_window_s = -1.0);
  void on_interval(Tick t0, Tick t1, const std::array<double, kComponents>& component_power_w,
                   const std::vector<double>& probe_power_w) override;
  void on_finish(Tick end) override;
  std::size_t rows() const { return rows_; }

 private:
  struct Segment {
    Tick t0, t1;
    double gpu_w;
    std::vector<double> probe_w;
  };
  void emit(Tick bin_end, Tick bin_len);
  /// Sensor reading of the GPU columns at `t` (total first, then each probe).
  std::vector<double> sensed(Tick t) const;
  std::ostream* out_;
  Tick interval_;
  Tick window_;  // < 0: interval means
  Tick bin_start_ = 0;
  std::array<double, kComponents> comp_j_{};
  std::vector<double> probe_j_;
  std::deque<Segment> history_;  // GPU power segments covering the last window_ ticks
  std::size_t rows_ = 0;
};

}  // namespace ddpsim
