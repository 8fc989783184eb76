#pragma once
// Units are parsed once, at the edge ("400 W", "200 Gbit/s", "25 MB", "5 ms"), into SI doubles.
// Inside the model every name carries its unit (power_w, duration_s, bytes, bandwidth_bps = B/s).
#include <cstdint>
#include <string>
#include <optional>
#include <string_view>

namespace ddpsim {

/// Physical dimension of a declared parameter. SI base for each:
/// Time s, Power W, Energy J, Data B (bytes), Bandwidth B/s, Frequency Hz; CarbonIntensity is
/// kept in g/kWh (grams of CO2-equivalent per kWh of electricity; "0.4 kg/kWh" = 400 g/kWh).
enum class Dim { Dimensionless, Count, Ratio, Time, Power, Energy, Data, Bandwidth, Frequency, CarbonIntensity, Choice, Flag };

const char* dim_name(Dim d);
const char* dim_si_unit(Dim d);

/// Parses "<number> [unit]" into the SI value of dimension `dim`. Throws InputError with a
/// message that says what was expected (callers add file:line).
double parse_quantity(std::string_view text, Dim dim);

/// Parses a duration such as "1s", "250 ms", "24h".
double parse_duration_s(std::string_view text);
/// The whole of `text` as a finite double (no unit, no trailing characters), or nullopt.
std::optional<double> parse_plain_number(const std::string& text);

/// Human-readable rendering with a sensible prefix ("25 MB", "400 W", "1.5 ms").
std::string format_quantity(double value_si, Dim dim);

/// Integer nanosecond ticks of the engine.
using Tick = std::int64_t;
constexpr Tick kTicksPerSecond = 1'000'000'000;
/// Rounds a duration in seconds to the nearest tick (>= 0); halves round up, as std::llround
/// does for positive values (inline: it is on every event's path).
inline Tick seconds_to_ticks(double duration_s) {
  if (!(duration_s > 0.0)) return 0;
  double v = duration_s * 1e9;
  auto t = static_cast<Tick>(v);  // truncation; v - t is exact for v < 2^53
  if (v - static_cast<double>(t) >= 0.5) ++t;
  return t;
}
inline double ticks_to_seconds(Tick t) { return static_cast<double>(t) * 1e-9; }

}  // namespace ddpsim
