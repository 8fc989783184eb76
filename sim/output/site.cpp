#include "sim/output/site.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <fmt/format.h>
#include <fstream>

#include "sim/core/errors.hpp"
#include "sim/core/limits.hpp"
#include "sim/core/text.hpp"

namespace ddpsim {

namespace {
constexpr ParamSpec kSiteSpecs[] = {
#define DDPSIM_SPEC(id, name, dim, def, lo, hi, help, src) {name, Dim::dim, def, lo, hi, help, src},
    DDPSIM_SITE_PARAMS(DDPSIM_SPEC)
#undef DDPSIM_SPEC
};

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
long long days_from_civil(long long y, unsigned m, unsigned d) {
  y -= m <= 2;
  const long long era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<long long>(doe) - 719468;
}

bool read_int(std::string_view& s, std::size_t digits, int& out) {
  if (s.size() < digits) return false;
  for (std::size_t i = 0; i < digits; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  auto r = std::from_chars(s.data(), s.data() + digits, out);
  if (r.ec != std::errc()) return false;
  s.remove_prefix(digits);
  return true;
}

bool eat(std::string_view& s, char c) {
  if (s.empty() || s.front() != c) return false;
  s.remove_prefix(1);
  return true;
}

constexpr const char* kCsvHeader = "timestamp,carbon_intensity_g_per_kwh";

}  // namespace

const ParamTable& site_param_table() {
  static const ParamTable table("site", kSiteSpecs);
  return table;
}

const std::vector<SiteTextParam>& site_text_params() {
  static const std::vector<SiteTextParam> p = {
      {"site.currency", "EUR", "currency of site.energy_price, site.gpu_hour_price and the reported cost (a label, e.g. EUR, USD)"},
      {"site.carbon_intensity_file", "",
       "CSV time series 'timestamp,carbon_intensity_g_per_kwh' (ISO 8601 UTC); same as site.carbon_intensity=@file"},
      {"site.start_time", "", "start of the run, ISO 8601 UTC (e.g. 2024-01-15T08:00:00Z); required with a time series"},
  };
  return p;
}

double parse_iso8601_utc(std::string_view text) {
  std::string_view s = trim(text);
  std::string_view all = s;
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  double frac = 0;
  auto bad = [&]() {
    return InputError(quote_user(all) + " is not an ISO 8601 UTC time such as 2024-01-15T08:00:00Z");
  };
  if (!read_int(s, 4, y) || !eat(s, '-') || !read_int(s, 2, mo) || !eat(s, '-') || !read_int(s, 2, d)) throw bad();
  if (!(eat(s, 'T') || eat(s, 't') || eat(s, ' '))) throw bad();
  if (!read_int(s, 2, h) || !eat(s, ':') || !read_int(s, 2, mi)) throw bad();
  if (eat(s, ':')) {
    if (!read_int(s, 2, sec)) throw bad();
    if (eat(s, '.')) {
      double scale = 0.1;
      if (s.empty() || !std::isdigit(static_cast<unsigned char>(s.front()))) throw bad();
      while (!s.empty() && std::isdigit(static_cast<unsigned char>(s.front()))) {
        frac += scale * (s.front() - '0');
        scale *= 0.1;
        s.remove_prefix(1);
      }
    }
  }
  if (!(s.empty() || s == "Z" || s == "z" || s == "+00:00" || s == "+0000")) {
    throw InputError(quote_user(all) + ": only UTC times are accepted (end with Z or +00:00)");
  }
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (mo < 1 || mo > 12 || d < 1 || d > kDays[mo - 1] || (mo == 2 && d == 29 && !leap) || h > 23 || mi > 59 || sec > 60) {
    throw InputError(quote_user(all) + " is not a valid date and time");
  }
  long long days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  return static_cast<double>(days * 86400 + h * 3600 + mi * 60 + sec) + frac;
}

std::string format_iso8601_utc(double unix_s) {
  auto t = static_cast<long long>(std::floor(unix_s));
  long long days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
  long long rem = t - days * 86400;
  // civil_from_days (H. Hinnant)
  long long z = days + 719468;
  const long long era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  long long y = static_cast<long long>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", y, m, d, rem / 3600, rem % 3600 / 60, rem % 60);
}

std::vector<IntensityPoint> load_intensity_csv(const std::string& path) {
  check_input_file(path, "carbon intensity time series");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path + ": cannot open the carbon intensity time series");
  std::vector<IntensityPoint> out;
  std::string line;
  int line_no = 0;
  bool header = false;
  while (std::getline(in, line)) {
    ++line_no;
    if (line_no > limit_of(Limit::kInputRows)) {
      throw ConfigError(path, line_no, "more than " + std::to_string(limit_of(Limit::kInputRows)) + " lines (limit.input_rows)");
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::string_view l = trim(line);
    if (l.empty() || l.front() == '#') continue;
    if (!header) {
      std::string h;
      for (char c : l) {
        if (!std::isspace(static_cast<unsigned char>(c))) h += c;
      }
      if (h != kCsvHeader) {
        throw ConfigError(path, line_no, "expected the header " + quote_user(kCsvHeader) + ", found " + quote_user(l));
      }
      header = true;
      continue;
    }
    auto comma = l.find(',');
    if (comma == std::string_view::npos || l.find(',', comma + 1) != std::string_view::npos) {
      throw ConfigError(path, line_no, "expected two fields 'timestamp,carbon_intensity_g_per_kwh', found " + quote_user(l));
    }
    IntensityPoint p;
    try {
      p.t_s = parse_iso8601_utc(l.substr(0, comma));
    } catch (const InputError& e) {
      throw ConfigError(path, line_no, e.what());
    }
    std::string_view v = trim(l.substr(comma + 1));
    auto r = std::from_chars(v.data(), v.data() + v.size(), p.g_per_kwh);
    if (v.empty() || r.ec != std::errc() || r.ptr != v.data() + v.size() || !std::isfinite(p.g_per_kwh)) {
      throw ConfigError(path, line_no, quote_user(v) + " is not a carbon intensity in g/kWh (a plain number)");
    }
    if (p.g_per_kwh < 0 || p.g_per_kwh > 1e4) {
      throw ConfigError(path, line_no, "carbon intensity " + std::string(v) + " g/kWh is outside [0, 10000]");
    }
    if (!out.empty() && p.t_s <= out.back().t_s) {
      throw ConfigError(path, line_no, "timestamps must be strictly increasing (" + std::string(trim(l.substr(0, comma))) +
                                           " is not after " + format_iso8601_utc(out.back().t_s) + ")");
    }
    out.push_back(p);
  }
  if (!header) throw ConfigError(path, line_no, "empty file: expected the header " + quote_user(kCsvHeader) + " and rows");
  if (out.empty()) throw ConfigError(path, line_no, "no rows after the header");
  return out;
}

double mean_intensity(const std::vector<IntensityPoint>& series, double t0, double duration_s) {
  if (series.empty()) return 0.0;
  if (t0 < series.front().t_s) {
    throw InputError("site.start_time " + format_iso8601_utc(t0) + " is before the first row of the carbon intensity series (" +
                     format_iso8601_utc(series.front().t_s) + ")");
  }
  // Row in force at t: the last one with t_s <= t.
  auto row_at = [&](double t) {
    auto it = std::upper_bound(series.begin(), series.end(), t, [](double x, const IntensityPoint& p) { return x < p.t_s; });
    return static_cast<std::size_t>(it - series.begin()) - 1;
  };
  std::size_t k = row_at(t0);
  if (!(duration_s > 0)) return series[k].g_per_kwh;
  double t1 = t0 + duration_s;
  double integral = 0, t = t0;
  for (; k < series.size() && t < t1; ++k) {
    double end = k + 1 < series.size() ? std::min(series[k + 1].t_s, t1) : t1;
    integral += series[k].g_per_kwh * (end - t);
    t = end;
  }
  return integral / duration_s;
}

double SiteSpec::mean_intensity_g_per_kwh(double duration_s) const {
  if (!has_series()) return p(kSiteCarbonIntensity);
  return mean_intensity(series, start_time_s, duration_s);
}

std::string SiteSpec::intensity_source() const {
  if (has_series()) return "time series " + intensity_file;
  return p(kSiteCarbonIntensity) > 0 ? "constant" : "not given";
}

bool is_site_param(std::string_view name) {
  if (site_param_table().find(name) >= 0) return true;
  for (const auto& t : site_text_params()) {
    if (t.name == name) return true;
  }
  return false;
}

void check_site_value(std::string_view name, std::string_view text) {
  if (name == "site.start_time") {
    try {
      parse_iso8601_utc(text);
    } catch (const InputError& e) {
      throw InputError(std::string(name) + ": " + e.what());
    }
    return;
  }
  if (name == "site.currency") {
    std::string_view t = trim(text);
    if (t.empty() || t.size() > 16 || std::any_of(t.begin(), t.end(), [](char c) { return c == ',' || c == '"' || std::iscntrl(static_cast<unsigned char>(c)); })) {
      throw InputError("site.currency: " + quote_user(text) + " is not a currency label such as EUR or USD");
    }
    return;
  }
  if (name == "site.carbon_intensity_file") {
    if (trim(text).empty()) throw InputError("site.carbon_intensity_file: give the path of a CSV file");
    return;
  }
  if (name == "site.carbon_intensity" && !text.empty() && trim(text).front() == '@') {
    if (trim(text).size() < 2) throw InputError("site.carbon_intensity: '@' must be followed by the path of a CSV file");
    return;
  }
  int i = site_param_table().find(name);
  if (i < 0) {
    throw InputError("unknown site parameter " + quote_user(name));
  }
  ParamSet tmp(site_param_table());
  tmp.set_text(name, text, "check");
}

SiteSpec resolve_site(const std::vector<std::pair<std::string, std::string>>& overrides) {
  SiteSpec s;
  for (const auto& [name, value] : overrides) {
    if (!is_site_param(name)) continue;
    check_site_value(name, value);
    std::string v(trim(value));
    if (name == "site.currency") {
      s.currency = v;
    } else if (name == "site.start_time") {
      s.start_time = v;
      s.start_time_s = parse_iso8601_utc(v);
    } else if (name == "site.carbon_intensity_file") {
      s.intensity_file = v;
    } else if (name == "site.carbon_intensity" && v.front() == '@') {
      s.intensity_file = std::string(trim(std::string_view(v).substr(1)));
    } else {
      s.params.set_text(name, value, "--set");
    }
  }
  if (!s.intensity_file.empty()) {
    if (s.params.is_set(kSiteCarbonIntensity)) {
      throw InputError("give site.carbon_intensity as a constant or a time series file, not both");
    }
    if (s.start_time.empty()) {
      throw InputError("site.start_time (ISO 8601 UTC) is required with the carbon intensity time series " + s.intensity_file);
    }
    s.series = load_intensity_csv(s.intensity_file);
    mean_intensity(s.series, s.start_time_s, 0);  // start before the first row: InputError now
  }
  return s;
}

SiteOutcome site_outcome(const SiteSpec& site, double it_energy_kwh, double runtime_s, double gpu_hours) {
  SiteOutcome o;
  o.facility_energy_kwh = it_energy_kwh * site.p(kSitePue);
  // Emissions = integral of facility power x intensity(t); with the run's mean facility power
  // (energy / runtime) that is facility energy x the time-weighted mean intensity.
  o.emissions_kg_co2e = o.facility_energy_kwh * site.mean_intensity_g_per_kwh(runtime_s) / 1000.0;
  o.energy_cost = o.facility_energy_kwh * site.p(kSiteEnergyPrice);
  o.gpu_hour_cost = gpu_hours * site.p(kSiteGpuHourPrice);
  o.cost = o.energy_cost + o.gpu_hour_cost;
  return o;
}

}  // namespace ddpsim
