#include "sim/core/limits.hpp"

#include <algorithm>
#include <array>
#include <fmt/format.h>
#include <filesystem>

#include "sim/core/errors.hpp"

namespace ddpsim {

namespace {
constexpr std::array kLimits = {
#define DDPSIM_LIMIT_SPEC(id, name, value, help) LimitSpec{name, value, help},
    DDPSIM_LIMITS(DDPSIM_LIMIT_SPEC)
#undef DDPSIM_LIMIT_SPEC
};
}  // namespace

const LimitSpec& limit_spec(Limit l) { return kLimits[static_cast<std::size_t>(l)]; }
long long limit_of(Limit l) { return limit_spec(l).value; }
std::size_t limit_count() { return kLimits.size(); }
const LimitSpec& limit_spec_at(std::size_t i) { return kLimits.at(i); }

void check_limit(Limit l, long long value, const std::string& what) {
  const LimitSpec& s = limit_spec(l);
  if (value > s.value) {
    throw InputError(what + " is " + std::to_string(value) + ", above " + std::string(s.name) + " = " + std::to_string(s.value));
  }
}

void check_input_file(const std::string& path, const std::string& what) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) throw InputError(path + ": no such " + what);
  auto bytes = std::filesystem::file_size(path, ec);
  if (ec) throw InputError(path + ": cannot be read");
  check_limit(Limit::kInputFileBytes, static_cast<long long>(bytes), path + ": its size in bytes");
}

long long parse_bounded_positive(const std::string& flag, const std::string& text, Limit l) {
  const LimitSpec& s = limit_spec(l);
  bool digits = !text.empty() && text.size() <= 19;
  for (char c : text) digits = digits && c >= '0' && c <= '9';
  long long v = digits ? std::stoll(text) : 0;
  if (!digits || v <= 0 || v > s.value) {
    throw InputError(flag + " must be an integer in 1.." + std::to_string(s.value) + " (" + std::string(s.name) + "; got " +
                     quote_user(text) + ")");
  }
  return v;
}

std::string escape_controls(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      fmt::format_to(std::back_inserter(out), "\\x{:02x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string quote_user(std::string_view text) {
  auto max = static_cast<std::size_t>(limit_of(Limit::kQuotedChars));
  std::string q;
  q.push_back('\'');
  q.append(escape_controls(text.substr(0, std::min(text.size(), max))));
  q.push_back('\'');
  if (text.size() > max) {
    q.append("... (");
    q.append(std::to_string(text.size()));
    q.append(" characters)");
  }
  return q;
}

}  // namespace ddpsim
