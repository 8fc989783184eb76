#include "calibration/text_input.hpp"

#include <cctype>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>

#include "sim/core/errors.hpp"
#include "sim/core/limits.hpp"
#include "sim/core/text.hpp"

namespace ddpsim::text {

std::vector<Line> read_lines(const std::string& path) {
  check_input_file(path);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path + ": cannot be read");
  std::vector<Line> out;
  std::string raw;
  int number = 0;
  while (std::getline(in, raw)) {
    ++number;
    if (number > limit_of(Limit::kInputRows)) {
      throw ConfigError(path, number, "more than " + std::to_string(limit_of(Limit::kInputRows)) + " lines (limit.input_rows)");
    }
    std::string_view view(raw);
    if (number == 1 && view.starts_with("\xEF\xBB\xBF")) view.remove_prefix(3);
    view = trim(view);  // also drops the CR of a CRLF line end
    if (!view.empty()) out.push_back({number, std::string(view)});
  }
  return out;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::vector<std::string> split(std::string_view line, char sep) {
  std::vector<std::string> out;
  std::string field;
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        field.push_back('"');
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field.push_back(c);
      }
    } else if (c == '"' && trim(field).empty()) {
      field.clear();
      quoted = true;
    } else if (c == sep) {
      out.emplace_back(trim(field));
      field.clear();
    } else {
      field.push_back(c);
    }
  }
  out.emplace_back(trim(field));
  return out;
}

namespace {
std::string quoted(std::string_view what) { return quote_user(what); }
}  // namespace

double to_double(std::string_view text, const std::string& file, int line, std::string_view what) {
  std::string_view s = trim(text);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  double value = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (s.empty() || ec != std::errc() || ptr != s.data() + s.size() || !std::isfinite(value)) {
    throw ConfigError(file, line, quoted(what) + ": " + quote_user(text) + " is not a number");
  }
  return value;
}

long long to_integer(std::string_view text, const std::string& file, int line, std::string_view what) {
  std::string_view s = trim(text);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  long long value = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (s.empty() || ec != std::errc() || ptr != s.data() + s.size()) {
    throw ConfigError(file, line, quoted(what) + ": " + quote_user(text) + " is not a whole number");
  }
  return value;
}

int to_positive_int(std::string_view text, const std::string& file, int line, std::string_view what) {
  long long v = to_integer(text, file, line, what);
  if (v <= 0 || v > std::numeric_limits<int>::max()) {
    throw ConfigError(file, line, quoted(what) + ": " + std::to_string(v) + " must be a positive whole number");
  }
  return static_cast<int>(v);
}

Columns::Columns(std::string file, int line, std::vector<std::string> names)
    : file_(std::move(file)), line_(line), names_(std::move(names)) {
  for (std::size_t i = 0; i < names_.size(); ++i) {
    if (names_[i].empty()) continue;
    for (std::size_t j = 0; j < i; ++j) {
      if (lower(names_[j]) == lower(names_[i])) {
        throw ConfigError(file_, line_, "column '" + names_[i] + "' appears twice in the header");
      }
    }
  }
}

int Columns::find(std::string_view name) const {
  std::string want = lower(name);
  for (std::size_t i = 0; i < names_.size(); ++i) {
    if (lower(names_[i]) == want) return static_cast<int>(i);
  }
  return -1;
}

int Columns::require(std::string_view name) const {
  int pos = find(name);
  if (pos < 0) {
    std::string have;
    for (const auto& n : names_) have += (have.empty() ? "" : ", ") + n;
    throw ConfigError(file_, line_,
                      "missing column " + quote_user(name) + did_you_mean(std::string(name), names_) +
                          "; the header has: " + have);
  }
  return pos;
}

std::vector<std::string> Columns::row(const Line& line) const {
  auto fields = split(line.text);
  if (fields.size() != names_.size()) {
    throw ConfigError(file_, line.number,
                      "row has " + std::to_string(fields.size()) + " fields, the header (line " + std::to_string(line_) +
                          ") has " + std::to_string(names_.size()));
  }
  return fields;
}

Table read_table(const std::string& path) {
  auto lines = read_lines(path);
  std::vector<std::string> comments;
  std::size_t i = 0;
  for (; i < lines.size() && lines[i].text.front() == '#'; ++i) comments.emplace_back(trim(lines[i].text.substr(1)));
  if (i == lines.size()) {
    throw ConfigError(path, lines.empty() ? 1 : lines.back().number,
                      lines.empty() ? "the file is empty (expected a header row)" : "no header row");
  }
  Table table{path, Columns(path, lines[i].number, split(lines[i].text)), {}, std::move(comments)};
  for (++i; i < lines.size(); ++i) {
    if (lines[i].text.front() == '#') {
      table.comments.emplace_back(trim(lines[i].text.substr(1)));
    } else {
      table.rows.push_back(std::move(lines[i]));
    }
  }
  return table;
}

}  // namespace ddpsim::text
