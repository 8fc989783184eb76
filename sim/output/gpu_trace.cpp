#include "sim/output/gpu_trace.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fmt/format.h>

#include "sim/core/errors.hpp"
#include "sim/core/json.hpp"
#include "sim/core/limits.hpp"

namespace ddpsim {

namespace {

// The proleptic Gregorian date of a day number since 1970-01-01 (H. Hinnant's civil_from_days).
struct Civil {
  long long y;
  unsigned m, d;
};

Civil civil_from_days(long long z) {
  z += 719468;
  const long long era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {static_cast<long long>(yoe) + era * 400 + (m <= 2), m, d};
}

// Splits seconds since the epoch into a civil date, time of day and a fraction in `digits` digits.
std::string format_time(double unix_s, const char* date_sep, char time_sep, int digits) {
  long long scale = 1;
  for (int i = 0; i < digits; ++i) scale *= 10;
  const auto units = static_cast<long long>(std::llround(unix_s * static_cast<double>(scale)));
  long long secs = units / scale, frac = units % scale;
  if (frac < 0) {
    frac += scale;
    --secs;
  }
  long long days = secs / 86400, rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  Civil c = civil_from_days(days);
  return fmt::format("{:04}{}{:02}{}{:02}{}{:02}:{:02}:{:02}.{:0{}}", c.y, date_sep, c.m, date_sep, c.d, time_sep, rem / 3600, rem / 60 % 60,
                     rem % 60, frac, digits);
}

}  // namespace

TraceFormat parse_trace_format(const std::string& text) {
  if (text == "wide") return TraceFormat::Wide;
  if (text == "nvidia-smi") return TraceFormat::NvidiaSmi;
  if (text == "perun") return TraceFormat::Perun;
  throw InputError("--trace-format must be wide, nvidia-smi or perun (got " + quote_user(text) + ")" +
                   did_you_mean(text, std::vector<std::string>{"wide", "nvidia-smi", "perun"}));
}

std::string nvidia_smi_timestamp(double unix_s) { return format_time(unix_s, "/", ' ', 3); }
std::string iso8601_timestamp(double unix_s) { return format_time(unix_s, "-", 'T', 6); }

std::vector<int> parse_node_list(const std::string& option, const std::string& text, int nodes) {
  std::vector<int> out;
  std::size_t start = 0;
  while (true) {
    std::size_t comma = text.find(',', start);
    std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    long long v = -1;
    auto [ptr, ec] = std::from_chars(item.data(), item.data() + item.size(), v);
    if (item.empty() || ec != std::errc() || ptr != item.data() + item.size() || v < 0) {
      throw InputError(option + " expects node numbers such as 0,3 (got " + quote_user(text) + ")");
    }
    if (v >= nodes) {
      throw InputError(option + ": node " + std::to_string(v) + " is not in the job (nodes 0.." + std::to_string(nodes - 1) + ")");
    }
    out.push_back(static_cast<int>(v));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  std::sort(out.begin(), out.end());
  if (std::adjacent_find(out.begin(), out.end()) != out.end()) throw InputError(option + " names a node twice (got " + quote_user(text) + ")");
  return out;
}

GpuTraceWriter::GpuTraceWriter(std::ostream& out, GpuTraceOptions options)
    : out_(&out),
      o_(std::move(options)),
      interval_(seconds_to_ticks(o_.interval_s)),
      window_(o_.sensor_window_s < 0 ? Tick{-1} : seconds_to_ticks(o_.sensor_window_s)) {
  if (interval_ <= 0) throw InputError("--sample-interval must be positive");
  if (o_.format == TraceFormat::Wide) throw ModelError("internal: GpuTraceWriter writes nvidia-smi or perun traces");
  traced_node_.assign(static_cast<std::size_t>(o_.nodes), o_.trace_nodes.empty() ? 1 : 0);
  for (int n : o_.trace_nodes) traced_node_.at(static_cast<std::size_t>(n)) = 1;
  for (int r = 0; r < o_.gpus; ++r) {
    if (traced_node_[static_cast<std::size_t>(r / o_.gpus_per_node)]) ranks_.push_back(r);
  }
  probes_.resize(ranks_.size());
  if (o_.format == TraceFormat::NvidiaSmi) *out_ << "timestamp, index, power.draw [W], utilization.gpu [%]\n";
}

bool GpuTraceWriter::probes_node(int node) const {
  return node >= 0 && node < o_.nodes && traced_node_[static_cast<std::size_t>(node)] != 0;
}

void GpuTraceWriter::advance(Probe& p, Tick to) {
  if (to <= p.since) return;
  p.bin_j += p.power_w * ticks_to_seconds(to - p.since);
  if (p.busy) p.bin_busy += to - p.since;
  p.since = to;
}

void GpuTraceWriter::on_probe(int probe, Tick t, double power_w, Phase phase) {
  if (probe < 0 || static_cast<std::size_t>(probe) >= probes_.size()) throw ModelError("internal: unexpected power probe");
  Probe& p = probes_[static_cast<std::size_t>(probe)];
  advance(p, t);
  p.power_w = power_w;
  p.busy = phase == Phase::Compute || phase == Phase::Communication;
  if (window_ > 0) {
    if (!p.changes.empty() && p.changes.back().first == t) {
      p.changes.back().second = power_w;
    } else {
      p.changes.emplace_back(t, power_w);
    }
    // Keep the last change at or before where the next sample's window can start (the next
    // sample is after bin_start_: the end of this bin, or the end of the run within it).
    Tick keep_from = bin_start_ - window_;
    while (p.changes.size() > 1 && p.changes[1].first <= keep_from) p.changes.pop_front();
  }
}

void GpuTraceWriter::on_interval(Tick t0, Tick t1, const std::array<double, kComponents>& p, const std::vector<double>&) {
  Tick t = t0;
  while (t < t1) {
    Tick bin_end = bin_start_ + interval_;
    Tick seg_end = std::min(t1, bin_end);
    double dt = ticks_to_seconds(seg_end - t);
    for (std::size_t c = 0; c < kComponents; ++c) comp_j_[c] += p[c] * dt;
    t = seg_end;
    if (t == bin_end) {
      emit(bin_end, interval_);
      bin_start_ = bin_end;
    }
  }
}

double GpuTraceWriter::sensed(const Probe& p, Tick t) const {
  if (window_ == 0) return p.power_w;  // the power just before the sample instant
  Tick from = std::max(Tick{0}, t - window_);
  double e = 0;
  for (std::size_t i = 0; i < p.changes.size(); ++i) {
    Tick a = std::max(p.changes[i].first, from);
    Tick b = i + 1 < p.changes.size() ? std::min(p.changes[i + 1].first, t) : t;
    if (b > a) e += p.changes[i].second * ticks_to_seconds(b - a);
  }
  return t > from ? e / ticks_to_seconds(t - from) : p.power_w;
}

void GpuTraceWriter::emit(Tick bin_end, Tick bin_len) {
  const double len = ticks_to_seconds(bin_len);
  std::string stamp;
  if (o_.format == TraceFormat::NvidiaSmi) stamp = nvidia_smi_timestamp(o_.start_unix_s + ticks_to_seconds(bin_end));
  fmt::memory_buffer line;
  for (std::size_t i = 0; i < probes_.size(); ++i) {
    Probe& p = probes_[i];
    advance(p, bin_end);
    double w = window_ < 0 ? p.bin_j / len : sensed(p, bin_end);
    p.energy_j += w * len;
    if (o_.format == TraceFormat::NvidiaSmi) {
      // nvidia-smi prints power.draw with 2 decimals and utilization.gpu as an integer percent.
      long util = std::lround(100.0 * static_cast<double>(p.bin_busy) / static_cast<double>(bin_len));
      line.clear();
      fmt::format_to(std::back_inserter(line), "{}, {}, {:.2f} W, {} %\n", stamp, ranks_[i], w, std::clamp(util, 0L, 100L));
      out_->write(line.data(), static_cast<std::streamsize>(line.size()));
    }
    p.bin_j = 0;
    p.bin_busy = 0;
  }
  ++samples_;
}

void GpuTraceWriter::on_finish(Tick end) {
  if (end > bin_start_) emit(end, end - bin_start_);
  if (o_.format == TraceFormat::Perun) write_perun(end);
  out_->flush();
}

// perun's export tree, as calibration/perun_json.cpp reads it: every node
// {id, type, metadata, deviceType, processed, regions, metrics, nodes}; metrics
// {type, value, metric_md {unit, mag, dtype, min, max, fill}, agg}. The GPU energy is what the
// samples integrate to (exact for interval means); CPU and RAM are metered per job, so each host
// gets the job's CPU and RAM energy split evenly over the nodes.
void GpuTraceWriter::write_perun(Tick end) {
  const double runtime = ticks_to_seconds(end);
  JsonWriter j(false);
  auto metric = [&](const char* type, double value, const char* unit, const char* agg) {
    j.begin_object(type);
    j.value("type", type).value("value", value);
    j.begin_object("metric_md").value("unit", unit).value("mag", 1.0).value("dtype", "float64").value("min", 0LL).null("max").value("fill", 0LL);
    j.end_object();
    j.value("agg", agg).end_object();
  };
  auto open_node = [&](const std::string& id, int type, const char* device_type) {
    j.begin_object(id);
    j.value("id", id).value("type", type);
    j.begin_object("metadata").end_object();
    if (device_type) {
      j.value("deviceType", device_type);
    } else {
      j.null("deviceType");
    }
    j.value("processed", true).null("regions");
  };
  auto energy_power = [&](double energy_j) {
    metric("energy", energy_j, "J", "sum");
    metric("power", runtime > 0 ? energy_j / runtime : 0.0, "W", "mean");
  };
  // Per traced node: its GPUs' energy; the job's CPU and RAM split evenly.
  std::vector<int> nodes;
  for (int n = 0; n < o_.nodes; ++n) {
    if (traced_node_[static_cast<std::size_t>(n)]) nodes.push_back(n);
  }
  const double share = 1.0 / o_.nodes;
  const double cpu_j = comp_j_[static_cast<std::size_t>(Component::Cpu)] * share;
  const double ram_j = comp_j_[static_cast<std::size_t>(Component::Ram)] * share;
  std::vector<double> node_gpu_j(nodes.size(), 0.0);
  for (std::size_t i = 0; i < probes_.size(); ++i) {
    auto k = static_cast<std::size_t>(std::lower_bound(nodes.begin(), nodes.end(), ranks_[i] / o_.gpus_per_node) - nodes.begin());
    node_gpu_j[k] += probes_[i].energy_j;
  }
  double run_j = 0;
  for (double g : node_gpu_j) run_j += g + cpu_j + ram_j;
  const std::string run_stamp = iso8601_timestamp(o_.start_unix_s);

  j.begin_object();
  j.value("id", o_.app_id).value("type", 1);
  j.begin_object("metadata").value("app_name", o_.app_id).value("perun_version", "ddpsim simulation").end_object();
  j.null("deviceType").value("processed", true).null("regions");
  j.begin_object("metrics");
  metric("energy", run_j, "J", "sum");
  j.end_object();
  j.begin_object("nodes");
  open_node(run_stamp, 2, nullptr);
  j.begin_object("metrics");
  metric("energy", run_j, "J", "sum");
  j.end_object();
  j.begin_object("nodes");
  open_node("0", 3, nullptr);
  j.begin_object("metrics");
  metric("runtime", runtime, "s", "max");
  energy_power(run_j);
  j.end_object();
  j.begin_object("nodes");
  std::size_t probe = 0;
  for (std::size_t k = 0; k < nodes.size(); ++k) {
    const double host_j = node_gpu_j[k] + cpu_j + ram_j;
    open_node("node" + std::to_string(nodes[k]), 4, nullptr);
    j.begin_object("metrics");
    metric("runtime", runtime, "s", "max");
    energy_power(host_j);
    metric("gpu_energy", node_gpu_j[k], "J", "sum");
    metric("gpu_power", runtime > 0 ? node_gpu_j[k] / runtime : 0.0, "W", "mean");
    j.end_object();
    j.begin_object("nodes");
    open_node("gpu", 5, "gpu");
    j.begin_object("metrics");
    energy_power(node_gpu_j[k]);
    j.end_object();
    j.begin_object("nodes");
    for (; probe < probes_.size() && ranks_[probe] / o_.gpus_per_node == nodes[k]; ++probe) {
      open_node("GPU-" + std::to_string(ranks_[probe]), 6, "gpu");
      j.begin_object("metrics");
      energy_power(probes_[probe].energy_j);
      j.end_object();
      j.begin_object("nodes").end_object();
      j.end_object();
    }
    j.end_object().end_object();  // gpu's nodes, gpu
    for (auto [name, energy_j] : {std::pair<const char*, double>{"cpu", cpu_j}, {"ram", ram_j}}) {
      open_node(name, 5, name);
      j.begin_object("metrics");
      energy_power(energy_j);
      j.end_object();
      j.begin_object("nodes").end_object();
      j.end_object();
    }
    j.end_object().end_object();  // host's nodes, host
  }
  j.end_object().end_object();  // run's nodes, run
  j.end_object().end_object();  // multi-run's nodes, multi-run
  j.end_object().end_object();  // app's nodes, app
  *out_ << j.str() << '\n';
}

}  // namespace ddpsim
