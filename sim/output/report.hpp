#pragma once
// Result reporting: means (and standard deviations over repeats) of every output of a run, as
// JSON or as a table.
#include <string>
#include <vector>

#include "sim/run/training_run.hpp"
#include "sim/uncertainty/interval.hpp"

namespace ddpsim {

/// One scalar output: its dotted JSON path and how to compute it from a run.
struct Metric {
  const char* path;  // e.g. "energy_kwh.gpu"
  double (*get)(const Scenario&, const RunResult&);
};
const std::vector<Metric>& run_metrics();

/// Calibration path as reported (relative to the data directory when inside it).
std::string display_calibration_path(const std::string& path);

/// `param_provenance`: also list every calibrated parameter with its value and source (run
/// --format json); the results database stores the sources of the two sets and the warnings only.
/// `interval` (may be null): the run's prediction interval (run --interval P).
std::string result_json(const Scenario& s, const std::vector<RunResult>& runs, bool param_provenance = false,
                        const IntervalResult* interval = nullptr);
/// `run --explain`: where the run's calibration comes from, one parameter per line.
std::string provenance_table(const Scenario& s);
std::string result_table(const Scenario& s, const std::vector<RunResult>& runs, const IntervalResult* interval = nullptr);

}  // namespace ddpsim
