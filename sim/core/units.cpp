#include "sim/core/units.hpp"

#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <fmt/format.h>
#include <utility>

#include "sim/core/errors.hpp"
#include "sim/core/limits.hpp"
#include "sim/core/text.hpp"

namespace ddpsim {

const char* dim_name(Dim d) {
  switch (d) {
    case Dim::Dimensionless: return "number";
    case Dim::Count: return "count";
    case Dim::Ratio: return "ratio";
    case Dim::Time: return "time";
    case Dim::Power: return "power";
    case Dim::Energy: return "energy";
    case Dim::Data: return "data size";
    case Dim::Bandwidth: return "bandwidth";
    case Dim::Frequency: return "frequency";
    case Dim::CarbonIntensity: return "carbon intensity";
    case Dim::Choice: return "choice";
    case Dim::Flag: return "flag";
  }
  return "?";
}

const char* dim_si_unit(Dim d) {
  switch (d) {
    case Dim::Time: return "s";
    case Dim::Power: return "W";
    case Dim::Energy: return "J";
    case Dim::Data: return "B";
    case Dim::Bandwidth: return "B/s";
    case Dim::Frequency: return "Hz";
    case Dim::CarbonIntensity: return "g/kWh";
    default: return "";
  }
}

namespace {

struct UnitDef {
  std::string_view symbol;
  Dim dim;
  double factor;  // to SI base of dim
};

// Decimal prefixes are SI (k = 1e3); binary ones (Ki, Mi, Gi, Ti) are powers of 1024.
constexpr std::array<UnitDef, 18> kBaseUnits{{
    {"s", Dim::Time, 1.0},
    {"min", Dim::Time, 60.0},
    {"h", Dim::Time, 3600.0},
    {"d", Dim::Time, 86400.0},
    {"W", Dim::Power, 1.0},
    {"J", Dim::Energy, 1.0},
    {"Wh", Dim::Energy, 3600.0},
    {"B", Dim::Data, 1.0},
    {"bit", Dim::Data, 0.125},
    {"b", Dim::Data, 0.125},
    {"B/s", Dim::Bandwidth, 1.0},
    {"bit/s", Dim::Bandwidth, 0.125},
    {"bps", Dim::Bandwidth, 0.125},
    {"Hz", Dim::Frequency, 1.0},
    // Carbon intensity (CO2e per electricity); with prefixes: kg/kWh, kg/MWh, t/MWh.
    {"g/kWh", Dim::CarbonIntensity, 1.0},
    {"g/MWh", Dim::CarbonIntensity, 1e-3},
    {"g/Wh", Dim::CarbonIntensity, 1e3},
    {"t/MWh", Dim::CarbonIntensity, 1e3},
}};

bool lookup_unit(std::string_view u, Dim& dim, double& factor) {
  if (u == "%") {
    dim = Dim::Ratio;
    factor = 0.01;
    return true;
  }
  for (const auto& b : kBaseUnits) {
    if (u == b.symbol) {
      dim = b.dim;
      factor = b.factor;
      return true;
    }
  }
  // Time sub-units.
  if (u == "ms") { dim = Dim::Time; factor = 1e-3; return true; }
  if (u == "us" || u == "\xC2\xB5s") { dim = Dim::Time; factor = 1e-6; return true; }
  if (u == "ns") { dim = Dim::Time; factor = 1e-9; return true; }
  static constexpr std::array<std::pair<std::string_view, double>, 10> kPrefixes{{
      {"Ki", 1024.0}, {"Mi", 1048576.0}, {"Gi", 1073741824.0}, {"Ti", 1099511627776.0},
      {"k", 1e3}, {"K", 1e3}, {"M", 1e6}, {"G", 1e9}, {"T", 1e12}, {"P", 1e15}}};
  for (const auto& [p, f] : kPrefixes) {
    if (u.size() > p.size() && u.substr(0, p.size()) == p) {
      std::string_view rest = u.substr(p.size());
      for (const auto& b : kBaseUnits) {
        if (rest == b.symbol && b.dim != Dim::Time) {
          dim = b.dim;
          factor = f * b.factor;
          return true;
        }
      }
    }
  }
  return false;
}

std::string example_for(Dim d) {
  switch (d) {
    case Dim::Time: return "'5 ms' or '2 h'";
    case Dim::Power: return "'400 W'";
    case Dim::Energy: return "'3.6 kJ' or '1 kWh'";
    case Dim::Data: return "'25 MB' or '40 GiB'";
    case Dim::Bandwidth: return "'200 Gbit/s' or '25 GB/s'";
    case Dim::Frequency: return "'2.4 GHz'";
    case Dim::CarbonIntensity: return "'400 g/kWh' or '0.4 kg/kWh'";
    case Dim::Ratio: return "'0.5' or '50 %'";
    default: return "a number";
  }
}

}  // namespace

double parse_quantity(std::string_view text, Dim dim) {
  std::string_view s = trim(text);
  if (s.empty()) throw InputError("empty value, expected a " + std::string(dim_name(dim)) + " such as " + example_for(dim));
  double number = 0.0;
  const char* begin = s.data();
  const char* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(begin, end, number);
  if (ec != std::errc() || !std::isfinite(number)) {
    throw InputError(quote_user(s) + " is not a " + std::string(dim_name(dim)) + "; expected e.g. " + example_for(dim));
  }
  std::string_view unit = trim(std::string_view(ptr, static_cast<std::size_t>(end - ptr)));
  if (unit.empty()) {
    if (dim == Dim::Dimensionless || dim == Dim::Count || dim == Dim::Ratio || dim == Dim::Flag) {
      if (dim == Dim::Count && number != std::floor(number)) {
        throw InputError(quote_user(s) + " is not a whole number");
      }
      return number;
    }
    throw InputError(quote_user(s) + " needs a unit: expected a " + dim_name(dim) + " such as " + example_for(dim));
  }
  Dim unit_dim;
  double factor;
  if (!lookup_unit(unit, unit_dim, factor)) {
    throw InputError("unknown unit " + quote_user(unit) + " in " + quote_user(s) + "; expected a " + dim_name(dim) + " such as " + example_for(dim));
  }
  if (unit_dim != dim) {
    throw InputError(quote_user(s) + " is a " + dim_name(unit_dim) + ", expected a " + dim_name(dim) + " such as " + example_for(dim));
  }
  return number * factor;
}

double parse_duration_s(std::string_view text) { return parse_quantity(text, Dim::Time); }

std::string format_quantity(double v, Dim dim) {
  auto with_prefix = [&](const char* unit) {
    static constexpr std::array<std::pair<double, const char*>, 5> kP{{{1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "k"}, {1.0, ""}}};
    for (const auto& [f, p] : kP) {
      if (std::fabs(v) >= f || f == 1.0) {
        return fmt::format("{:.6g} {}{}", v / f, p, unit);
      }
    }
    return std::string();
  };
  switch (dim) {
    case Dim::Time:
      if (v != 0.0 && std::fabs(v) < 1e-3) return fmt::format("{:.6g} us", v * 1e6);
      if (v != 0.0 && std::fabs(v) < 1.0) return fmt::format("{:.6g} ms", v * 1e3);
      return fmt::format("{:.6g} s", v);
    case Dim::Power: return with_prefix("W");
    case Dim::Energy: return with_prefix("J");
    case Dim::Data: return with_prefix("B");
    case Dim::Bandwidth: return with_prefix("B/s");
    case Dim::Frequency: return with_prefix("Hz");
    case Dim::CarbonIntensity:
      return fmt::format("{:.6g} g/kWh", v);
    default:
      return fmt::format("{:.6g}", v);
  }
}

std::optional<double> parse_plain_number(const std::string& text) {
  std::size_t pos = 0;
  double v = 0;
  try {
    v = std::stod(text, &pos);
  } catch (...) {
    return std::nullopt;
  }
  if (pos != text.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

}  // namespace ddpsim
