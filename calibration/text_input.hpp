#pragma once
// Internal helpers of the readers: text files as numbered lines, comma-separated fields,
// header columns found by name, numbers with file:line errors. Not part of the public API.
#include <string>
#include <string_view>
#include <vector>

#include "sim/core/text.hpp"

namespace ddpsim::text {

struct Line {
  int number;  // 1-based
  std::string text;  // without the line end (LF or CRLF) and surrounding blanks
};

/// Non-blank lines of a file (InputError if it cannot be read); a UTF-8 BOM is dropped.
std::vector<Line> read_lines(const std::string& path);
using ddpsim::trim;  // sim/core/text.hpp
std::string lower(std::string_view s);
/// Splits at `sep`, trimming each field; a field in double quotes may hold `sep` ("" = ").
std::vector<std::string> split(std::string_view line, char sep = ',');

double to_double(std::string_view text, const std::string& file, int line, std::string_view what);
long long to_integer(std::string_view text, const std::string& file, int line, std::string_view what);
/// An integer that must be > 0 and fit in an int.
int to_positive_int(std::string_view text, const std::string& file, int line, std::string_view what);

/// A header row: column names (matched case-insensitively) to positions.
class Columns {
 public:
  Columns(std::string file, int line, std::vector<std::string> names);
  /// Position of `name`, or -1.
  int find(std::string_view name) const;
  /// Position of `name`; ConfigError at the header line (with a suggestion) if absent.
  int require(std::string_view name) const;
  std::size_t size() const { return names_.size(); }
  const std::vector<std::string>& names() const { return names_; }
  const std::string& name(int pos) const { return names_[static_cast<std::size_t>(pos)]; }
  /// The fields of a data row; ConfigError if the row's field count differs from the header's.
  std::vector<std::string> row(const Line& line) const;

 private:
  std::string file_;
  int line_;
  std::vector<std::string> names_;
};

/// A CSV file whose first non-blank, non-comment line is the header.
struct Table {
  std::string file;
  Columns columns;
  std::vector<Line> rows;
  std::vector<std::string> comments;  // '#' lines, without the '#'
};
/// Reads a headed CSV file; ConfigError if it holds no header.
Table read_table(const std::string& path);

}  // namespace ddpsim::text
