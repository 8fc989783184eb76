// Reader of nvidia-smi --query-gpu CSV logs (with or without header and units).
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <set>

#include "calibration/readers.hpp"
#include "calibration/text_input.hpp"
#include "sim/core/errors.hpp"

namespace ddpsim {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// Column order of a log without a header row: the documented query.
constexpr std::string_view kDefaultColumns[] = {"timestamp", "index", "power.draw", "utilization.gpu"};
// Names of the power reading, by preference (newer drivers split power.draw in two).
constexpr std::string_view kPowerColumns[] = {"power.draw", "power.draw.instant", "power.draw.average"};

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
long long days_from_civil(long long y, unsigned m, unsigned d) {
  y -= m <= 2;
  const long long era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<long long>(doe) - 719468;
}

unsigned days_in_month(long long y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

bool read_uint(std::string_view& s, std::size_t digits, unsigned& out) {
  if (s.size() < digits) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + digits, out);
  if (ec != std::errc() || ptr != s.data() + digits) return false;
  s.remove_prefix(digits);
  return true;
}

bool skip(std::string_view& s, std::string_view any_of) {
  if (s.empty() || any_of.find(s.front()) == std::string_view::npos) return false;
  s.remove_prefix(1);
  return true;
}

// "YYYY/MM/DD HH:MM:SS[.fff]" (also '-' between date parts, 'T' before the time) to seconds
// since 1970-01-01 of the same (local) clock. false if `text` is not such a timestamp.
bool parse_timestamp(std::string_view text, double& seconds) {
  std::string_view s = text::trim(text);
  unsigned y, mo, d, h, mi, sec;
  if (!read_uint(s, 4, y) || !skip(s, "/-") || !read_uint(s, 2, mo) || !skip(s, "/-") || !read_uint(s, 2, d) ||
      !skip(s, " T") || !read_uint(s, 2, h) || !skip(s, ":") || !read_uint(s, 2, mi) || !skip(s, ":") || !read_uint(s, 2, sec)) {
    return false;
  }
  double frac = 0;
  if (!s.empty() && s.front() == '.') {
    double scale = 0.1;
    s.remove_prefix(1);
    if (s.empty()) return false;
    while (!s.empty() && std::isdigit(static_cast<unsigned char>(s.front()))) {
      frac += (s.front() - '0') * scale;
      scale /= 10;
      s.remove_prefix(1);
    }
  }
  if (!s.empty() || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 60) return false;
  seconds = static_cast<double>(days_from_civil(y, mo, d)) * 86400.0 + h * 3600.0 + mi * 60.0 + sec + frac;
  return true;
}

bool is_missing(std::string_view v) {
  return v.empty() || (v.front() == '[' && v.back() == ']') || v == "N/A" || v == "Not Supported";
}

// A reading "245.31 W" / "245.31" (unit `unit`, or none). false if it is not a number.
bool parse_reading(std::string_view v, std::string_view unit, double& out) {
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || !std::isfinite(out)) return false;
  std::string_view rest = text::trim(std::string_view(ptr, static_cast<std::size_t>(v.data() + v.size() - ptr)));
  return rest.empty() || unit.empty() || rest == unit;
}

// "power.draw [W]" -> "power.draw"
std::string column_name(std::string_view header_field) {
  auto bracket = header_field.find(" [");
  return text::lower(text::trim(header_field.substr(0, bracket)));
}

struct Layout {
  int timestamp = -1, index = -1, power = -1, util = -1;
  std::size_t fields = 0;
};

Layout layout_of(const std::vector<std::string>& names, const std::string& file, int line) {
  Layout l;
  l.fields = names.size();
  auto pos = [&](std::string_view n) {
    auto it = std::find(names.begin(), names.end(), n);
    return it == names.end() ? -1 : static_cast<int>(it - names.begin());
  };
  l.timestamp = pos("timestamp");
  l.index = pos("index");
  for (auto p : kPowerColumns) {
    if (l.power < 0) l.power = pos(p);
  }
  l.util = pos("utilization.gpu");
  std::string have;
  for (const auto& n : names) have += (have.empty() ? "" : ", ") + n;
  auto missing = [&](const std::string& what) {
    std::vector<std::string> known(std::begin(kDefaultColumns), std::end(kDefaultColumns));
    throw ConfigError(file, line,
                      "the header has no '" + what + "' column" + did_you_mean(what, names) + " (it has: " + have +
                          "); log with --query-gpu=timestamp,index,power.draw,utilization.gpu");
  };
  if (l.timestamp < 0) missing("timestamp");
  if (l.index < 0) missing("index");
  if (l.power < 0) missing("power.draw");
  return l;
}

}  // namespace

std::vector<int> GpuPowerLog::gpus() const {
  std::set<int> s;
  for (const auto& x : samples) s.insert(x.gpu);
  return {s.begin(), s.end()};
}

GpuPowerLog read_nvidia_smi_csv(const std::string& path) {
  auto lines = text::read_lines(path);
  GpuPowerLog log;
  log.file = path;
  Layout layout;
  bool have_layout = false;
  double t0 = 0;
  for (const auto& line : lines) {
    if (line.text.front() == '#') {
      log.notes.emplace_back(text::trim(line.text.substr(1)));
      continue;
    }
    auto f = text::split(line.text);
    double t_abs = 0;
    if (!have_layout) {
      have_layout = true;
      if (f[0].empty() || !std::isdigit(static_cast<unsigned char>(f[0].front()))) {  // a header row
        for (const auto& name : f) log.columns.push_back(column_name(name));
        layout = layout_of(log.columns, path, line.number);
        log.header = true;
        continue;
      }
      if (f.size() < 3) {
        throw ConfigError(path, line.number,
                          "expected at least 3 fields (timestamp, index, power.draw), found " + std::to_string(f.size()));
      }
      layout = {0, 1, 2, f.size() > 3 ? 3 : -1, f.size()};
      for (std::size_t i = 0; i < f.size(); ++i) {
        log.columns.push_back(i < std::size(kDefaultColumns) ? std::string(kDefaultColumns[i]) : "field" + std::to_string(i + 1));
      }
    }
    if (f.size() != layout.fields) {
      throw ConfigError(path, line.number,
                        "row has " + std::to_string(f.size()) + " fields, expected " + std::to_string(layout.fields) + " (" +
                            (log.header ? "as the header" : "as the first row") + ")");
    }
    auto field = [&](int pos) -> const std::string& { return f[static_cast<std::size_t>(pos)]; };
    if (!parse_timestamp(field(layout.timestamp), t_abs)) {
      throw ConfigError(path, line.number, "'" + field(layout.timestamp) + "' is not a timestamp YYYY/MM/DD HH:MM:SS.mmm");
    }
    GpuSample s;
    s.line = line.number;
    if (log.samples.empty()) {
      t0 = t_abs;
      log.first_timestamp = field(layout.timestamp);
    }
    s.time_s = t_abs - t0;
    long long index = text::to_integer(field(layout.index), path, line.number, "index");
    if (index < 0 || index > 1 << 20) throw ConfigError(path, line.number, "GPU index " + std::to_string(index) + " is out of range");
    s.gpu = static_cast<int>(index);
    s.power_w = kNaN;
    s.utilization_pct = kNaN;
    for (std::size_t i = 0; i < f.size(); ++i) {
      const int pos = static_cast<int>(i);
      if (pos == layout.timestamp || pos == layout.index) continue;
      std::string_view v = f[i];
      bool main_field = pos == layout.power || pos == layout.util;
      if (is_missing(v)) {
        if (main_field) ++log.missing_values;
        continue;
      }
      double value = 0;
      if (pos == layout.power || pos == layout.util) {
        const char* unit = pos == layout.power ? "W" : "%";
        if (!parse_reading(v, unit, value) || value < 0) {
          throw ConfigError(path, line.number, log.columns[i] + ": '" + std::string(v) + "' is not a reading in " + unit);
        }
        (pos == layout.power ? s.power_w : s.utilization_pct) = value;
      } else if (parse_reading(v, "", value)) {
        s.extra[log.columns[i]] = value;  // non-numeric extras (names, pstates) are left out
      }
    }
    log.samples.push_back(std::move(s));
  }
  return log;
}

std::vector<GpuPowerSummary> summarize(const GpuPowerLog& log) {
  std::vector<GpuPowerSummary> out;
  for (int gpu : log.gpus()) {
    std::vector<const GpuSample*> power, all;
    for (const auto& s : log.samples) {
      if (s.gpu != gpu) continue;
      all.push_back(&s);
      if (!std::isnan(s.power_w)) power.push_back(&s);
    }
    std::stable_sort(power.begin(), power.end(), [](const GpuSample* a, const GpuSample* b) { return a->time_s < b->time_s; });
    GpuPowerSummary sum;
    sum.gpu = gpu;
    sum.samples = power.size();
    sum.mean_power_w = kNaN;
    if (!power.empty()) {
      double total_w = 0;
      for (std::size_t i = 0; i < power.size(); ++i) {
        total_w += power[i]->power_w;
        if (i > 0) sum.energy_j += 0.5 * (power[i]->power_w + power[i - 1]->power_w) * (power[i]->time_s - power[i - 1]->time_s);
      }
      sum.mean_power_w = total_w / static_cast<double>(power.size());
      sum.duration_s = power.back()->time_s - power.front()->time_s;
    }
    double util = 0;
    std::size_t n_util = 0;
    for (const auto* s : all) {
      if (!std::isnan(s->utilization_pct)) {
        util += s->utilization_pct;
        ++n_util;
      }
    }
    sum.mean_utilization_pct = n_util ? util / static_cast<double>(n_util) : kNaN;
    out.push_back(sum);
  }
  return out;
}

}  // namespace ddpsim
