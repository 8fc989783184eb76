#include "sim/provenance/calibration_file.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "sim/core/catalog.hpp"
#include "sim/core/errors.hpp"
#include "sim/core/hash.hpp"
#include "sim/core/limits.hpp"
#include "sim/core/yaml_params.hpp"
#include "sim/run/large_batch.hpp"

namespace ddpsim {

namespace {
constexpr ParamSpec kNodeSpecs[] = {
#define DDPSIM_SPEC(id, name, dim, def, lo, hi, help, src) {name, Dim::dim, def, lo, hi, help, src},
    DDPSIM_NODE_CAL_PARAMS(DDPSIM_SPEC)};
constexpr ParamSpec kWorkloadSpecs[] = {DDPSIM_WORKLOAD_CAL_PARAMS(DDPSIM_SPEC)};
constexpr ParamSpec kEfficiencySpecs[] = {DDPSIM_EFFICIENCY_PARAMS(DDPSIM_SPEC)
#undef DDPSIM_SPEC
};

}  // namespace

const ParamTable& node_calibration_table() {
  static const ParamTable table("node calibration", kNodeSpecs);
  return table;
}

const ParamTable& workload_calibration_table() {
  static const ParamTable table("workload calibration", kWorkloadSpecs);
  return table;
}

const ParamTable& efficiency_table() {
  static const ParamTable table("efficiency", kEfficiencySpecs);
  return table;
}

ParamSet Calibration::node(const std::string& hw) const {
  auto it = node_sets.find(hw);
  return it != node_sets.end() ? it->second : ParamSet(node_calibration_table());
}

ParamSet Calibration::workload(const std::string& wl, const std::string& hw) const {
  auto it = workload_sets.find({wl, hw});
  return it != workload_sets.end() ? it->second : ParamSet(workload_calibration_table());
}

double calibration_value(const Calibration& cal, const CalibrationTarget& t) {
  ParamSet set = t.node ? cal.node(t.hardware) : cal.workload(t.workload, t.hardware);
  int i = set.table().find(t.param);
  if (i < 0) throw ModelError("internal: unknown calibration parameter " + t.param);
  return set[static_cast<std::size_t>(i)];
}

void set_calibration_value(Calibration& cal, const CalibrationTarget& t, double value, double stderr_si, const std::string& citation) {
  ParamSet* set;
  if (t.node) {
    auto it = cal.node_sets.find(t.hardware);
    if (it == cal.node_sets.end()) it = cal.node_sets.emplace(t.hardware, ParamSet(node_calibration_table())).first;
    set = &it->second;
  } else {
    auto key = std::make_pair(t.workload, t.hardware);
    auto it = cal.workload_sets.find(key);
    if (it == cal.workload_sets.end()) it = cal.workload_sets.emplace(key, ParamSet(workload_calibration_table())).first;
    set = &it->second;
  }
  int i = set->table().find(t.param);
  if (i < 0) throw ModelError("internal: unknown calibration parameter " + t.param);
  const auto& spec = set->table().spec(static_cast<std::size_t>(i));
  double v = std::clamp(value, spec.min_si, spec.max_si);
  set->set(static_cast<std::size_t>(i), v, "fit", citation, stderr_si);
}

void apply_fit_values(Calibration& cal, const FitUncertainty& fit, const std::vector<double>& values, const std::string& origin) {
  for (std::size_t k = 0; k < fit.size(); ++k) {
    for (const auto& t : fit.targets[k]) {
      double f = t.factor * (t.times_param >= 0 ? values[static_cast<std::size_t>(t.times_param)] : 1.0);
      // Keep the stored standard error of the entry: only its value moves.
      double se = std::numeric_limits<double>::quiet_NaN();
      ParamSet set = t.node ? cal.node(t.hardware) : cal.workload(t.workload, t.hardware);
      int i = set.table().find(t.param);
      if (i >= 0) se = set.stderr_of(static_cast<std::size_t>(i));
      set_calibration_value(cal, t, values[k] * f, se, origin);
    }
  }
}

namespace {

CalibrationTarget parse_target(const YAML::Node& n, const std::string& path, std::size_t params) {
  if (!n.IsMap()) throw ConfigError(path, yaml_line(n), "a fit target is a map {hardware, [workload], param, [times], [factor]}");
  check_keys(n, path, {"hardware", "workload", "param", "times", "factor"});
  CalibrationTarget t;
  t.hardware = yaml_string(n, "hardware", path);
  t.workload = yaml_string(n, "workload", path, false);
  t.node = t.workload.empty();
  t.param = yaml_string(n, "param", path);
  const ParamTable& table = t.node ? node_calibration_table() : workload_calibration_table();
  if (table.find(t.param) < 0) {
    throw ConfigError(path, yaml_line(n["param"]), "unknown " + std::string(table.scope()) + " parameter " + quote_user(t.param) +
                                                       did_you_mean(t.param, table.names()));
  }
  if (auto tp = n["times"]) {
    int k = tp.as<int>();
    if (k < 0 || static_cast<std::size_t>(k) >= params) throw ConfigError(path, yaml_line(tp), "'times' must name a parameter of this fit (0-based)");
    t.times_param = k;
  }
  if (auto f = n["factor"]) {
    t.factor = f.as<double>();
    if (!std::isfinite(t.factor) || t.factor <= 0) throw ConfigError(path, yaml_line(f), "'factor' must be a positive number");
  }
  return t;
}

FitUncertainty parse_fit_uncertainty(const std::string& name, const YAML::Node& n, const std::string& path) {
  if (!n.IsMap()) throw ConfigError(path, yaml_line(n), "uncertainty." + name + " must be a map {parameters, covariance_log, discrepancy}");
  check_keys(n, path, {"parameters", "covariance_log", "discrepancy"});
  FitUncertainty fit;
  fit.name = name;
  YAML::Node ps = n["parameters"];
  if (!ps || !ps.IsSequence() || ps.size() == 0) throw ConfigError(path, yaml_line(n), "uncertainty." + name + " needs a list of parameters");
  const std::size_t p = ps.size();
  for (const auto& q : ps) {
    if (!q.IsMap()) throw ConfigError(path, yaml_line(q), "a fit parameter is a map {label, value, targets}");
    check_keys(q, path, {"label", "value", "targets"});
    fit.labels.push_back(yaml_string(q, "label", path));
    double v = q["value"] ? q["value"].as<double>() : 0.0;
    if (!(v > 0) || !std::isfinite(v)) throw ConfigError(path, yaml_line(q), "fit parameter value must be a positive number (SI)");
    fit.values.push_back(v);
    std::vector<CalibrationTarget> ts;
    if (auto tl = q["targets"]) {
      if (!tl.IsSequence()) throw ConfigError(path, yaml_line(tl), "'targets' must be a list");
      for (const auto& t : tl) ts.push_back(parse_target(t, path, p));
    }
    fit.targets.push_back(std::move(ts));
  }
  YAML::Node cv = n["covariance_log"];
  if (!cv || !cv.IsSequence() || cv.size() != p) {
    throw ConfigError(path, yaml_line(cv ? cv : n), "uncertainty." + name + ".covariance_log must have one row per parameter (" + std::to_string(p) + ")");
  }
  fit.covariance_log.reserve(p * p);
  for (const auto& row : cv) {
    if (!row.IsSequence() || row.size() != p) throw ConfigError(path, yaml_line(row), "each covariance row needs " + std::to_string(p) + " numbers");
    for (const auto& x : row) {
      double v = x.as<double>();
      if (!std::isfinite(v)) throw ConfigError(path, yaml_line(x), "covariance entries must be finite");
      fit.covariance_log.push_back(v);
    }
  }
  for (std::size_t i = 0; i < p; ++i) {
    if (fit.cov(i, i) < 0) throw ConfigError(path, yaml_line(cv), "covariance diagonal must not be negative (parameter " + fit.labels[i] + ")");
    for (std::size_t j = 0; j < i; ++j) {
      if (std::fabs(fit.cov(i, j) - fit.cov(j, i)) > 1e-9 * (std::fabs(fit.cov(i, j)) + 1e-300)) {
        throw ConfigError(path, yaml_line(cv), "covariance_log must be symmetric");
      }
    }
  }
  if (auto d = n["discrepancy"]) {
    if (!d.IsMap()) throw ConfigError(path, yaml_line(d), "'discrepancy' must map quantities to {sd, runs, loo_rms, method}");
    for (auto it = d.begin(); it != d.end(); ++it) {
      const YAML::Node e = it->second;  // a copy: it-> yields a temporary
      if (!e.IsMap()) throw ConfigError(path, yaml_line(e), "a discrepancy entry is a map {sd, runs, loo_rms, method}");
      check_keys(e, path, {"sd", "runs", "loo_rms", "method"});
      DiscrepancyEntry de;
      de.sd = e["sd"] ? e["sd"].as<double>() : -1.0;
      if (!(de.sd >= 0) || !std::isfinite(de.sd)) throw ConfigError(path, yaml_line(e), "discrepancy sd must be a number >= 0 (relative)");
      de.runs = e["runs"] ? e["runs"].as<int>() : 0;
      de.loo_rms = e["loo_rms"] ? e["loo_rms"].as<double>() : 0.0;
      de.method = yaml_string(e, "method", path, false);
      fit.discrepancy.emplace(it->first.as<std::string>(), de);
    }
  }
  return fit;
}

}  // namespace

std::string default_calibration_path() { return data_dir() + "/calibration/default.yaml"; }

Calibration load_calibration(const std::string& path) {
  try {
    YAML::Node root = load_yaml_file(path);
    check_keys(root, path, {"format", "description", "provenance", "hardware", "workloads", "efficiency", "large_batch", "fit", "uncertainty"});
    std::string format = yaml_string(root, "format", path);
    if (format != "ddpsim-calibration/1") {
      throw ConfigError(path, yaml_line(root["format"]), "unsupported calibration format '" + format + "' (expected ddpsim-calibration/1)");
    }
    Calibration cal;
    cal.file = path;
    cal.description = yaml_string(root, "description", path, false);
    {
      std::ifstream in(path, std::ios::binary);
      std::stringstream ss;
      ss << in.rdbuf();
      cal.id = hex64(fnv1a64(ss.str())).substr(0, 12);
    }
    if (auto prov = root["provenance"]) {
      if (!prov.IsMap()) throw ConfigError(path, yaml_line(prov), "'provenance' must be a mapping");
      for (auto it = prov.begin(); it != prov.end(); ++it) {
        if (it->second.IsScalar()) cal.provenance[it->first.as<std::string>()] = it->second.as<std::string>();
      }
    }
    if (auto hw = root["hardware"]) {
      if (!hw.IsMap()) throw ConfigError(path, yaml_line(hw), "'hardware' must map hardware names to parameters");
      for (auto it = hw.begin(); it != hw.end(); ++it) {
        ParamSet set(node_calibration_table());
        load_params(it->second, path, set);
        cal.node_sets.emplace(it->first.as<std::string>(), std::move(set));
      }
    }
    if (auto wl = root["workloads"]) {
      if (!wl.IsMap()) throw ConfigError(path, yaml_line(wl), "'workloads' must map workload names to hardware entries");
      for (auto it = wl.begin(); it != wl.end(); ++it) {
        if (!it->second.IsMap()) throw ConfigError(path, yaml_line(it->second), "expected hardware names under workload '" + it->first.as<std::string>() + "'");
        for (auto jt = it->second.begin(); jt != it->second.end(); ++jt) {
          ParamSet set(workload_calibration_table());
          load_params(jt->second, path, set);
          cal.workload_sets.emplace(std::make_pair(it->first.as<std::string>(), jt->first.as<std::string>()), std::move(set));
        }
      }
    }
    if (auto ef = root["efficiency"]) {
      if (!ef.IsMap()) throw ConfigError(path, yaml_line(ef), "'efficiency' must map model families to precisions");
      for (auto it = ef.begin(); it != ef.end(); ++it) {
        if (!it->second.IsMap()) throw ConfigError(path, yaml_line(it->second), "expected precisions under efficiency family '" + it->first.as<std::string>() + "'");
        for (auto jt = it->second.begin(); jt != it->second.end(); ++jt) {
          ParamSet set(efficiency_table());
          load_params(jt->second, path, set);
          cal.efficiency_sets.emplace(std::make_pair(it->first.as<std::string>(), jt->first.as<std::string>()), std::move(set));
        }
      }
    }
    if (auto lb = root["large_batch"]) {
      if (!lb.IsMap()) throw ConfigError(path, yaml_line(lb), "'large_batch' must map workload names to phases");
      for (auto it = lb.begin(); it != lb.end(); ++it) {
        if (!it->second.IsMap()) throw ConfigError(path, yaml_line(it->second), "expected phase names under large_batch workload '" + it->first.as<std::string>() + "'");
        for (auto jt = it->second.begin(); jt != it->second.end(); ++jt) {
          ParamSet set(large_batch_table());
          load_params(jt->second, path, set);
          cal.large_batch_sets.emplace(std::make_pair(it->first.as<std::string>(), jt->first.as<std::string>()), std::move(set));
        }
      }
    }
    if (auto un = root["uncertainty"]) {
      if (!un.IsMap()) throw ConfigError(path, yaml_line(un), "'uncertainty' must map fit names to {parameters, covariance_log, discrepancy}");
      for (auto it = un.begin(); it != un.end(); ++it) cal.fits.push_back(parse_fit_uncertainty(it->first.as<std::string>(), it->second, path));
    }
    return cal;
  } catch (const YAML::Exception& e) {
    throw ConfigError(path, e.mark.line >= 0 ? e.mark.line + 1 : 0, e.msg);
  }
}

}  // namespace ddpsim
