#include "sim/core/yaml_params.hpp"

#include <filesystem>
#include <map>
#include <vector>

#include "sim/core/errors.hpp"
#include "sim/core/limits.hpp"

namespace ddpsim {

void check_unique_keys(const YAML::Node& node, const std::string& file) {
  if (node.IsMap()) {
    std::map<std::string, int> first_line;
    for (auto it = node.begin(); it != node.end(); ++it) {
      // Every reader takes keys as names: a list or mapping as a key ({{}: 1}, [a]: 1) is bad input
      // here, not a yaml-cpp BadConversion in the middle of a reader. A null key reads as "null".
      if (it->first.IsMap() || it->first.IsSequence()) {
        throw ConfigError(file, yaml_line(it->first), std::string("a key must be a single value, not a ") +
                                                          (it->first.IsMap() ? "mapping" : "list"));
      }
      std::string key = it->first.IsScalar() ? it->first.Scalar() : std::string("null");
      auto [pos, fresh] = first_line.emplace(key, yaml_line(it->first));
      if (!fresh) {
        throw ConfigError(file, yaml_line(it->first),
                          "duplicate key " + quote_user(key) + " (first at line " + std::to_string(pos->second) + ")");
      }
      check_unique_keys(it->second, file);
    }
  } else if (node.IsSequence()) {
    for (const auto& e : node) check_unique_keys(e, file);
  }
}

YAML::Node load_yaml_file(const std::string& path) {
  check_input_file(path);
  try {
    YAML::Node root = YAML::LoadFile(path);
    check_unique_keys(root, path);
    return root;
  } catch (const YAML::ParserException& e) {
    throw ConfigError(path, e.mark.line + 1, "YAML syntax error: " + e.msg);
  } catch (const YAML::BadFile&) {
    throw InputError(path + ": cannot be read");
  }
}

int yaml_line(const YAML::Node& node) {
  auto m = node.Mark();
  return m.line >= 0 ? m.line + 1 : 0;
}

void check_keys(const YAML::Node& map, const std::string& file, std::initializer_list<std::string_view> allowed) {
  if (!map.IsMap()) throw ConfigError(file, yaml_line(map), "expected a mapping");
  std::vector<std::string> names(allowed.begin(), allowed.end());
  for (auto it = map.begin(); it != map.end(); ++it) {
    auto key = it->first.as<std::string>();
    bool ok = false;
    for (auto a : allowed) ok = ok || key == a;
    if (!ok) throw ConfigError(file, yaml_line(it->first), "unknown key '" + key + "'" + did_you_mean(key, names));
  }
}

std::string yaml_string(const YAML::Node& map, std::string_view key, const std::string& file, bool required) {
  auto n = map[std::string(key)];
  if (!n) {
    if (required) throw ConfigError(file, yaml_line(map), "missing required key '" + std::string(key) + "'");
    return {};
  }
  if (!n.IsScalar()) throw ConfigError(file, yaml_line(n), "'" + std::string(key) + "' must be a single value");
  return n.as<std::string>();
}

namespace {

void load_leaf(const YAML::Node& v, const std::string& file, ParamSet& set, std::size_t idx, const std::string& name) {
  const auto& spec = set.table().spec(idx);
  std::string text, citation;
  double stderr_si = std::numeric_limits<double>::quiet_NaN();
  YAML::Node value_node(v);
  if (v.IsMap()) {
    check_keys(v, file, {"value", "source", "stderr", "note"});
    value_node.reset(v["value"]);
    if (!value_node) throw ConfigError(file, yaml_line(v), name + ": missing 'value'");
    if (v["source"]) citation = v["source"].as<std::string>();
    if (v["stderr"]) {
      try {
        stderr_si = parse_quantity(v["stderr"].as<std::string>(), spec.dim == Dim::Count ? Dim::Dimensionless : spec.dim);
      } catch (const InputError& e) {
        throw ConfigError(file, yaml_line(v["stderr"]), name + ".stderr: " + e.what());
      }
    }
  }
  if (!value_node.IsScalar()) throw ConfigError(file, yaml_line(value_node), name + ": expected a single value");
  text = value_node.as<std::string>();
  double value;
  try {
    value = parse_param_value(spec, text);
  } catch (const InputError& e) {
    throw ConfigError(file, yaml_line(value_node), name + ": " + e.what());
  }
  set.set(idx, value, file + ":" + std::to_string(yaml_line(value_node)), citation, stderr_si);
}

}  // namespace

void load_params(const YAML::Node& node, const std::string& file, ParamSet& set, const std::string& prefix) {
  if (!node.IsMap()) throw ConfigError(file, yaml_line(node), "expected a mapping of parameters" + (prefix.empty() ? std::string() : " under '" + prefix + "'"));
  const auto& table = set.table();
  for (auto it = node.begin(); it != node.end(); ++it) {
    std::string key = it->first.as<std::string>();
    std::string full = prefix.empty() ? key : prefix + "." + key;
    int idx = table.find(full);
    if (idx >= 0) {
      load_leaf(it->second, file, set, static_cast<std::size_t>(idx), full);
    } else if (table.has_group(full) && it->second.IsMap()) {
      load_params(it->second, file, set, full);
    } else {
      throw ConfigError(file, yaml_line(it->first),
                        "unknown " + std::string(table.scope()) + " parameter '" + full + "'" + did_you_mean(full, table.names()));
    }
  }
}

}  // namespace ddpsim
