#pragma once
// Declared parameters: every tunable number of the model is declared exactly once, in a table of
// ParamSpec (name, dimension, default, valid range, help, source). Files and flags only ever set
// values of declared parameters; an unknown name is an error with a "did you mean" hint.
#include <cmath>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sim/core/units.hpp"

namespace ddpsim {

struct ParamSpec {
  std::string_view name;     // dotted, e.g. "gpu.idle_power"
  Dim dim;                   // physical dimension; value stored in SI base units
  double default_si;         // default value (SI)
  double min_si;             // inclusive valid range (SI)
  double max_si;
  std::string_view help;     // one line
  std::string_view source;   // where the default comes from
  std::string_view choices = {};  // for Dim::Choice: "a|b|c"; value stored as index
};

/// A named table of declared parameters (a scope: hardware, workload, calibration...).
class ParamTable {
 public:
  ParamTable(std::string_view scope, std::span<const ParamSpec> specs) : scope_(scope), specs_(specs) {}
  std::string_view scope() const { return scope_; }
  std::span<const ParamSpec> specs() const { return specs_; }
  std::size_t size() const { return specs_.size(); }
  const ParamSpec& spec(std::size_t i) const { return specs_[i]; }
  /// Index of `name`, or -1.
  int find(std::string_view name) const;
  /// True if some parameter name starts with "prefix.".
  bool has_group(std::string_view prefix) const;
  std::vector<std::string> names() const;

 private:
  std::string_view scope_;
  std::span<const ParamSpec> specs_;
};

/// Values of one table's parameters, each with its provenance.
class ParamSet {
 public:
  explicit ParamSet(const ParamTable& table);
  const ParamTable& table() const { return *table_; }
  double operator[](std::size_t i) const { return value_[i]; }
  double get(std::size_t i) const { return value_[i]; }
  double stderr_of(std::size_t i) const { return stderr_[i]; }
  const std::string& origin(std::size_t i) const { return notes_->origin[i]; }
  const std::string& citation(std::size_t i) const { return notes_->citation[i]; }
  bool is_set(std::size_t i) const { return set_[i]; }

  /// Sets a value (SI) after checking the range. `origin` says where it came from.
  void set(std::size_t i, double value_si, std::string origin, std::string citation = {},
           double stderr_si = std::numeric_limits<double>::quiet_NaN());
  /// Parses "<value with unit>" for parameter `name` (e.g. from --set); throws InputError.
  void set_text(std::string_view name, std::string_view text, const std::string& origin);
  /// Choice value as text.
  std::string choice(std::size_t i) const;
  /// Human-readable value with its unit.
  std::string format(std::size_t i) const;

 private:
  const ParamTable* table_;
  std::vector<double> value_;
  std::vector<double> stderr_;
  // Origins and citations are shared between copies until one copy changes them: a scenario
  // copies a dozen sets per run, and calibration resolves a run thousands of times.
  struct Notes {
    std::vector<std::string> origin, citation;
  };
  std::shared_ptr<Notes> notes_;
  Notes& own_notes();
  std::vector<bool> set_;
};

/// Parses one value for `spec` from text (units, flags "true/false", choices). Throws InputError.
double parse_param_value(const ParamSpec& spec, std::string_view text);
/// Checks the range; throws InputError naming the parameter and its valid range.
void check_param_range(const ParamSpec& spec, double value_si);
std::string format_param_value(const ParamSpec& spec, double value_si);

}  // namespace ddpsim
