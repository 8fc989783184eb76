// Reader of perun's text report: per-host tables (markdown pipes, or the older +---+ grid with
// ==== under the header) under "RUN ID:" sections, values with SI prefixes.
#include <charconv>
#include <cmath>

#include "calibration/readers.hpp"
#include "calibration/text_input.hpp"
#include "sim/core/errors.hpp"
#include "sim/core/units.hpp"

namespace ddpsim {

namespace {

bool ends_with(std::string_view s, std::string_view suffix) { return s.size() >= suffix.size() && s.ends_with(suffix); }

// The dimension a unit symbol (with or without prefix) measures.
Dim dim_of_unit(std::string_view unit) {
  if (unit == "%") return Dim::Ratio;
  if (ends_with(unit, "B/s") || ends_with(unit, "bit/s")) return Dim::Bandwidth;
  if (ends_with(unit, "Wh") || ends_with(unit, "J")) return Dim::Energy;
  if (ends_with(unit, "W")) return Dim::Power;
  if (ends_with(unit, "Hz")) return Dim::Frequency;
  if (ends_with(unit, "B")) return Dim::Data;
  if (ends_with(unit, "s") || unit == "min" || unit == "h" || unit == "d") return Dim::Time;
  throw InputError("unknown unit '" + std::string(unit) + "'");
}

// A cell a report leaves without a value.
bool is_empty_cell(std::string_view cell) {
  std::string l = text::lower(cell);
  return l.empty() || l == "-" || l == "n/a" || l == "nan" || l == "none";
}

// Cells of a table row "| a | b |" (the outer pipes are optional).
std::vector<std::string> cells(std::string_view row) {
  row = text::trim(row);
  if (row.starts_with('|')) row.remove_prefix(1);
  if (row.ends_with('|')) row.remove_suffix(1);
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    std::size_t bar = row.find('|', start);
    out.emplace_back(text::trim(row.substr(start, bar == std::string_view::npos ? std::string_view::npos : bar - start)));
    if (bar == std::string_view::npos) break;
    start = bar + 1;
  }
  return out;
}

// "|-----:|:----|" (markdown) or "+----+====+" (grid).
bool is_rule(std::string_view line) {
  if (line.starts_with('+')) return true;
  if (!line.starts_with('|')) return false;
  for (char c : line) {
    if (c != '|' && c != '-' && c != ':' && c != ' ' && c != '=') return false;
  }
  return true;
}

std::string after_colon(const std::string& line) { return std::string(text::trim(line.substr(line.find(':') + 1))); }

}  // namespace

double parse_report_value(std::string_view text) {
  std::string_view s = text::trim(text);
  double number = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), number);
  if (s.empty() || ec != std::errc() || !std::isfinite(number)) throw InputError("'" + std::string(s) + "' is not a number");
  std::string_view unit = text::trim(std::string_view(ptr, static_cast<std::size_t>(s.data() + s.size() - ptr)));
  if (unit.empty()) return number;
  Dim dim = dim_of_unit(unit);
  try {
    return parse_quantity(s, dim);
  } catch (const InputError&) {
    // Prefixes parse_quantity leaves out: milli and micro of any unit, kilo of seconds.
    struct Prefix {
      std::string_view symbol;
      double factor;
    };
    static constexpr Prefix kPrefixes[] = {{"m", 1e-3}, {"u", 1e-6}, {"\xC2\xB5", 1e-6}, {"k", 1e3}};
    for (const auto& p : kPrefixes) {
      if (unit.size() > p.symbol.size() && unit.starts_with(p.symbol) && unit != "min") {
        std::string base = "1 " + std::string(unit.substr(p.symbol.size()));
        try {
          return number * p.factor * parse_quantity(base, dim);
        } catch (const InputError&) {
        }
      }
    }
    throw;
  }
}

PerunReport read_perun_report(const std::string& path) {
  auto lines = text::read_lines(path);
  PerunReport report;
  report.file = path;
  std::string run_id;
  std::vector<std::string> header;  // of the table being read; empty outside tables
  int header_line = 0, round_col = -1, host_col = -1, previous = 0;
  for (const auto& line : lines) {
    const std::string& t = line.text;
    const bool gap = line.number != previous + 1;  // a blank line ends a table
    previous = line.number;
    if (gap || (t.front() != '|' && t.front() != '+')) header.clear();
    if (t.starts_with("RUN ID:")) {
      run_id = after_colon(t);
      continue;
    }
    if (t.starts_with("App name:")) {
      report.app_name = after_colon(t);
      continue;
    }
    if (t.front() != '|' || is_rule(t)) continue;
    auto row = cells(t);
    if (header.empty()) {
      header = row;
      header_line = line.number;
      round_col = host_col = -1;
      for (std::size_t i = 0; i < header.size(); ++i) {
        std::string h = text::lower(header[i]);
        if (h == "round #" || h == "round") round_col = static_cast<int>(i);
        if (h == "host") host_col = static_cast<int>(i);
      }
      continue;
    }
    if (host_col < 0) continue;  // a table of monitored functions, not of hosts
    if (row.size() != header.size()) {
      throw ConfigError(path, line.number,
                        "row has " + std::to_string(row.size()) + " cells, the header (line " + std::to_string(header_line) +
                            ") has " + std::to_string(header.size()));
    }
    PerunReportRow r;
    r.run_id = run_id;
    r.host = row[static_cast<std::size_t>(host_col)];
    r.line = line.number;
    if (round_col >= 0) {
      r.round = static_cast<int>(text::to_integer(row[static_cast<std::size_t>(round_col)], path, line.number, header[static_cast<std::size_t>(round_col)]));
    }
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (static_cast<int>(i) == round_col || static_cast<int>(i) == host_col || is_empty_cell(row[i])) continue;
      try {
        r.values[header[i]] = parse_report_value(row[i]);
      } catch (const InputError& e) {
        throw ConfigError(path, line.number, "column '" + header[i] + "': " + e.what());
      }
    }
    report.rows.push_back(std::move(r));
  }
  if (report.rows.empty()) {
    throw ConfigError(path, lines.empty() ? 1 : lines.back().number,
                      "no per-host table (| Round # | Host | RUNTIME | ENERGY | ... |) found: is this a perun text report?");
  }
  return report;
}

}  // namespace ddpsim
