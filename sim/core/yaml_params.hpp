#pragma once
// YAML at the edge: loading files with file:line errors, and reading declared parameters
// (nested maps or dotted keys; a leaf is "<value with unit>" or {value, source, stderr}).
#include <yaml-cpp/yaml.h>

#include <initializer_list>
#include <string>
#include <string_view>

#include "sim/core/params.hpp"

namespace ddpsim {

/// Loads a YAML file; a missing file is an InputError, a syntax error a ConfigError(file:line).
YAML::Node load_yaml_file(const std::string& path);
/// Throws ConfigError(file:line) for a key that appears twice in one mapping, or a key that is a
/// list or mapping, anywhere below `node`.
void check_unique_keys(const YAML::Node& node, const std::string& file);
/// 1-based line of a node (0 if unknown).
int yaml_line(const YAML::Node& node);
/// Throws ConfigError for any key of `map` not in `allowed`, with a suggestion.
void check_keys(const YAML::Node& map, const std::string& file, std::initializer_list<std::string_view> allowed);
/// Reads a required scalar as string.
std::string yaml_string(const YAML::Node& map, std::string_view key, const std::string& file, bool required = true);

/// Reads every parameter under `node` into `set`; `prefix` is the dotted path of `node`.
void load_params(const YAML::Node& node, const std::string& file, ParamSet& set, const std::string& prefix = "");

}  // namespace ddpsim
