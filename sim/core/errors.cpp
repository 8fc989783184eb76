#include "sim/core/errors.hpp"

#include <algorithm>
#include <vector>

namespace ddpsim {

namespace {
std::string located(const std::string& file, int line, const std::string& msg) {
  std::string out;
  out.reserve(file.size() + msg.size() + 16);
  out.append(file);
  if (line > 0) {
    out.push_back(':');
    out.append(std::to_string(line));
  }
  out.append(": ");
  out.append(msg);
  return out;
}
}  // namespace

ConfigError::ConfigError(std::string file, int line, const std::string& msg)
    : InputError(located(file, line, msg)), file_(std::move(file)), line_(line) {}

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

}  // namespace ddpsim
