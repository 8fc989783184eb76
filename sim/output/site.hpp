#pragma once
// The site a run is billed to: data-centre overhead (PUE), the grid's carbon intensity (a constant
// or a time series from a CSV file) and prices. Site parameters are user inputs, not model
// parameters: the defaults (PUE 1, intensity and prices 0 = "not given") leave facility energy
// equal to the metered energy and report 0 emissions and 0 cost; the run JSON's `site` object
// says which inputs were given. Set them with `--set site.pue=1.2` (run) or `set:` (sweeps).
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "sim/core/params.hpp"

namespace ddpsim {

// X(id, name, dim, default, min, max, help, source) -- numeric site parameters.
#define DDPSIM_SITE_PARAMS(X)                                                                                          \
  X(kSitePue, "site.pue", Dimensionless, 1.0, 1.0, 10.0,                                                               \
    "power usage effectiveness: facility energy / IT energy (cooling, power distribution)",                           \
    "user input; 1 = no facility overhead (not given)")                                                              \
  X(kSiteCarbonIntensity, "site.carbon_intensity", CarbonIntensity, 0.0, 0.0, 1e4,                                     \
    "grid carbon intensity, constant over the run ('400 g/kWh'), or '@file.csv' for a time series",                   \
    "user input; 0 = not given (emissions reported as 0)")                                                           \
  X(kSiteEnergyPrice, "site.energy_price", Dimensionless, 0.0, 0.0, 1e6,                                               \
    "electricity price per kWh of facility energy, in site.currency",                                                 \
    "user input; 0 = not given")                                                                                      \
  X(kSiteGpuHourPrice, "site.gpu_hour_price", Dimensionless, 0.0, 0.0, 1e6,                                            \
    "price per GPU hour (allocation or cloud rate), in site.currency", "user input; 0 = not given")

enum SiteParam : std::size_t {
#define DDPSIM_ENUM(id, ...) id,
  DDPSIM_SITE_PARAMS(DDPSIM_ENUM)
#undef DDPSIM_ENUM
  kSiteParamCount
};

const ParamTable& site_param_table();

/// Site parameters whose values are text, not quantities.
struct SiteTextParam {
  std::string_view name, default_value, help;
};
/// site.currency, site.carbon_intensity_file, site.start_time.
const std::vector<SiteTextParam>& site_text_params();

/// One row of a carbon intensity time series: from `t_s` (Unix seconds, UTC) until the next row.
struct IntensityPoint {
  double t_s = 0;
  double g_per_kwh = 0;
};

struct SiteSpec {
  ParamSet params{site_param_table()};
  std::string currency = "EUR";
  std::string intensity_file;  // "" = constant site.carbon_intensity
  std::string start_time;      // ISO 8601 UTC as given ("" = not given)
  double start_time_s = 0;     // Unix seconds
  std::vector<IntensityPoint> series;
  double p(std::size_t i) const { return params[i]; }
  bool has_series() const { return !series.empty(); }
  /// Mean carbon intensity (g/kWh) over [start, start + duration_s]; the constant without a series.
  double mean_intensity_g_per_kwh(double duration_s) const;
  /// What the intensity is: "not given", "constant" or "time series <file>".
  std::string intensity_source() const;
};

/// True if `name` is a site parameter (numeric or text).
bool is_site_param(std::string_view name);
/// Checks one --set/sweep value for a site parameter without reading files; InputError otherwise.
void check_site_value(std::string_view name, std::string_view text);
/// Applies the `site.*` overrides (others are ignored), then loads the time series if one is
/// named. InputError (ConfigError with file:line for the CSV) on bad values.
SiteSpec resolve_site(const std::vector<std::pair<std::string, std::string>>& overrides);

/// Parses ISO 8601 UTC "YYYY-MM-DDTHH:MM[:SS[.fff]][Z|+00:00]" (a space may replace T) into Unix
/// seconds; InputError otherwise.
double parse_iso8601_utc(std::string_view text);
/// Formats Unix seconds as "YYYY-MM-DDTHH:MM:SSZ".
std::string format_iso8601_utc(double unix_s);
/// Reads a `timestamp,carbon_intensity_g_per_kwh` CSV (header line, ISO 8601 UTC timestamps in
/// strictly increasing order, values >= 0). ConfigError with file:line on bad content.
std::vector<IntensityPoint> load_intensity_csv(const std::string& path);
/// Integral of intensity(t) over [t0, t0 + duration] divided by the duration (g/kWh); the
/// intensity is piecewise constant from each row to the next, the last row holds to the end.
/// InputError if t0 is before the first row.
double mean_intensity(const std::vector<IntensityPoint>& series, double t0_s, double duration_s);

/// Facility-level results of a run at a site (energy in kWh of the metered components).
struct SiteOutcome {
  double facility_energy_kwh = 0;
  double emissions_kg_co2e = 0;
  double energy_cost = 0, gpu_hour_cost = 0, cost = 0;
};
SiteOutcome site_outcome(const SiteSpec& site, double it_energy_kwh, double runtime_s, double gpu_hours);

}  // namespace ddpsim
