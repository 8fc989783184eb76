#include "sim/provenance/calibration_file.hpp"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "sim/core/catalog.hpp"
#include "sim/core/errors.hpp"
#include "sim/core/hash.hpp"
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

std::string default_calibration_path() { return data_dir() + "/calibration/default.yaml"; }

Calibration load_calibration(const std::string& path) {
  try {
    YAML::Node root = load_yaml_file(path);
    check_keys(root, path, {"format", "description", "provenance", "hardware", "workloads", "efficiency", "large_batch", "fit"});
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
    return cal;
  } catch (const YAML::Exception& e) {
    throw ConfigError(path, e.mark.line >= 0 ? e.mark.line + 1 : 0, e.msg);
  }
}

}  // namespace ddpsim
