#pragma once
// Writes a simulated power timeline as CSV at a fixed sampling interval, like perun's 1 s
// samples. Each row holds the mean power over its interval (energy in the interval / length),
// so the trace integrates exactly to the run's energy.
#include <array>
#include <ostream>
#include <vector>

#include "sim/energy.hpp"

namespace ddpsim {

class PowerTraceWriter final : public PowerObserver {
 public:
  /// `probes` = number of individually traced GPUs (the GPUs of node 0).
  PowerTraceWriter(std::ostream& out, double interval_s, int probes);
  void on_interval(Tick t0, Tick t1, const std::array<double, kComponents>& component_power_w,
                   const std::vector<double>& probe_power_w) override;
  void on_finish(Tick end) override;
  std::size_t rows() const { return rows_; }

 private:
  void emit(Tick bin_end, Tick bin_len);
  std::ostream* out_;
  Tick interval_;
  Tick bin_start_ = 0;
  std::array<double, kComponents> comp_j_{};
  std::vector<double> probe_j_;
  std::size_t rows_ = 0;
};

}  // namespace ddpsim
