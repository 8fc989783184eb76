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
// Every stored result carries a checksum (column `checksum`); query, merge and sweep verify
// them, and PRAGMA quick_check, on opening a file below limit.verify_bytes (verify_on_open);
// `ddpsim check --db` verifies any file. A damaged file is a DatabaseCorrupt (exit 2).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/provenance/calibration_file.hpp"
#include "sim/store/sqlite_db.hpp"
#include "sim/run/training_run.hpp"
#include "sim/uncertainty/interval.hpp"

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

/// What verifying a results database found.
struct VerifyReport {
  long long runs = 0;        // rows of `runs` read
  long long verified = 0;    // rows whose checksum matches
  long long unverified = 0;  // rows without a checksum (written by a ddpsim before checksums)
  std::vector<std::int64_t> damaged_runs;  // ids of rows whose checksum does not match
  std::vector<std::string> damaged;        // a line per damaged run (at most max_problems)
  std::vector<std::string> page_problems;  // PRAGMA quick_check / integrity_check lines other than "ok"
  bool ok() const { return damaged_runs.empty() && page_problems.empty(); }
};

/// Checksum of a stored run (column runs.checksum): 16 hex digits of FNV-1a 64 over its
/// result_json and key columns. Detects changed bytes, not a deliberate forgery.
std::string run_checksum(std::string_view result_json, std::string_view config_hash, std::string_view calibration_id,
                         std::string_view version);

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
  /// `interval` (may be null): stored in result_json and the *_low/*_high columns.
  std::pair<std::int64_t, bool> insert_run(const Scenario& scenario, const RunResult& result, const RunKey& key,
                                           const IntervalResult* interval = nullptr);
  /// Interval columns: runtime_h_low, runtime_h_high, gpu_hours_low, ..., energy_kwh_total_high.
  static const std::vector<std::string>& interval_columns();
  /// Records that sweep point (key.sweep_id, key.point_index) is answered by run `run_id`.
  void link_point(std::int64_t run_id, const RunKey& key);

  /// Copies every sweep, calibration, run, sweep point and skipped point of the ddpsim database
  /// at `other_path` into this one (runs already present are kept). Returns {new runs, present}.
  /// verify_input: check_results_database(other_path) first (false: the caller did).
  std::pair<long long, long long> merge_from(const std::string& other_path, bool verify_input = true);

  /// PRAGMA quick_check (full: integrity_check), then every stored result against its checksum.
  /// Stops at the first page problem; lists up to max_problems damaged runs. A page SQLite finds
  /// damaged while reading throws DatabaseCorrupt.
  VerifyReport verify(bool full, long long max_problems);
  /// What query, merge and sweep (resume) do on opening: verify(false) for files of at most
  /// limit.verify_bytes (above it a note on stderr); DatabaseCorrupt naming the file, and the
  /// run for a checksum mismatch, if anything is damaged.
  void verify_on_open();

 private:
  void check_or_create(bool writable);
  void create_schema();
  void add_missing_columns();
  Database db_;
};

/// Opens `path` only to check it (used by merge for its inputs); InputError if it is not a
/// ddpsim results database of a readable schema version, DatabaseCorrupt if verify_on_open()
/// finds it damaged.
void check_results_database(const std::string& path);

}  // namespace ddpsim
