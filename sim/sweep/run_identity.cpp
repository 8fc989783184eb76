// What identifies a run: its canonical configuration and hash, its series key and its label.
#include "sim/sweep/sweep.hpp"

#include <algorithm>
#include <fmt/format.h>

#include "sim/core/hash.hpp"
#include "sim/core/text.hpp"

namespace ddpsim {

// ----------------------------------------------------------------------------------------------
// Keys
// ----------------------------------------------------------------------------------------------

namespace {
void append_params(std::string& out, const char* scope, const ParamSet& set) {
  for (std::size_t i = 0; i < set.table().size(); ++i) {
    fmt::format_to(std::back_inserter(out), "{}.{}={:.17g}\n", scope, set.table().spec(i).name, set[i]);
  }
}
}  // namespace

namespace {
// Every input of a run, in one order: `kv(key, text)` for the configuration, `params(scope, set)`
// for each parameter set. canonical_config() prints them; scenario_fingerprint() packs them.
template <typename Kv, typename Params>
void visit_config(const Scenario& s, Kv kv, Params params) {
  kv("workload", s.wl.name);
  kv("phase", s.phase.name);
  kv("hardware", s.hw.name);
  kv("gpus", std::to_string(s.gpus));
  kv("lbs", std::to_string(s.lbs));
  kv("gbs", std::to_string(s.gbs));
  kv("epochs", std::to_string(s.epochs));
  kv("samples_per_gpu", std::to_string(std::max(0LL, s.config.samples_per_gpu)));
  if (s.has_target) {
    kv("target", fmt::format("{}={:.17g}", s.target.metric, s.target.value));
  }
  kv("train_samples", std::to_string(s.train_samples));
  kv("val_samples", std::to_string(s.val_samples));
  kv("seed", std::to_string(s.config.seed));
  if (s.config.fast_forward_epochs > 0 && s.config.fast_forward_epochs < s.epochs) {
    kv("fast_forward", std::to_string(s.config.fast_forward_epochs));  // extrapolated results differ
  }
  if (s.config.rank_classes && s.nodes > 1) kv("rank_classes", "1");  // approximated results differ
  if (s.config.interval_level > 0) kv("interval", fmt::format("{:.17g}", s.config.interval_level));  // stored outputs differ
  params("hardware", s.hw.params);
  params("workload", s.wl.params);
  params("phase", s.phase.params);
  params("node_calibration", s.node_cal);
  params("workload_calibration", s.wl_cal);
  // The site only when given (hashes of runs without site.* stay as they were); a time series by
  // its content, so an edited file is a new configuration.
  bool site_given = s.site.has_series() || s.site.currency != "EUR";
  for (std::size_t i = 0; i < s.site.params.table().size(); ++i) site_given = site_given || s.site.params.is_set(i);
  if (site_given) {
    params("site", s.site.params);
    kv("site.currency", s.site.currency);
    if (s.site.has_series()) {
      kv("site.start_time", fmt::format("{:.17g}", s.site.start_time_s));
      for (const auto& p : s.site.series) kv("site.series", fmt::format("{:.17g},{:.17g}", p.t_s, p.g_per_kwh));
    }
  }
}
}  // namespace

std::string canonical_config(const Scenario& s) {
  std::string out = "ddpsim-config/1\n";
  visit_config(
      s, [&](const char* k, const std::string& v) { out += std::string(k) + "=" + v + "\n"; },
      [&](const char* scope, const ParamSet& set) { append_params(out, scope, set); });
  return out;
}

std::string scenario_fingerprint(const Scenario& s) {
  std::string out;
  out.reserve(2048);
  visit_config(
      s,
      [&](const char*, const std::string& v) {
        out += v;
        out += '\0';
      },
      [&](const char*, const ParamSet& set) {
        for (std::size_t i = 0; i < set.table().size(); ++i) {
          double v = set[i];
          out.append(reinterpret_cast<const char*>(&v), sizeof v);
        }
      });
  return out;
}

std::string config_hash(const Scenario& s) { return hex64(fnv1a64(canonical_config(s))); }

std::string overrides_text(const RunConfig& c) {
  auto o = c.overrides;
  std::stable_sort(o.begin(), o.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string out;
  for (const auto& [k, v] : o) out += (out.empty() ? "" : "; ") + k + "=" + std::string(trim(v));
  return out;
}

std::string series_key(const SweepPoint& p, const Scenario& s) {
  const RunConfig& c = p.config;
  std::string key = s.wl.name + "/" + s.phase.name + "/" + s.hw.name + "/" + scaling_mode_name(p.mode) + "/";
  switch (p.mode) {
    case ScalingMode::ConstantLbs:
    case ScalingMode::ScaledDatasetConstantLbs:
      key += "lbs=" + std::to_string(c.lbs);
      break;
    case ScalingMode::ConstantGbs:
    case ScalingMode::ScaledDatasetConstantGbs:
      key += "gbs=" + std::to_string(c.gbs);
      break;
    case ScalingMode::Grid:
      if (c.lbs > 0) key += "lbs=" + std::to_string(c.lbs);
      if (c.gbs > 0) key += std::string(c.lbs > 0 ? "," : "") + "gbs=" + std::to_string(c.gbs);
      break;
  }
  if (c.samples_per_gpu > 0) key += "/spg=" + std::to_string(c.samples_per_gpu);
  if (s.has_target) {
    key += fmt::format("/target={}={:.10g}", s.target.metric, s.target.value);
  } else {
    key += "/epochs=" + std::to_string(s.epochs);
  }
  if (!c.overrides.empty()) key += "/set:" + overrides_text(c);
  return key;
}

std::string point_label(const SweepPoint& p) {
  const RunConfig& c = p.config;
  std::string out = c.workload + (c.phase.empty() ? "" : "/" + c.phase) + " " + c.hardware + " n=" + std::to_string(c.gpus);
  if (c.lbs > 0) out += " lbs=" + std::to_string(c.lbs);
  if (c.gbs > 0) out += " gbs=" + std::to_string(c.gbs);
  if (c.samples_per_gpu > 0) out += " spg=" + std::to_string(c.samples_per_gpu);
  if (c.epochs > 0) out += " epochs=" + std::to_string(c.epochs);
  if (!c.target_metric.empty()) {
    out += fmt::format(" target={}={:.10g}", c.target_metric, c.target_value);
  }
  out += " seed=" + std::to_string(c.seed);
  if (!c.overrides.empty()) out += " {" + overrides_text(c) + "}";
  return out;
}

}  // namespace ddpsim
