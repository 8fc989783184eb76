#pragma once
// Every size a user controls has one declared upper bound (name, limit, what it bounds), listed
// by 'ddpsim list params' and the README ("Limits and guarantees"). Checks throw InputError
// (exit 2) naming the limit, before any work or allocation depends on the value.
#include <cstddef>
#include <string>
#include <string_view>

namespace ddpsim {

#define DDPSIM_LIMITS(X)                                                                                              \
  X(kGpus, "limit.gpus", 1048576, "GPUs of one run, sweep point or collective")                                      \
  X(kEpochs, "limit.epochs", 1000000, "epochs of one run or sweep point")                                            \
  X(kRepeats, "limit.repeats", 10000, "repeats (seeds) of one run")                                                  \
  X(kSweepPoints, "limit.sweep_points", 1000000, "points of one sweep file, counted before they are expanded")       \
  X(kSweepConfirm, "limit.sweep_points_without_yes", 10000, "points a sweep runs without --yes")                     \
  X(kInputFileBytes, "limit.input_file_bytes", 256LL << 20, "bytes of one input file (sweep, calibration, trace)")   \
  X(kInputRows, "limit.input_rows", 2000000, "rows of one CSV or trace file")                                        \
  X(kQuotedChars, "limit.quoted_chars", 200, "characters of user text quoted in an error message")                   \
  X(kQuerySeconds, "limit.query_seconds", 60, "wall time of one 'query --sql' statement")                          \
  X(kVerifyBytes, "limit.verify_bytes", 1LL << 30,                                                                  \
    "bytes of a results database checked (quick_check, checksums) when query/merge/sweep open it")

enum class Limit {
#define DDPSIM_LIMIT_ENUM(id, name, value, help) id,
  DDPSIM_LIMITS(DDPSIM_LIMIT_ENUM)
#undef DDPSIM_LIMIT_ENUM
};

struct LimitSpec {
  std::string_view name;
  long long value;
  std::string_view help;
};

const LimitSpec& limit_spec(Limit l);
long long limit_of(Limit l);
std::size_t limit_count();
const LimitSpec& limit_spec_at(std::size_t i);

/// Throws InputError "<what> is N, above limit.x = M" if value > limit.
void check_limit(Limit l, long long value, const std::string& what);

/// A positive integer flag in 1..limit: "--gpus must be an integer in 1..1048576 (limit.gpus; got '...')".
long long parse_bounded_positive(const std::string& flag, const std::string& text, Limit l);

/// Throws InputError unless `path` is a regular file of at most limit.input_file_bytes.
void check_input_file(const std::string& path, const std::string& what = "file");

/// User text for an error message: control characters escaped (\n, \x1b, ...), cut to
/// limit.quoted_chars characters with "..." and the full length.
std::string quote_user(std::string_view text);

/// A whole error message made safe to print: control characters escaped.
std::string escape_controls(std::string_view text);

}  // namespace ddpsim
