#pragma once
// Per-GPU power traces in the formats of the tools users measure with, for every GPU of the job
// (or of chosen nodes), with absolute timestamps from a start time:
//   nvidia-smi  the long CSV of `nvidia-smi --query-gpu=timestamp,index,power.draw,utilization.gpu
//               --format=csv`: one row per GPU per sample, index = the GPU's global rank;
//   perun       a perun-like JSON export (app > multi-run > run > host > device group > sensor)
//               with the run's energy and mean power per host, device group and GPU.
// Rows are written as the simulation runs (memory grows with the GPUs traced, not with
// GPUs x samples). Samples follow the wide trace (sim/power_trace.hpp): at the end of each
// interval, the interval's mean power, or with a sensor window what the GPU's sensor reports.
#include <deque>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "sim/run/energy.hpp"

namespace ddpsim {

enum class TraceFormat { Wide, NvidiaSmi, Perun };
/// "wide" | "nvidia-smi" | "perun"; InputError otherwise.
TraceFormat parse_trace_format(const std::string& text);

/// "YYYY/MM/DD HH:MM:SS.mmm" (nvidia-smi) of seconds since the epoch, UTC.
std::string nvidia_smi_timestamp(double unix_s);
/// "YYYY-MM-DDTHH:MM:SS.ffffff" (perun's ids) of seconds since the epoch, UTC.
std::string iso8601_timestamp(double unix_s);
/// "0,3,5" -> {0, 3, 5} (sorted, distinct, each < nodes); InputError naming `option`.
std::vector<int> parse_node_list(const std::string& option, const std::string& text, int nodes);

struct GpuTraceOptions {
  TraceFormat format = TraceFormat::NvidiaSmi;
  double interval_s = 1.0;
  double sensor_window_s = -1.0;  // < 0 interval means; 0 instantaneous; > 0 trailing window
  int gpus = 1, gpus_per_node = 1, nodes = 1;
  std::vector<int> trace_nodes;  // empty = every node
  double start_unix_s = 0;       // absolute time of simulated t = 0
  std::string app_id = "ddpsim";  // perun: the app's id
};

class GpuTraceWriter final : public PowerObserver {
 public:
  GpuTraceWriter(std::ostream& out, GpuTraceOptions options);
  void on_interval(Tick t0, Tick t1, const std::array<double, kComponents>& component_power_w,
                   const std::vector<double>& probe_power_w) override;
  void on_probe(int probe, Tick t, double power_w, Phase phase) override;
  bool probes_node(int node) const override;
  void on_finish(Tick end) override;
  std::size_t samples() const { return samples_; }
  /// Global rank of each traced GPU, in probe order.
  const std::vector<int>& ranks() const { return ranks_; }

 private:
  struct Probe {
    double power_w = 0;
    bool busy = false;  // computing or communicating (a kernel running: nvidia-smi utilization)
    Tick since = 0;
    double bin_j = 0;
    Tick bin_busy = 0;
    double energy_j = 0;  // sum of sample value x sample length (exact for interval means)
    std::deque<std::pair<Tick, double>> changes;  // (from, power), covering the sensor window
  };
  void advance(Probe& p, Tick to);
  void emit(Tick bin_end, Tick bin_len);
  double sensed(const Probe& p, Tick t) const;
  void write_perun(Tick end);

  std::ostream* out_;
  GpuTraceOptions o_;
  Tick interval_, window_;
  Tick bin_start_ = 0;
  std::vector<char> traced_node_;
  std::vector<int> ranks_;
  std::vector<Probe> probes_;
  std::array<double, kComponents> comp_j_{};
  std::size_t samples_ = 0;
};

}  // namespace ddpsim
