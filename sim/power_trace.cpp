#include "sim/power_trace.hpp"

#include <algorithm>
#include <cstdio>

#include "sim/core/errors.hpp"

namespace ddpsim {

PowerTraceWriter::PowerTraceWriter(std::ostream& out, double interval_s, int probes)
    : out_(&out), interval_(seconds_to_ticks(interval_s)), probe_j_(static_cast<std::size_t>(probes), 0.0) {
  if (interval_ <= 0) throw InputError("--sample-interval must be positive");
  *out_ << "time_s,gpu_w,cpu_w,ram_w,total_w";
  for (int i = 0; i < probes; ++i) *out_ << ",gpu" << i << "_w";
  *out_ << '\n';
}

void PowerTraceWriter::on_interval(Tick t0, Tick t1, const std::array<double, kComponents>& p,
                                   const std::vector<double>& probe) {
  Tick t = t0;
  while (t < t1) {
    Tick bin_end = bin_start_ + interval_;
    Tick seg_end = std::min(t1, bin_end);
    double dt = ticks_to_seconds(seg_end - t);
    for (int c = 0; c < kComponents; ++c) comp_j_[static_cast<std::size_t>(c)] += p[static_cast<std::size_t>(c)] * dt;
    for (std::size_t i = 0; i < probe_j_.size() && i < probe.size(); ++i) probe_j_[i] += probe[i] * dt;
    t = seg_end;
    if (t == bin_end) {
      emit(bin_end, interval_);
      bin_start_ = bin_end;
    }
  }
}

void PowerTraceWriter::on_finish(Tick end) {
  if (end > bin_start_) emit(end, end - bin_start_);
  out_->flush();
}

void PowerTraceWriter::emit(Tick bin_end, Tick bin_len) {
  double len = ticks_to_seconds(bin_len);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3f", ticks_to_seconds(bin_end));
  *out_ << buf;
  double total = 0;
  for (double e : comp_j_) {
    std::snprintf(buf, sizeof buf, ",%.3f", e / len);
    *out_ << buf;
    total += e;
  }
  std::snprintf(buf, sizeof buf, ",%.3f", total / len);
  *out_ << buf;
  for (double& e : probe_j_) {
    std::snprintf(buf, sizeof buf, ",%.3f", e / len);
    *out_ << buf;
    e = 0;
  }
  *out_ << '\n';
  comp_j_.fill(0.0);
  ++rows_;
}

}  // namespace ddpsim
