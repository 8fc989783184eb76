#pragma once
// A small exception hierarchy. Library code throws; only main() maps these to exit codes:
//   InputError (ConfigError, DatabaseCorrupt) -> exit 2 (bad user input: flags, YAML, SQL,
//                                                a damaged database)
//   Error (ModelError, IoError...) -> exit 1 (failures at run time)
#include <stdexcept>
#include <string>

namespace ddpsim {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Bad user input (a flag, a value, a name). Exit code 2.
class InputError : public Error {
 public:
  using Error::Error;
};

/// Bad configuration file content; the message starts with "file:line: ".
class ConfigError : public InputError {
 public:
  ConfigError(std::string file, int line, const std::string& msg);
  const std::string& file() const { return file_; }
  int line() const { return line_; }

 private:
  std::string file_;
  int line_;
};

/// A damaged database: SQLite found a corrupt page (SQLITE_CORRUPT, SQLITE_NOTADB), PRAGMA
/// quick_check failed, or a stored result does not match its checksum. The message names the
/// file (and the run). Exit code 2, like every other bad input file.
class DatabaseCorrupt : public InputError {
 public:
  using InputError::InputError;
};

/// Inconsistent model state discovered at run time. Exit code 1.
class ModelError : public Error {
 public:
  using Error::Error;
};

/// A file or database could not be read or written. Exit code 1.
class IoError : public Error {
 public:
  using Error::Error;
};

/// Levenshtein distance, used for "did you mean" hints.
std::size_t edit_distance(const std::string& a, const std::string& b);

/// Returns " (did you mean 'x'?)" for the closest candidate, or "" if nothing is close.
template <typename Range>
std::string did_you_mean(const std::string& word, const Range& candidates) {
  std::string best;
  std::size_t best_d = static_cast<std::size_t>(-1);
  for (const auto& c : candidates) {
    std::string s(c);
    std::size_t d = edit_distance(word, s);
    if (d < best_d) {
      best_d = d;
      best = s;
    }
  }
  if (best.empty()) return "";
  std::size_t limit = std::max<std::size_t>(2, word.size() / 3);
  bool prefix = !word.empty() && best.rfind(word, 0) == 0;
  if (best_d <= limit || prefix) return " (did you mean '" + best + "'?)";
  return "";
}

}  // namespace ddpsim
