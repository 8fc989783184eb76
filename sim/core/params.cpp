#include "sim/core/params.hpp"

#include <cstdio>

#include "sim/core/errors.hpp"
#include "sim/core/limits.hpp"

namespace ddpsim {

int ParamTable::find(std::string_view name) const {
  for (std::size_t i = 0; i < specs_.size(); ++i) {
    if (specs_[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

bool ParamTable::has_group(std::string_view prefix) const {
  for (const auto& s : specs_) {
    if (s.name.size() > prefix.size() && s.name.substr(0, prefix.size()) == prefix && s.name[prefix.size()] == '.') {
      return true;
    }
  }
  return false;
}

std::vector<std::string> ParamTable::names() const {
  std::vector<std::string> out;
  out.reserve(specs_.size());
  for (const auto& s : specs_) out.emplace_back(s.name);
  return out;
}

ParamSet::ParamSet(const ParamTable& table)
    : table_(&table),
      value_(table.size()),
      stderr_(table.size(), std::numeric_limits<double>::quiet_NaN()),
      notes_(std::make_shared<Notes>()),
      set_(table.size(), false) {
  notes_->origin.assign(table.size(), "default");
  notes_->citation.resize(table.size());
  for (std::size_t i = 0; i < table.size(); ++i) {
    value_[i] = table.spec(i).default_si;
    notes_->citation[i] = std::string(table.spec(i).source);
  }
}

ParamSet::Notes& ParamSet::own_notes() {
  if (notes_.use_count() > 1) notes_ = std::make_shared<Notes>(*notes_);
  return *notes_;
}

void ParamSet::set(std::size_t i, double value_si, std::string origin, std::string citation, double stderr_si) {
  check_param_range(table_->spec(i), value_si);
  value_[i] = value_si;
  Notes& notes = own_notes();
  notes.origin[i] = std::move(origin);
  if (!citation.empty()) notes.citation[i] = std::move(citation);
  stderr_[i] = stderr_si;
  set_[i] = true;
}

void ParamSet::set_text(std::string_view name, std::string_view text, const std::string& origin) {
  int i = table_->find(name);
  if (i < 0) {
    throw InputError("unknown " + std::string(table_->scope()) + " parameter " + quote_user(name) +
                     did_you_mean(std::string(name), table_->names()));
  }
  const auto& spec = table_->spec(static_cast<std::size_t>(i));
  double v;
  try {
    v = parse_param_value(spec, text);
  } catch (const InputError& e) {
    throw InputError(std::string(name) + ": " + e.what());
  }
  set(static_cast<std::size_t>(i), v, origin, origin);
}

std::string ParamSet::choice(std::size_t i) const {
  const auto& spec = table_->spec(i);
  return format_param_value(spec, value_[i]);
}

std::string ParamSet::format(std::size_t i) const { return format_param_value(table_->spec(i), value_[i]); }

namespace {
std::vector<std::string> split_choices(std::string_view c) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= c.size()) {
    std::size_t bar = c.find('|', start);
    if (bar == std::string_view::npos) bar = c.size();
    out.emplace_back(c.substr(start, bar - start));
    start = bar + 1;
  }
  return out;
}
}  // namespace

double parse_param_value(const ParamSpec& spec, std::string_view text) {
  if (spec.dim == Dim::Choice) {
    auto opts = split_choices(spec.choices);
    for (std::size_t k = 0; k < opts.size(); ++k) {
      if (opts[k] == text) return static_cast<double>(k);
    }
    throw InputError(quote_user(text) + " is not one of " + std::string(spec.choices) +
                     did_you_mean(std::string(text), opts));
  }
  if (spec.dim == Dim::Flag) {
    if (text == "true" || text == "yes" || text == "on" || text == "1") return 1.0;
    if (text == "false" || text == "no" || text == "off" || text == "0") return 0.0;
    throw InputError(quote_user(text) + " is not true or false");
  }
  double v = parse_quantity(text, spec.dim);
  check_param_range(spec, v);
  return v;
}

void check_param_range(const ParamSpec& spec, double v) {
  if (!std::isfinite(v) || v < spec.min_si || v > spec.max_si) {
    throw InputError(std::string(spec.name) + " = " + format_quantity(v, spec.dim) + " is outside its valid range [" +
                     format_quantity(spec.min_si, spec.dim) + ", " + format_quantity(spec.max_si, spec.dim) + "]");
  }
  if (spec.dim == Dim::Count && v != std::floor(v)) {
    throw InputError(std::string(spec.name) + " must be a whole number");
  }
}

std::string format_param_value(const ParamSpec& spec, double v) {
  if (spec.dim == Dim::Choice) {
    auto opts = split_choices(spec.choices);
    auto k = static_cast<std::size_t>(v);
    return k < opts.size() ? opts[k] : "?";
  }
  if (spec.dim == Dim::Flag) return v != 0.0 ? "true" : "false";
  return format_quantity(v, spec.dim);
}

}  // namespace ddpsim
