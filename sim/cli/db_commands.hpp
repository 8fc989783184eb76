#pragma once
// The results-database commands of ddpsim: sweep, merge, query and check.
#include <string>
#include <vector>

namespace ddpsim::cli {

/// ddpsim sweep FILE --db DB [--jobs N] [--shard i/N] [--calibration FILE] [--progress ...]
int cmd_sweep(const std::vector<std::string>& args);
/// ddpsim merge OUT.db IN.db...
int cmd_merge(const std::vector<std::string>& args);
/// ddpsim query --db DB ("SQL" | --best METRIC [--deadline T] | --pareto | --scaling) [--format ...]
int cmd_query(const std::vector<std::string>& args);
/// ddpsim check --db DB: integrity_check and every checksum; exit 2 if damaged
int cmd_check(const std::vector<std::string>& args);

}  // namespace ddpsim::cli
