#pragma once
// The results database (SQLite): every simulated run with all its inputs and every output of
// `ddpsim run --format json`, the sweeps that produced them, the calibrations they used, and the
// points a sweep skipped. One row per (config_hash, calibration_id, version): rerunning a sweep
// reuses what is stored. Views `scaling` and `pareto` answer the usual questions.
//
// Safety: WAL journal, a busy timeout, and one transaction per stored result, so concurrent
// writers neither lose nor duplicate rows and a killed writer loses nothing it committed.
// Opening checks that the file is a ddpsim results database of a schema version this build
// reads; anything else (another application's SQLite file, a corrupt file) is an InputError.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/calibration_file.hpp"
#include "sim/sqlite_db.hpp"
#include "sim/training_run.hpp"

namespace ddpsim {

/// PRAGMA application_id of a ddpsim results database ("DDPS").
constexpr std::int32_t kResultsApplicationId = 0x44445053;
/// PRAGMA user_version: bump when the schema changes incompatibly.
constexpr int kResultsSchemaVersion = 1;

/// Identifies one stored run and the sweep point (and so the series) it answers.
struct RunKey {
  std::string config_hash;  // see sweep.hpp: config_hash()
  std::string mode;         // scaling mode of the sweep point ("grid" if none)
  std::string series;       // series key (all inputs but n and the seed)
  std::string overrides;    // canonical "name=value; ..." of the point's --set overrides
  std::int64_t sweep_id = 0;     // 0 = not part of a sweep (no sweep_points row)
  long long point_index = 0;     // index of the point in its sweep's grid
  double sim_wall_s = 0;         // wall time the simulation took
};

struct SweepRecord {
  std::string name, file, spec_hash, shard, calibration_id, command;
  int jobs = 1;
};

struct SweepCounts {
  long long total = 0, in_shard = 0, invalid = 0, stored_before = 0, ran = 0, reused = 0, failed = 0;
};

class ResultsStore {
 public:
  enum class Access { ReadOnly, ReadWrite };
  /// Opens (ReadWrite: creating if needed) and checks the database. ReadOnly needs an existing
  /// file and never modifies it (SQLITE_OPEN_READONLY and PRAGMA query_only).
  ResultsStore(const std::string& path, Access access);

  Database& db() { return db_; }

  /// Columns of `runs` that hold run_metrics() outputs: dotted path with '.' -> '_'.
  static std::vector<std::string> metric_columns();

  /// Stores a calibration (id, file, content) unless already present.
  void record_calibration(const Calibration& calibration);
  std::int64_t begin_sweep(const SweepRecord& sweep);
  void finish_sweep(std::int64_t sweep_id, const SweepCounts& counts, const std::string& status);
  /// Records an invalid or failed point of a sweep.
  void record_skipped(std::int64_t sweep_id, long long point_index, const std::string& label, const std::string& kind,
                      const std::string& reason);

  /// Id of the stored run with this key, if any.
  std::optional<std::int64_t> find_run(const std::string& config_hash, const std::string& calibration_id,
                                       const std::string& version = DDPSIM_VERSION);
  /// Stores one result in its own transaction, with the sweep point it answers. Returns the run
  /// id and whether it was new (false: another writer stored the same key first).
  std::pair<std::int64_t, bool> insert_run(const Scenario& scenario, const RunResult& result, const RunKey& key);
  /// Records that sweep point (key.sweep_id, key.point_index) is answered by run `run_id`.
  void link_point(std::int64_t run_id, const RunKey& key);

  /// Copies every sweep, calibration, run, sweep point and skipped point of the ddpsim database
  /// at `other_path` into this one (runs already present are kept). Returns {new runs, present}.
  std::pair<long long, long long> merge_from(const std::string& other_path);

 private:
  void check_or_create(bool writable);
  void create_schema();
  void add_missing_columns();
  Database db_;
};

/// Opens `path` only to check it (used by merge for its inputs); InputError if it is not a
/// ddpsim results database of a readable schema version.
void check_results_database(const std::string& path);

}  // namespace ddpsim
