#pragma once
// What-if sweeps. A sweep file (YAML) describes grids over workload, phase, hardware, GPU count,
// LBS/GBS, epochs, samples per GPU, seeds and any declared parameter (--set), optionally as one
// of the paper's four scaling procedures. run_sweep() checks every point (invalid ones are
// reported and recorded, never dropped silently), simulates the rest on a pool of threads and
// stores each result in its own transaction, skipping points already stored for the same
// config hash, calibration and ddpsim version: an interrupted sweep resumes where it stopped.
#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include "sim/store/results_store.hpp"
#include "sim/run/training_run.hpp"

namespace ddpsim {

/// The paper's four scaling procedures, each a sweep over n, plus a plain grid.
enum class ScalingMode {
  Grid,                      // lbs and/or gbs grids as given (GBS must equal n x LBS)
  ConstantLbs,               // constant dataset, LBS fixed: GBS = n x LBS grows with n
  ConstantGbs,               // constant dataset, GBS fixed: LBS = GBS / n (n must divide GBS)
  ScaledDatasetConstantLbs,  // training set = samples_per_gpu x n, LBS fixed
  ScaledDatasetConstantGbs,  // training set = samples_per_gpu x n, GBS fixed
};
const char* scaling_mode_name(ScalingMode mode);
/// "constant_lbs", ...; InputError with a suggestion for an unknown name.
ScalingMode parse_scaling_mode(std::string_view name);
std::vector<std::string> scaling_mode_names();

/// Integer lists: "8", "1..256 x2" (geometric: 1, 2, 4, ..., 256), "4..64 +4" (arithmetic),
/// "1..4" (step 1). Values are non-negative; a range stops at the last value <= its end.
/// Throws InputError describing the accepted forms.
std::vector<long long> parse_int_range(std::string_view text);

struct SweepPoint {
  std::size_t index = 0;  // position in the expanded grid, in file order
  ScalingMode mode = ScalingMode::Grid;
  RunConfig config;       // one seed, repeats 1; lbs or gbs is 0 where the mode derives it
};

struct SweepSpec {
  std::string name, description, file;
  std::string calibration;  // calibration path ("" = the shipped default)
  std::string spec_hash;    // FNV-1a 64 of the file's text
  std::vector<SweepPoint> points;
};

/// Parses sweep YAML `text`; `file` names it in errors (file:line), relative paths in it are
/// taken relative to `base_dir`. ConfigError for unknown keys (with a suggestion), unknown
/// workloads, hardware, phases or parameters, bad values and keys the mode does not allow.
SweepSpec parse_sweep(const std::string& text, const std::string& file, const std::string& base_dir);
SweepSpec load_sweep_file(const std::string& path);

/// Canonical text of a resolved run's inputs: a header line, then "key=value" lines for the
/// workload, phase, hardware, n, LBS, GBS, epochs, samples per GPU, data-set sizes, the seed and
/// every hardware, workload, phase and calibration parameter after overrides (SI, %.17g), in
/// declaration order. Equal texts mean equal simulations (for one ddpsim version).
std::string canonical_config(const Scenario& scenario);
/// The same inputs packed (strings and the raw bits of every parameter value): a fast exact key
/// for caching simulated results (calibration), not stable across versions.
std::string scenario_fingerprint(const Scenario& scenario);
/// FNV-1a 64 of canonical_config(), as 16 hex digits.
std::string config_hash(const Scenario& scenario);
/// Series of a point: every input but n and the seed, e.g.
/// "resnet50/pretrain/a100/constant_lbs/lbs=256/epochs=100" (+ "/spg=5004", "/set:name=value;...").
std::string series_key(const SweepPoint& point, const Scenario& scenario);
/// The point's overrides, sorted by name: "name=value; name=value".
std::string overrides_text(const RunConfig& config);
/// Short human description of a point, e.g. "resnet50 a100 n=16 lbs=256 seed=1".
std::string point_label(const SweepPoint& point);

struct Shard {
  int index = 0, count = 1;
};
/// "i/N" with 0 <= i < N (e.g. --shard $SLURM_ARRAY_TASK_ID/8). Point k belongs to shard k % N.
Shard parse_shard(std::string_view text);

enum class ProgressStyle { Bar, Lines, None };

struct SweepOptions {
  int jobs = 1;
  Shard shard;
  std::string calibration;      // overrides the file's calibration if not empty
  std::string command;          // recorded with the sweep
  std::ostream* out = nullptr;  // plan, progress and report; null = silent
  ProgressStyle progress = ProgressStyle::Lines;  // Bar: one '\r' line with ETA (terminals)
  std::size_t max_listed_skips = 50;
  bool full_fidelity = false;  // ignore the file's fast_forward: simulate every epoch
};

struct SweepReport : SweepCounts {
  std::int64_t sweep_id = 0;
  long long duplicates = 0;  // points equal to an earlier point of the same sweep
  double wall_s = 0;
  std::vector<std::string> skipped;  // "label: reason" of every invalid or failed point
};

/// Runs the sweep into `store` (see the file comment). Throws on database failures; a point
/// whose simulation fails is recorded (skipped table, kind 'failed') and counted.
SweepReport run_sweep(const SweepSpec& spec, ResultsStore& store, const SweepOptions& options);

}  // namespace ddpsim
