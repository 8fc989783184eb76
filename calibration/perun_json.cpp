// Reader of perun's JSON export: a tree app -> multi-run -> run -> host -> device group -> sensor.
// JSON is YAML flow syntax, so yaml-cpp reads it and gives every node its line.
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <cstdio>
#include <limits>

#include "calibration/readers.hpp"
#include "calibration/text_input.hpp"
#include "sim/core/errors.hpp"
#include "sim/core/units.hpp"
#include "sim/core/yaml_params.hpp"

namespace ddpsim {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
enum NodeType { kApp = 1, kMultiRun = 2, kRun = 3, kHost = 4, kDeviceGroup = 5, kSensor = 6 };

struct Context {
  std::string run_id, host, group;
};

class PerunJsonReader {
 public:
  explicit PerunJsonReader(std::string file) : file_(std::move(file)) {}

  PerunExport read() {
    YAML::Node root = load_yaml_file(file_);
    out_.file = file_;
    if (!root.IsMap()) throw ConfigError(file_, yaml_line(root), "expected a perun data node (a JSON object with id, type, nodes, metrics)");
    out_.app_id = text_of(root, "id");
    visit(root, {});
    if (out_.runs.empty() && out_.hosts.empty()) {
      throw ConfigError(file_, yaml_line(root), "no run (type 3) or host (type 4) node found: is this a perun JSON export?");
    }
    return std::move(out_);
  }

 private:
  [[noreturn]] void fail(const YAML::Node& at, const std::string& msg) const { throw ConfigError(file_, yaml_line(at), msg); }

  std::string text_of(const YAML::Node& map, const char* key) const {
    auto n = map[key];
    if (!n) fail(map, std::string("data node without '") + key + "'");
    if (!n.IsScalar()) fail(n, std::string("'") + key + "' must be a single value");
    return n.as<std::string>();
  }

  // A JSON number; NaN for null, NaN/Infinity spellings.
  double number(const YAML::Node& n, std::string_view what) const {
    if (!n || n.IsNull()) return kNaN;
    if (!n.IsScalar()) fail(n, "'" + std::string(what) + "' must be a number");
    std::string s = n.as<std::string>();
    std::string l = text::lower(s);
    if (l == "nan" || l == ".nan" || l == "infinity" || l == "-infinity" || l == ".inf" || l == "-.inf") return kNaN;
    return text::to_double(s, file_, yaml_line(n), what);
  }

  // SI value of `physical` in `unit` for dimension `dim`.
  double to_si(double physical, const std::string& unit, Dim dim, const YAML::Node& at, const std::string& metric) const {
    if (std::isnan(physical) || unit.empty() || unit == dim_si_unit(dim)) return physical;
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g %s", physical, unit.c_str());
    try {
      return parse_quantity(buf, dim);
    } catch (const InputError&) {
      fail(at, "metric '" + metric + "' is in '" + unit + "', expected a " + dim_name(dim) + " (" + dim_si_unit(dim) + ")");
    }
  }

  struct Value {
    double physical = kNaN;
    std::string unit;
    YAML::Node at;
  };

  // value x mag and the unit of a {value, metric_md: {unit, mag}} object.
  Value read_value(const YAML::Node& m, const std::string& name, const char* value_key, const char* md_key) const {
    if (!m.IsMap()) fail(m, "metric '" + name + "' must be an object {type, value, metric_md, agg}");
    Value v;
    v.at = m;
    v.physical = number(m[value_key], name);
    double mag = 1.0;
    if (auto md = m[md_key]) {
      if (!md.IsMap()) fail(md, "'" + std::string(md_key) + "' of '" + name + "' must be an object {unit, mag, ...}");
      if (md["unit"] && md["unit"].IsScalar()) v.unit = md["unit"].as<std::string>();
      if (md["mag"]) mag = number(md["mag"], name + ".mag");
      if (std::isnan(mag)) mag = 1.0;
    }
    v.physical *= mag;
    return v;
  }

  PerunSummary summarize_node(const YAML::Node& node, int type, const Context& ctx) {
    PerunSummary s;
    s.id = text_of(node, "id");
    s.type = type;
    s.run_id = type == kRun ? s.id : ctx.run_id;
    s.host = type == kHost ? s.id : "";
    s.line = yaml_line(node);
    for (double* f : {&s.runtime_s, &s.energy_j, &s.cpu_energy_j, &s.gpu_energy_j, &s.dram_energy_j, &s.power_w, &s.cpu_power_w,
                      &s.gpu_power_w, &s.dram_power_w}) {
      *f = kNaN;
    }
    auto metrics = node["metrics"];
    if (!metrics || metrics.IsNull()) return s;
    if (!metrics.IsMap()) fail(metrics, "'metrics' must map metric types to {type, value, metric_md, agg}");
    struct Target {
      const char* name;
      Dim dim;
      double PerunSummary::*field;
    };
    static constexpr Target kTargets[] = {
        {"runtime", Dim::Time, &PerunSummary::runtime_s},         {"energy", Dim::Energy, &PerunSummary::energy_j},
        {"cpu_energy", Dim::Energy, &PerunSummary::cpu_energy_j}, {"gpu_energy", Dim::Energy, &PerunSummary::gpu_energy_j},
        {"dram_energy", Dim::Energy, &PerunSummary::dram_energy_j}, {"power", Dim::Power, &PerunSummary::power_w},
        {"cpu_power", Dim::Power, &PerunSummary::cpu_power_w},    {"gpu_power", Dim::Power, &PerunSummary::gpu_power_w},
        {"dram_power", Dim::Power, &PerunSummary::dram_power_w},
    };
    for (auto it = metrics.begin(); it != metrics.end(); ++it) {
      std::string name = it->first.as<std::string>();
      bool target = false;
      for (const auto& t : kTargets) target = target || name == t.name;
      // A metric this reader does not summarise may hold anything (a list, an object): skip it.
      if (!target && (!it->second.IsMap() || (it->second["value"] && !it->second["value"].IsScalar() && !it->second["value"].IsNull()))) {
        continue;
      }
      Value v = read_value(it->second, name, "value", "metric_md");
      if (std::isnan(v.physical)) continue;
      s.metrics[name] = v.physical;
      s.units[name] = v.unit;
      for (const auto& t : kTargets) {
        if (name == t.name) s.*t.field = to_si(v.physical, v.unit, t.dim, v.at, name);
      }
    }
    return s;
  }

  // Children of a node: `nodes` is a list holding objects of id -> child, or one such object.
  std::vector<YAML::Node> children(const YAML::Node& node) const {
    std::vector<YAML::Node> out;
    auto nodes = node["nodes"];
    if (!nodes || nodes.IsNull()) return out;
    auto add_map = [&](const YAML::Node& m) {
      if (m.IsNull()) return;
      if (!m.IsMap()) fail(m, "'nodes' must hold objects mapping child ids to data nodes");
      for (auto it = m.begin(); it != m.end(); ++it) out.push_back(it->second);
    };
    if (nodes.IsSequence()) {
      for (const auto& m : nodes) add_map(m);
    } else {
      add_map(nodes);
    }
    return out;
  }

  void read_series(const YAML::Node& raw, const Context& ctx, const std::string& sensor) {
    if (raw.IsNull()) return;
    if (!raw.IsMap()) fail(raw, "'raw_data' must be an object {timesteps, values, t_md, v_md}");
    auto ts = raw["timesteps"], vs = raw["values"];
    if (!ts || !vs || !ts.IsSequence() || !vs.IsSequence()) fail(raw, "'raw_data' needs the lists 'timesteps' and 'values'");
    if (ts.size() != vs.size()) {
      fail(raw, "'raw_data' of sensor '" + sensor + "' has " + std::to_string(ts.size()) + " timesteps but " +
                    std::to_string(vs.size()) + " values");
    }
    PerunSeries series{ctx.run_id, ctx.host, ctx.group, sensor, "", "", {}, {}, yaml_line(raw)};
    auto scale = [&](const char* md_key, std::string& unit) {
      double mag = 1.0;
      if (auto md = raw[md_key]; md && md.IsMap()) {
        if (md["unit"] && md["unit"].IsScalar()) unit = md["unit"].as<std::string>();
        if (md["mag"]) mag = number(md["mag"], std::string(md_key) + ".mag");
      }
      return std::isnan(mag) ? 1.0 : mag;
    };
    const double t_mag = scale("t_md", series.time_unit), v_mag = scale("v_md", series.value_unit);
    series.time.reserve(ts.size());
    series.values.reserve(vs.size());
    for (std::size_t i = 0; i < ts.size(); ++i) {
      series.time.push_back(number(ts[i], "timesteps") * t_mag);
      series.values.push_back(number(vs[i], "values") * v_mag);
    }
    out_.series.push_back(std::move(series));
  }

  // Visits `node` and its subtree; returns the node's summary for runs and hosts.
  void visit(const YAML::Node& node, Context ctx) {
    if (!node.IsMap()) fail(node, "a data node must be a JSON object");
    auto type_node = node["type"];
    if (!type_node || !type_node.IsScalar()) fail(node, "data node '" + text_of(node, "id") + "' has no integer 'type'");
    long long type = text::to_integer(type_node.as<std::string>(), file_, yaml_line(type_node), "type");
    if (type < kApp || type > kSensor) {
      fail(type_node, "unknown node type " + std::to_string(type) + " (1 app, 2 multi-run, 3 run, 4 host, 5 device group, 6 sensor)");
    }
    std::string id = text_of(node, "id");
    if (type == kRun) ctx.run_id = id;
    if (type == kHost) ctx.host = id;
    if (type == kDeviceGroup) {
      auto dt = node["deviceType"];
      ctx.group = dt && dt.IsScalar() && !dt.IsNull() ? dt.as<std::string>() : id;
    }
    if (type == kSensor) {
      if (auto raw = node["raw_data"]) read_series(raw, ctx, id);
      PerunSummary sensor = summarize_node(node, kSensor, ctx);
      sensor.host = ctx.host;
      sensor.group = ctx.group;
      out_.sensors.push_back(std::move(sensor));
    }
    std::size_t first_host = out_.hosts.size();
    std::vector<std::pair<std::string, PerunSummary>> groups;
    for (const auto& child : children(node)) {
      visit(child, ctx);
      if (type == kHost && child["type"] && child["type"].as<std::string>() == std::to_string(kDeviceGroup)) {
        auto dt = child["deviceType"];
        std::string name = dt && dt.IsScalar() && !dt.IsNull() ? dt.as<std::string>() : text_of(child, "id");
        groups.emplace_back(name, summarize_node(child, kDeviceGroup, ctx));
      }
    }
    if (type == kHost) {
      PerunSummary s = summarize_node(node, kHost, ctx);
      for (const auto& [name, g] : groups) {
        double power = !std::isnan(g.power_w) ? g.power_w : g.energy_j / g.runtime_s;
        if (std::isnan(power) && !std::isnan(s.runtime_s) && s.runtime_s > 0) power = g.energy_j / s.runtime_s;
        if (!std::isnan(power)) s.group_power_w[name] = power;
        if (!std::isnan(g.energy_j)) s.group_energy_j[name] = g.energy_j;
      }
      fill_from_groups(s);
      out_.hosts.push_back(std::move(s));
    } else if (type == kRun) {
      PerunSummary s = summarize_node(node, kRun, ctx);
      for (std::size_t h = first_host; h < out_.hosts.size(); ++h) {
        for (const auto& [g, p] : out_.hosts[h].group_power_w) s.group_power_w[g] += p;
        for (const auto& [g, e] : out_.hosts[h].group_energy_j) s.group_energy_j[g] += e;
      }
      fill_from_groups(s);
      out_.runs.push_back(std::move(s));
    }
  }

  // Fills per-device fields the node lacks from its device groups (cpu, gpu, ram).
  static void fill_from_groups(PerunSummary& s) {
    auto fill = [](double& field, const std::map<std::string, double>& groups, std::initializer_list<const char*> names) {
      if (!std::isnan(field)) return;
      for (const char* n : names) {
        if (auto it = groups.find(n); it != groups.end()) field = it->second;
      }
    };
    fill(s.cpu_power_w, s.group_power_w, {"cpu"});
    fill(s.gpu_power_w, s.group_power_w, {"gpu"});
    fill(s.dram_power_w, s.group_power_w, {"ram", "dram"});
    fill(s.cpu_energy_j, s.group_energy_j, {"cpu"});
    fill(s.gpu_energy_j, s.group_energy_j, {"gpu"});
    fill(s.dram_energy_j, s.group_energy_j, {"ram", "dram"});
  }

  std::string file_;
  PerunExport out_;
};

}  // namespace

PerunExport read_perun_json(const std::string& path) {
  try {
    return PerunJsonReader(path).read();
  } catch (const YAML::Exception& e) {  // a conversion the checks above missed: still bad input
    throw ConfigError(path, e.mark.line >= 0 ? e.mark.line + 1 : 0, e.msg);
  }
}

}  // namespace ddpsim
