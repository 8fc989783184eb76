#include "sim/store/results_store.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <iostream>
#include <thread>

#include "sim/core/hash.hpp"
#include "sim/core/limits.hpp"
#include "sim/output/report.hpp"

namespace ddpsim {

namespace {

constexpr const char* kNow = "(strftime('%Y-%m-%dT%H:%M:%fZ','now'))";

// Input and bookkeeping columns of `runs`, before the metric columns.
constexpr const char* kRunInputColumns = R"(
  id INTEGER PRIMARY KEY,
  config_hash TEXT NOT NULL,
  calibration_id TEXT NOT NULL,
  version TEXT NOT NULL,
  sweep_id INTEGER REFERENCES sweeps(id),
  mode TEXT NOT NULL,
  series TEXT NOT NULL,
  workload TEXT NOT NULL,
  phase TEXT NOT NULL,
  hardware TEXT NOT NULL,
  gpus INTEGER NOT NULL,
  lbs INTEGER NOT NULL,
  gbs INTEGER NOT NULL,
  epochs INTEGER NOT NULL,
  samples_per_gpu INTEGER NOT NULL,
  seed INTEGER NOT NULL,
  overrides TEXT NOT NULL,
  calibration_file TEXT NOT NULL,
  nodes INTEGER,
  cpu_sockets INTEGER,
  train_samples INTEGER,
  val_samples INTEGER,
  steps_per_epoch INTEGER,
  max_lbs INTEGER,
  ram_metered INTEGER,
  steps INTEGER,
  events INTEGER,
  target_metric TEXT,
  target_value REAL,
  target_epochs_model REAL,
)";

constexpr const char* kViews = R"(
CREATE VIEW run_series AS SELECT DISTINCT run_id, series, mode FROM sweep_points;

CREATE VIEW scaling AS
WITH pts AS (
  SELECT s.series, s.mode, r.workload, r.phase, r.hardware, r.calibration_id, r.version, r.gpus,
         COUNT(*) AS seeds, AVG(r.runtime_h) AS runtime_h, AVG(r.gpu_hours) AS gpu_hours,
         AVG(r.energy_kwh_total) AS energy_kwh_total, AVG(r.kwh_per_gpu_hour) AS kwh_per_gpu_hour,
         AVG(r.time_fraction_data_stall) AS data_stall, AVG(CAST(r.train_samples AS REAL) * r.epochs) AS samples
  FROM run_series s JOIN runs r ON r.id = s.run_id
  GROUP BY s.series, r.calibration_id, r.version, r.gpus),
base AS (
  SELECT p.* FROM pts p
  WHERE p.gpus = (SELECT MIN(q.gpus) FROM pts q
                  WHERE q.series = p.series AND q.calibration_id = p.calibration_id AND q.version = p.version))
SELECT p.series, p.mode, p.workload, p.phase, p.hardware, p.gpus, p.seeds,
       p.runtime_h, p.gpu_hours, p.energy_kwh_total, p.kwh_per_gpu_hour, p.data_stall,
       b.gpus AS base_gpus,
       b.runtime_h / p.runtime_h AS speedup,
       (CAST(p.gpus AS REAL) / b.gpus) * (b.samples / p.samples) AS ideal_speedup,
       (b.runtime_h / p.runtime_h) / ((CAST(p.gpus AS REAL) / b.gpus) * (b.samples / p.samples)) AS parallel_efficiency,
       p.energy_kwh_total / b.energy_kwh_total AS energy_ratio,
       p.calibration_id, p.version
FROM pts p JOIN base b ON b.series = p.series AND b.calibration_id = p.calibration_id AND b.version = p.version;

CREATE VIEW pareto AS
SELECT r.id, r.workload, r.phase, r.hardware, r.mode, r.series, r.gpus, r.lbs, r.gbs, r.epochs,
       r.samples_per_gpu, r.seed, r.overrides, r.runtime_h, r.gpu_hours, r.energy_kwh_total,
       r.kwh_per_gpu_hour, r.calibration_id, r.version
FROM runs r
WHERE NOT EXISTS (
  SELECT 1 FROM runs o
  WHERE o.workload = r.workload AND o.phase = r.phase AND o.epochs = r.epochs
    AND o.samples_per_gpu = r.samples_per_gpu
    AND o.calibration_id = r.calibration_id AND o.version = r.version
    AND o.runtime_h <= r.runtime_h AND o.energy_kwh_total <= r.energy_kwh_total
    AND (o.runtime_h < r.runtime_h OR o.energy_kwh_total < r.energy_kwh_total));
)";

std::string column_name_of(const char* path) {
  std::string s = path;
  std::replace(s.begin(), s.end(), '.', '_');
  return s;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string read_file_prefix(const std::string& path, std::size_t n) {
  std::ifstream in(path, std::ios::binary);
  std::string out(n, '\0');
  in.read(out.data(), static_cast<std::streamsize>(n));
  out.resize(static_cast<std::size_t>(std::max<std::streamsize>(0, in.gcount())));
  return out;
}

std::set<std::string> table_columns(Database& db, const std::string& schema, const std::string& table) {
  std::set<std::string> out;
  Statement st = db.prepare("PRAGMA " + quote_identifier(schema) + ".table_info(" + quote_identifier(table) + ")");
  while (st.step()) out.insert(st.column_text(1));
  return out;
}

const std::string& existing_for_read(const std::string& path, ResultsStore::Access access) {
  if (access == ResultsStore::Access::ReadOnly && path != ":memory:") {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) throw InputError(path + ": no such results database");
    if (!std::filesystem::is_regular_file(path, ec)) throw InputError(path + ": not a regular file");
  }
  return path;
}

}  // namespace

std::vector<std::string> ResultsStore::metric_columns() {
  std::vector<std::string> out;
  for (const auto& m : run_metrics()) out.push_back(column_name_of(m.path));
  return out;
}

ResultsStore::ResultsStore(const std::string& path, Access access)
    : db_(existing_for_read(path, access), access == Access::ReadOnly ? Database::Mode::ReadOnly : Database::Mode::ReadWriteCreate) {
  // SQLite returns SQLITE_BUSY without waiting where waiting could deadlock, e.g. when two
  // processes switch a new file to WAL at once: retry the whole check for up to a minute.
  auto t0 = std::chrono::steady_clock::now();
  for (int attempt = 0;; ++attempt) {
    try {
      check_or_create(access == Access::ReadWrite);
      return;
    } catch (const SqliteError& e) {
      if (e.code() != SQLITE_BUSY || std::chrono::steady_clock::now() - t0 > std::chrono::seconds(60)) throw;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5 + 5 * std::min(attempt, 20)));
  }
}

void ResultsStore::check_or_create(bool writable) {
  const std::string& path = db_.path();
  // The first read reveals a file that is not an SQLite database at all.
  long long tables = 0;
  std::int64_t app_id = 0, version = 0;
  std::vector<std::string> table_names;
  try {
    Statement st = db_.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
    while (st.step()) table_names.push_back(st.column_text(0));
    tables = static_cast<long long>(table_names.size());
    app_id = db_.scalar_int("PRAGMA application_id").value_or(0);
    version = db_.scalar_int("PRAGMA user_version").value_or(0);
  } catch (const DatabaseCorrupt&) {
    // An SQLite header with unreadable pages behind it is a damaged database; anything else is
    // most likely some other file.
    bool sqlite_header = read_file_prefix(path, 16) == std::string("SQLite format 3", 16);
    throw DatabaseCorrupt(path + (sqlite_header ? ": damaged database" : ": not a ddpsim results database") +
                          ": the file is not an SQLite database or is corrupt (" + db_.errmsg() + ")");
  }
  if (app_id == 0 && tables == 0) {
    if (!writable) throw InputError(path + ": empty SQLite database, not a ddpsim results database (run 'ddpsim sweep' to fill one)");
    db_.exec("PRAGMA journal_mode = WAL");
    Transaction tx(db_);
    // Another process may have created the schema while we waited for the write lock.
    if (db_.scalar_int("PRAGMA application_id").value_or(0) == 0) create_schema();
    tx.commit();
    app_id = kResultsApplicationId;
    version = kResultsSchemaVersion;
  }
  if (app_id != kResultsApplicationId) {
    std::string names;
    for (std::size_t i = 0; i < table_names.size() && i < 5; ++i) names += (i ? ", " : "") + table_names[i];
    if (table_names.size() > 5) names += ", ...";
    throw InputError(path + ": an SQLite database of another application, not a ddpsim results database (tables: " + names + ")");
  }
  if (version > kResultsSchemaVersion) {
    throw InputError(path + ": written by a newer ddpsim (results schema version " + std::to_string(version) +
                     "; this ddpsim " DDPSIM_VERSION " reads version " + std::to_string(kResultsSchemaVersion) + ")");
  }
  if (version < kResultsSchemaVersion) {
    throw InputError(path + ": results schema version " + std::to_string(version) + " is older than version " +
                     std::to_string(kResultsSchemaVersion) + " and cannot be upgraded; re-run its sweeps into a new database");
  }
  if (writable) {
    db_.exec("PRAGMA journal_mode = WAL");
    db_.exec("PRAGMA synchronous = NORMAL");  // WAL + NORMAL: durable across process crashes
    add_missing_columns();
  } else {
    db_.exec("PRAGMA query_only = 1");
  }
}

void ResultsStore::create_schema() {
  std::string runs = std::string("CREATE TABLE runs (") + kRunInputColumns;
  for (const auto& c : metric_columns()) runs += "  " + quote_identifier(c) + " REAL,\n";
  for (const auto& c : interval_columns()) runs += "  " + quote_identifier(c) + " REAL,\n";
  runs += "  result_json TEXT NOT NULL,\n  checksum TEXT,\n  sim_wall_s REAL,\n  created_at TEXT NOT NULL DEFAULT " + std::string(kNow) +
          ",\n  UNIQUE (config_hash, calibration_id, version)\n);\n";
  db_.exec(std::string("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);\n"
                       "CREATE TABLE calibrations (id TEXT PRIMARY KEY, file TEXT NOT NULL, description TEXT,\n"
                       "  content TEXT, stored_at TEXT NOT NULL DEFAULT ") + kNow + ");\n" +
           "CREATE TABLE sweeps (id INTEGER PRIMARY KEY, name TEXT NOT NULL, file TEXT, spec_hash TEXT, shard TEXT,\n"
           "  jobs INTEGER, calibration_id TEXT, version TEXT NOT NULL, command TEXT,\n"
           "  status TEXT NOT NULL DEFAULT 'running', started_at TEXT NOT NULL DEFAULT " + kNow + ", finished_at TEXT,\n"
           "  points_total INTEGER, points_in_shard INTEGER, points_invalid INTEGER, points_stored_before INTEGER,\n"
           "  points_run INTEGER, points_reused INTEGER, points_failed INTEGER);\n" +
           runs +
           "CREATE TABLE sweep_points (sweep_id INTEGER NOT NULL REFERENCES sweeps(id), point_index INTEGER NOT NULL,\n"
           "  run_id INTEGER NOT NULL REFERENCES runs(id), series TEXT NOT NULL, mode TEXT NOT NULL,\n"
           "  PRIMARY KEY (sweep_id, point_index));\n"
           "CREATE TABLE skipped (id INTEGER PRIMARY KEY, sweep_id INTEGER NOT NULL REFERENCES sweeps(id),\n"
           "  point_index INTEGER NOT NULL, label TEXT NOT NULL, kind TEXT NOT NULL, reason TEXT NOT NULL,\n"
           "  created_at TEXT NOT NULL DEFAULT " + kNow + ", UNIQUE (sweep_id, point_index));\n"
           "CREATE INDEX runs_by_config ON runs (workload, phase, hardware, gpus);\n"
           "CREATE INDEX runs_by_sweep ON runs (sweep_id);\n"
           "CREATE INDEX sweep_points_by_series ON sweep_points (series, run_id);\n"
           "CREATE INDEX sweep_points_by_run ON sweep_points (run_id);\n" +
           kViews);
  Statement meta = db_.prepare("INSERT INTO meta (key, value) VALUES (?1, ?2)");
  meta.bind(1, "schema_version").bind(2, std::to_string(kResultsSchemaVersion)).run();
  meta.reset();
  meta.bind(1, "created_with").bind(2, "ddpsim " DDPSIM_VERSION).run();
  db_.exec("PRAGMA application_id = " + std::to_string(kResultsApplicationId) + "; PRAGMA user_version = " +
           std::to_string(kResultsSchemaVersion));
}

void ResultsStore::add_missing_columns() {
  // A newer build may report more metrics than the one that created the file: add their columns.
  // A database written before checksums were stored gets the checksum column; its rows written
  // before keep a NULL checksum ("unverified", reported by 'ddpsim check').
  auto have = table_columns(db_, "main", "runs");
  std::vector<std::pair<std::string, const char*>> missing;
  if (!have.count("checksum")) missing.emplace_back("checksum", "TEXT");
  for (const auto& c : metric_columns()) {
    if (!have.count(c)) missing.emplace_back(c, "REAL");
  }
  for (const auto& c : interval_columns()) {
    if (!have.count(c)) missing.emplace_back(c, "REAL");  // intervals came after schema version 1
  }
  // Targets (epochs to a target metric) came after schema version 1 was first written.
  const std::pair<const char*, const char*> target_columns[] = {
      {"target_metric", "TEXT"}, {"target_value", "REAL"}, {"target_epochs_model", "REAL"}};
  bool targets_missing = false;
  for (const auto& tc : target_columns) targets_missing = targets_missing || !have.count(tc.first);
  if (missing.empty() && !targets_missing) return;
  Transaction tx(db_);
  have = table_columns(db_, "main", "runs");
  for (const auto& tc : target_columns) {
    if (!have.count(tc.first)) db_.exec(std::string("ALTER TABLE runs ADD COLUMN ") + tc.first + " " + tc.second);
  }
  for (const auto& [c, type] : missing) {
    if (!have.count(c)) db_.exec("ALTER TABLE runs ADD COLUMN " + quote_identifier(c) + " " + type);
  }
  tx.commit();
}

void ResultsStore::record_calibration(const Calibration& cal) {
  Transaction tx(db_);
  Statement st = db_.prepare("INSERT OR IGNORE INTO calibrations (id, file, description, content) VALUES (?1, ?2, ?3, ?4)");
  st.bind(1, cal.id).bind(2, display_calibration_path(cal.file)).bind(3, cal.description);
  if (cal.file.empty()) {
    st.bind_null(4);
  } else {
    st.bind(4, read_file(cal.file));
  }
  st.run();
  tx.commit();
}

std::int64_t ResultsStore::begin_sweep(const SweepRecord& s) {
  Transaction tx(db_);
  Statement st = db_.prepare(
      "INSERT INTO sweeps (name, file, spec_hash, shard, jobs, calibration_id, version, command) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  st.bind(1, s.name).bind(2, s.file).bind(3, s.spec_hash).bind(4, s.shard).bind(5, s.jobs).bind(6, s.calibration_id);
  st.bind(7, DDPSIM_VERSION).bind(8, s.command).run();
  auto id = db_.last_insert_rowid();
  tx.commit();
  return id;
}

void ResultsStore::finish_sweep(std::int64_t id, const SweepCounts& c, const std::string& status) {
  Transaction tx(db_);
  Statement st = db_.prepare(std::string(
      "UPDATE sweeps SET status = ?2, finished_at = ") + kNow +
      ", points_total = ?3, points_in_shard = ?4, points_invalid = ?5, points_stored_before = ?6, points_run = ?7, "
      "points_reused = ?8, points_failed = ?9 WHERE id = ?1");
  st.bind(1, id).bind(2, status).bind(3, static_cast<std::int64_t>(c.total)).bind(4, static_cast<std::int64_t>(c.in_shard));
  st.bind(5, static_cast<std::int64_t>(c.invalid)).bind(6, static_cast<std::int64_t>(c.stored_before));
  st.bind(7, static_cast<std::int64_t>(c.ran)).bind(8, static_cast<std::int64_t>(c.reused)).bind(9, static_cast<std::int64_t>(c.failed));
  st.run();
  tx.commit();
}

void ResultsStore::record_skipped(std::int64_t sweep_id, long long point_index, const std::string& label, const std::string& kind,
                                  const std::string& reason) {
  Transaction tx(db_);
  Statement st = db_.prepare("INSERT OR IGNORE INTO skipped (sweep_id, point_index, label, kind, reason) VALUES (?1, ?2, ?3, ?4, ?5)");
  st.bind(1, sweep_id).bind(2, static_cast<std::int64_t>(point_index)).bind(3, label).bind(4, kind).bind(5, reason).run();
  tx.commit();
}

std::optional<std::int64_t> ResultsStore::find_run(const std::string& config_hash, const std::string& calibration_id,
                                                   const std::string& version) {
  Statement st = db_.prepare("SELECT id FROM runs WHERE config_hash = ?1 AND calibration_id = ?2 AND version = ?3");
  st.bind(1, config_hash).bind(2, calibration_id).bind(3, version);
  if (!st.step()) return std::nullopt;
  return st.column_int(0);
}

void ResultsStore::link_point(std::int64_t run_id, const RunKey& key) {
  if (key.sweep_id <= 0) return;
  Statement st = db_.prepare("INSERT OR IGNORE INTO sweep_points (sweep_id, point_index, run_id, series, mode) VALUES (?1, ?2, ?3, ?4, ?5)");
  st.bind(1, key.sweep_id).bind(2, static_cast<std::int64_t>(key.point_index)).bind(3, run_id).bind(4, key.series).bind(5, key.mode);
  st.run();
}

namespace {
const char* const kIntervalQuantities[] = {"runtime_h", "gpu_hours", "energy_kwh.total"};
}  // namespace

const std::vector<std::string>& ResultsStore::interval_columns() {
  static const std::vector<std::string> cols = [] {
    std::vector<std::string> c;
    for (const char* q : kIntervalQuantities) {
      c.push_back(column_name_of(q) + "_low");
      c.push_back(column_name_of(q) + "_high");
    }
    return c;
  }();
  return cols;
}

std::pair<std::int64_t, bool> ResultsStore::insert_run(const Scenario& s, const RunResult& r, const RunKey& key, const IntervalResult* interval) {
  const auto& metrics = run_metrics();
  std::string cols =
      "config_hash, calibration_id, version, sweep_id, mode, series, workload, phase, hardware, gpus, lbs, gbs, epochs, "
      "samples_per_gpu, seed, overrides, calibration_file, nodes, cpu_sockets, train_samples, val_samples, steps_per_epoch, "
      "max_lbs, ram_metered, steps, events, target_metric, target_value, target_epochs_model, result_json, checksum, sim_wall_s";
  constexpr int kFixed = 32;
  for (const auto& c : metric_columns()) cols += ", " + quote_identifier(c);
  for (const auto& c : interval_columns()) cols += ", " + quote_identifier(c);
  std::string params;
  for (std::size_t i = 1; i <= kFixed + metrics.size() + interval_columns().size(); ++i) params += (i > 1 ? ", ?" : "?") + std::to_string(i);

  Transaction tx(db_);
  Statement st = db_.prepare("INSERT OR IGNORE INTO runs (" + cols + ") VALUES (" + params + ")");
  int i = 0;
  auto put = [&](auto v) { st.bind(++i, v); };
  auto put_int = [&](auto v) { st.bind(++i, static_cast<std::int64_t>(v)); };
  put(key.config_hash);
  put(s.calibration_id);
  put(DDPSIM_VERSION);
  if (key.sweep_id > 0) {
    put_int(key.sweep_id);
  } else {
    st.bind_null(++i);
  }
  for (const std::string* v : {&key.mode, &key.series, &s.wl.name, &s.phase.name, &s.hw.name}) put(*v);
  for (long long v : {static_cast<long long>(s.gpus), s.lbs, s.gbs, static_cast<long long>(s.epochs), std::max(0LL, s.config.samples_per_gpu),
                      static_cast<long long>(r.seed)}) {
    put_int(v);
  }
  put(key.overrides);
  put(display_calibration_path(s.calibration_file));
  for (long long v : {static_cast<long long>(s.nodes), static_cast<long long>(r.cpu_sockets), s.train_samples, s.val_samples,
                      s.steps_per_epoch, s.max_lbs, s.hw.p(kRamMetered) != 0.0 ? 1LL : 0LL, r.steps,
                      static_cast<long long>(r.events)}) {
    put_int(v);
  }
  if (s.has_target) {
    put(s.target.metric);
    put(s.target.value);
    put(s.target.epochs_model);
  } else {
    for (int k = 0; k < 3; ++k) st.bind_null(++i);
  }
  const std::string json = result_json(s, {r}, false, interval);
  put(json);
  put(run_checksum(json, key.config_hash, s.calibration_id, DDPSIM_VERSION));
  put(key.sim_wall_s);
  for (const auto& m : metrics) put(m.get(s, r));
  for (const char* q : kIntervalQuantities) {
    const QuantityInterval* qi = interval ? interval->find(q) : nullptr;
    if (qi) {
      put(qi->low);
      put(qi->high);
    } else {
      st.bind_null(++i);
      st.bind_null(++i);
    }
  }
  st.run();
  bool inserted = db_.changes() > 0;
  std::int64_t id = inserted ? db_.last_insert_rowid() : 0;
  if (!inserted) {
    auto found = find_run(key.config_hash, s.calibration_id);
    if (!found) throw IoError(db_.path() + ": run " + key.config_hash + " was neither inserted nor found");
    id = *found;
  }
  link_point(id, key);
  tx.commit();
  return {id, inserted};
}

std::string run_checksum(std::string_view result_json, std::string_view config_hash, std::string_view calibration_id,
                         std::string_view version) {
  // Each field with its length, so that moving bytes from one field to the next changes the sum.
  std::uint64_t h = fnv1a64("ddpsim.run.v1");
  for (std::string_view field : {result_json, config_hash, calibration_id, version}) {
    h = fnv1a64(std::to_string(field.size()) + ":", h);
    h = fnv1a64(field, h);
  }
  return hex64(mix64(h));
}

VerifyReport ResultsStore::verify(bool full, long long max_problems) {
  VerifyReport rep;
  {
    Statement st = db_.prepare(std::string(full ? "PRAGMA integrity_check(" : "PRAGMA quick_check(") +
                               std::to_string(std::max(1LL, max_problems)) + ")");
    while (st.step()) {
      std::string line = st.column_text(0);
      if (line != "ok") rep.page_problems.push_back(line);
    }
  }
  if (!rep.page_problems.empty()) return rep;
  const bool has_checksum = table_columns(db_, "main", "runs").count("checksum") > 0;
  Statement st = db_.prepare(std::string("SELECT id, config_hash, calibration_id, version, result_json, ") +
                             (has_checksum ? "checksum" : "NULL") + " FROM runs ORDER BY id");
  while (st.step()) {
    ++rep.runs;
    if (st.column_null(5)) {
      ++rep.unverified;
      continue;
    }
    std::string stored = st.column_text(5);
    std::string config_hash = st.column_text(1);
    if (run_checksum(st.column_text(4), config_hash, st.column_text(2), st.column_text(3)) == stored) {
      ++rep.verified;
      continue;
    }
    rep.damaged_runs.push_back(st.column_int(0));
    if (static_cast<long long>(rep.damaged.size()) < max_problems) {
      rep.damaged.push_back("run " + std::to_string(st.column_int(0)) + " (config_hash " + quote_user(config_hash) +
                            "): its stored result does not match its checksum");
    }
  }
  return rep;
}

void ResultsStore::verify_on_open() {
  const std::string& path = db_.path();
  if (path == ":memory:") return;
  std::error_code ec;
  auto bytes = std::filesystem::file_size(path, ec);
  const long long limit = limit_of(Limit::kVerifyBytes);
  if (!ec && static_cast<long long>(bytes) > limit) {
    std::cerr << "ddpsim: note: " << escape_controls(path) << " is " << bytes << " bytes, above limit.verify_bytes = " << limit
              << ": its stored results are not verified now; 'ddpsim check --db " << escape_controls(path) << "' verifies them\n";
    return;
  }
  VerifyReport rep = verify(false, 1);
  const std::string check = "; 'ddpsim check --db " + path + "' reports every damaged run";
  if (!rep.page_problems.empty()) {
    throw DatabaseCorrupt(path + ": damaged database (quick_check: " + rep.page_problems.front() + ")" + check);
  }
  if (!rep.damaged.empty()) {
    throw DatabaseCorrupt(path + ": damaged database: " + rep.damaged.front() + check);
  }
}

void check_results_database(const std::string& path) {
  ResultsStore store(path, ResultsStore::Access::ReadOnly);
  store.verify_on_open();
}

std::pair<long long, long long> ResultsStore::merge_from(const std::string& other_path, bool verify_input) {
  if (verify_input) {
    check_results_database(other_path);
  } else {
    ResultsStore check(other_path, ResultsStore::Access::ReadOnly);
  }
  {
    std::error_code ec;
    if (db_.path() != ":memory:" && std::filesystem::equivalent(db_.path(), other_path, ec)) {
      throw InputError(other_path + ": cannot merge a database into itself");
    }
  }
  {
    Statement attach = db_.prepare("ATTACH DATABASE ?1 AS src");
    attach.bind(1, other_path).run();
  }
  struct Detach {
    Database& db;
    ~Detach() { sqlite3_exec(db.handle(), "DETACH DATABASE src", nullptr, nullptr, nullptr); }
  };
  long long added = 0, present = 0;
  try {
    Detach detach{db_};
    Transaction tx(db_);
    db_.exec("CREATE TEMP TABLE IF NOT EXISTS sweep_map (old_id INTEGER PRIMARY KEY, new_id INTEGER NOT NULL); DELETE FROM sweep_map");
    db_.exec("INSERT OR IGNORE INTO main.calibrations (id, file, description, content, stored_at) "
             "SELECT id, file, description, content, stored_at FROM src.calibrations");
    // Sweeps: copied with new ids, unless the same invocation was merged before.
    {
      const std::string cols =
          "name, file, spec_hash, shard, jobs, calibration_id, version, command, status, started_at, finished_at, points_total, "
          "points_in_shard, points_invalid, points_stored_before, points_run, points_reused, points_failed";
      Statement src = db_.prepare("SELECT id, name, spec_hash, shard, started_at, version FROM src.sweeps ORDER BY id");
      Statement same = db_.prepare(
          "SELECT id FROM main.sweeps WHERE name = ?1 AND spec_hash IS ?2 AND shard IS ?3 AND started_at = ?4 AND version = ?5");
      Statement copy = db_.prepare("INSERT INTO main.sweeps (" + cols + ") SELECT " + cols + " FROM src.sweeps WHERE id = ?1");
      Statement map = db_.prepare("INSERT INTO temp.sweep_map (old_id, new_id) VALUES (?1, ?2)");
      while (src.step()) {
        std::int64_t old_id = src.column_int(0);
        same.reset();
        same.bind(1, src.column_text(1));
        for (int k = 2; k <= 3; ++k) {
          if (src.column_null(k)) {
            same.bind_null(k);
          } else {
            same.bind(k, src.column_text(k));
          }
        }
        same.bind(4, src.column_text(4)).bind(5, src.column_text(5));
        std::int64_t new_id = 0;
        if (same.step()) {
          new_id = same.column_int(0);
        } else {
          copy.reset();
          copy.bind(1, old_id).run();
          new_id = db_.last_insert_rowid();
        }
        map.reset();
        map.bind(1, old_id).bind(2, new_id).run();
      }
    }
    // Runs: every column both databases have, except the id; the sweep id is mapped.
    auto mine = table_columns(db_, "main", "runs");
    auto theirs = table_columns(db_, "src", "runs");
    std::string cols, sel;
    for (const auto& c : theirs) {
      if (c == "id" || c == "sweep_id" || !mine.count(c)) continue;
      cols += quote_identifier(c) + ", ";
      sel += "r." + quote_identifier(c) + ", ";
    }
    long long before = db_.scalar_int("SELECT COUNT(*) FROM main.runs").value_or(0);
    long long incoming = db_.scalar_int("SELECT COUNT(*) FROM src.runs").value_or(0);
    db_.exec("INSERT OR IGNORE INTO main.runs (" + cols + "sweep_id) SELECT " + sel +
             "(SELECT new_id FROM temp.sweep_map m WHERE m.old_id = r.sweep_id) FROM src.runs r ORDER BY r.id");
    added = db_.scalar_int("SELECT COUNT(*) FROM main.runs").value_or(0) - before;
    present = incoming - added;
    db_.exec(
        "INSERT OR IGNORE INTO main.sweep_points (sweep_id, point_index, run_id, series, mode) "
        "SELECT (SELECT new_id FROM temp.sweep_map x WHERE x.old_id = p.sweep_id), p.point_index, m.id, p.series, p.mode "
        "FROM src.sweep_points p JOIN src.runs r ON r.id = p.run_id "
        "JOIN main.runs m ON m.config_hash = r.config_hash AND m.calibration_id = r.calibration_id AND m.version = r.version "
        "ORDER BY p.sweep_id, p.point_index");
    db_.exec(
        "INSERT OR IGNORE INTO main.skipped (sweep_id, point_index, label, kind, reason, created_at) "
        "SELECT (SELECT new_id FROM temp.sweep_map x WHERE x.old_id = k.sweep_id), k.point_index, k.label, k.kind, k.reason, "
        "k.created_at FROM src.skipped k ORDER BY k.id");
    tx.commit();
  } catch (const DatabaseCorrupt& e) {
    // SQLite names the main database for errors in an attached one: name both.
    throw DatabaseCorrupt(other_path + " (merging into " + db_.path() + "): " + e.what());
  }
  return {added, present};
}

}  // namespace ddpsim
