#include "sim/output/power_trace.hpp"

#include <algorithm>
#include <fmt/format.h>

#include "sim/core/errors.hpp"

namespace ddpsim {

PowerTraceWriter::PowerTraceWriter(std::ostream& out, double interval_s, int probes, double gpu_sensor_window_s)
    : out_(&out),
      interval_(seconds_to_ticks(interval_s)),
      window_(gpu_sensor_window_s < 0 ? Tick{-1} : seconds_to_ticks(gpu_sensor_window_s)),
      probe_j_(static_cast<std::size_t>(probes), 0.0) {
  if (interval_ <= 0) throw InputError("--sample-interval must be positive");
  *out_ << "time_s,gpu_w,cpu_w,ram_w,total_w";
  for (int i = 0; i < probes; ++i) *out_ << ",gpu" << i << "_w";
  *out_ << '\n';
}

void PowerTraceWriter::on_interval(Tick t0, Tick t1, const std::array<double, kComponents>& p,
                                   const std::vector<double>& probe) {
  if (window_ >= 0 && t1 > t0) {
    Segment seg{t0, t1, p[static_cast<std::size_t>(Component::Gpu)], {}};
    seg.probe_w.assign(probe.begin(), probe.begin() + static_cast<std::ptrdiff_t>(std::min(probe.size(), probe_j_.size())));
    seg.probe_w.resize(probe_j_.size(), 0.0);
    history_.push_back(std::move(seg));
    // Keep what the next sample's window can still reach.
    Tick keep_from = std::min(t1, bin_start_) - window_;
    while (history_.size() > 1 && history_.front().t1 <= keep_from) history_.pop_front();
  }
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

std::vector<double> PowerTraceWriter::sensed(Tick t) const {
  std::vector<double> v(1 + probe_j_.size(), 0.0);
  if (history_.empty()) return v;
  if (window_ == 0) {
    // Instantaneous: the power just before the sample instant.
    const Segment* at = &history_.front();
    for (const auto& s : history_) {
      if (s.t0 < t) at = &s;
    }
    v[0] = at->gpu_w;
    for (std::size_t i = 0; i < at->probe_w.size(); ++i) v[1 + i] = at->probe_w[i];
    return v;
  }
  Tick from = std::max(Tick{0}, t - window_);
  double len = 0;
  for (const auto& s : history_) {
    Tick a = std::max(s.t0, from), b = std::min(s.t1, t);
    if (b <= a) continue;
    double dt = ticks_to_seconds(b - a);
    len += dt;
    v[0] += s.gpu_w * dt;
    for (std::size_t i = 0; i < s.probe_w.size(); ++i) v[1 + i] += s.probe_w[i] * dt;
  }
  if (len > 0) {
    for (double& x : v) x /= len;
  }
  return v;
}

void PowerTraceWriter::emit(Tick bin_end, Tick bin_len) {
  double len = ticks_to_seconds(bin_len);
  std::array<double, kComponents> mean_w{};
  for (int c = 0; c < kComponents; ++c) mean_w[static_cast<std::size_t>(c)] = comp_j_[static_cast<std::size_t>(c)] / len;
  std::vector<double> probes(probe_j_.size());
  for (std::size_t i = 0; i < probe_j_.size(); ++i) probes[i] = probe_j_[i] / len;
  if (window_ >= 0) {
    std::vector<double> s = sensed(bin_end);
    mean_w[static_cast<std::size_t>(Component::Gpu)] = s[0];
    for (std::size_t i = 0; i < probes.size(); ++i) probes[i] = s[1 + i];
  }
  fmt::memory_buffer line;
  auto put = std::back_inserter(line);
  fmt::format_to(put, "{:.3f}", ticks_to_seconds(bin_end));
  double total = 0;
  for (double w : mean_w) {
    fmt::format_to(put, ",{:.3f}", w);
    total += w;
  }
  fmt::format_to(put, ",{:.3f}", total);
  for (double w : probes) fmt::format_to(put, ",{:.3f}", w);
  line.push_back('\n');
  out_->write(line.data(), static_cast<std::streamsize>(line.size()));
  comp_j_.fill(0.0);
  std::fill(probe_j_.begin(), probe_j_.end(), 0.0);
  ++rows_;
}

}  // namespace ddpsim
