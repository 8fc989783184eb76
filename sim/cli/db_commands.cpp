#include "sim/cli/db_commands.hpp"

#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <optional>
#include <thread>

#include "sim/cli/cli_options.hpp"
#include "sim/core/atomic_file.hpp"
#include "sim/core/errors.hpp"
#include "sim/core/limits.hpp"
#include "sim/core/units.hpp"
#include "sim/store/query.hpp"
#include "sim/store/results_store.hpp"
#include "sim/sweep/sweep.hpp"

namespace ddpsim::cli {

namespace {
std::string joined(const char* cmd, const std::vector<std::string>& args) {
  std::string out = std::string("ddpsim ") + cmd;
  for (const auto& a : args) out += " " + a;
  return out;
}
}  // namespace

int cmd_sweep(const std::vector<std::string>& args) {
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  po::options_description desc(
      "ddpsim sweep FILE --db DB: run every point of a sweep file and store each result in a results database\n"
      "(resumable: points already stored for the same config hash, calibration and ddpsim version are skipped)\n\noptions");
  desc.add_options()
      ("help,h", "this help")
      ("file", po::value<std::string>(), "sweep file (YAML; see experiments/sweeps/example.yaml)")
      ("db", po::value<std::string>(), "results database (SQLite; created if missing)")
      ("jobs,j", po::value<std::string>()->default_value(std::to_string(cores)), "simulations run in parallel threads")
      ("full-fidelity", "simulate every epoch even where the sweep file asks for fast_forward")
      ("yes", "run a sweep of more than limit.sweep_points_without_yes (10000) points")
      ("shard", po::value<std::string>()->default_value("0/1"), "run slice i of N (i = 0..N-1): point k belongs to shard k % N")
      ("calibration", po::value<std::string>(), "calibration YAML (default: the sweep file's, else the shipped one)")
      ("progress", po::value<std::string>()->default_value("auto"), "auto | bar | lines | none (auto: a bar with ETA on a terminal, else a line per point)");
  po::positional_options_description pos;
  pos.add("file", 1);
  auto vm = parse(args, desc, &pos);
  if (vm.count("help")) {
    std::cout << desc
              << "\nexamples:\n  ddpsim sweep experiments/sweeps/whatif.yaml --db results.db --jobs 4\n"
                 "  ddpsim sweep big.yaml --db shard$SLURM_ARRAY_TASK_ID.db --shard $SLURM_ARRAY_TASK_ID/8   "
                 "# then: ddpsim merge all.db shard*.db\n";
    return 0;
  }
  if (!vm.count("file")) throw InputError("ddpsim sweep needs a sweep file (see 'ddpsim sweep --help')");
  if (!vm.count("db")) throw InputError("missing --db (the results database to write)");
  SweepOptions opt;
  opt.jobs = static_cast<int>(std::min(4096LL, parse_positive("--jobs", vm["jobs"].as<std::string>())));
  opt.full_fidelity = vm.count("full-fidelity") > 0;
  opt.shard = parse_shard(vm["shard"].as<std::string>());
  if (vm.count("calibration")) opt.calibration = vm["calibration"].as<std::string>();
  std::string progress = vm["progress"].as<std::string>();
  if (progress != "auto" && progress != "bar" && progress != "lines" && progress != "none") {
    throw InputError("--progress must be auto, bar, lines or none (got '" + progress + "')");
  }
  bool bar = progress == "bar" || (progress == "auto" && ::isatty(STDOUT_FILENO));
  opt.progress = progress == "none" ? ProgressStyle::None : bar ? ProgressStyle::Bar : ProgressStyle::Lines;
  opt.out = &std::cout;
  opt.command = joined("sweep", args);

  // Everything that can be wrong with the input is checked before the database is touched.
  SweepSpec spec = load_sweep_file(vm["file"].as<std::string>());
  if (!opt.calibration.empty()) {
    load_calibration(opt.calibration);
  } else if (!spec.calibration.empty()) {
    load_calibration(spec.calibration);  // the sweep file's own: a missing one must not leave an empty database
  }
  const long long confirm = limit_of(Limit::kSweepConfirm);
  long long planned = static_cast<long long>(spec.points.size());
  long long mine = (planned - opt.shard.index + opt.shard.count - 1) / opt.shard.count;
  if (mine > confirm && !vm.count("yes")) {
    throw InputError(vm["file"].as<std::string>() + " plans " + std::to_string(planned) + " points (" + std::to_string(mine) +
                     " in this shard), more than limit.sweep_points_without_yes = " + std::to_string(confirm) +
                     "; check the grid, then run again with --yes (or split it with --shard i/N)");
  }
  ResultsStore store(vm["db"].as<std::string>(), ResultsStore::Access::ReadWrite);
  store.verify_on_open();  // a resumed sweep reuses what is stored: it must be intact
  SweepReport rep = run_sweep(spec, store, opt);
  if (rep.failed > 0) {
    throw ModelError(std::to_string(rep.failed) + " point(s) failed to simulate (listed in table 'skipped', sweep id " +
                     std::to_string(rep.sweep_id) + "); the other results are stored");
  }
  return 0;
}

int cmd_merge(const std::vector<std::string>& args) {
  po::options_description desc("ddpsim merge OUT.db IN.db...: copy the runs, sweeps and calibrations of results databases into OUT.db\n"
                               "(created if missing; runs already in OUT.db are kept)\n\noptions");
  desc.add_options()("help,h", "this help")("databases", po::value<std::vector<std::string>>(), "OUT.db IN.db...");
  po::positional_options_description pos;
  pos.add("databases", -1);
  auto vm = parse(args, desc, &pos);
  if (vm.count("help")) {
    std::cout << desc << "\nexample:\n  ddpsim merge results.db shard0.db shard1.db shard2.db\n";
    return 0;
  }
  auto dbs = vm.count("databases") ? vm["databases"].as<std::vector<std::string>>() : std::vector<std::string>{};
  if (dbs.size() < 2) throw InputError("ddpsim merge needs an output database and at least one input: ddpsim merge OUT.db IN.db...");
  // Every input is opened and verified (quick_check, checksums) before the output is touched.
  for (std::size_t i = 1; i < dbs.size(); ++i) check_results_database(dbs[i]);
  const std::string& target = dbs[0];
  std::error_code ec;
  const bool exists = std::filesystem::exists(target, ec);
  if (exists) {
    if (!std::filesystem::is_regular_file(target, ec)) throw InputError(target + ": not a regular file");
    for (std::size_t i = 1; i < dbs.size(); ++i) {
      if (std::filesystem::equivalent(target, dbs[i], ec)) throw InputError(dbs[i] + ": cannot merge a database into itself");
    }
  } else {
    check_output_target(target, "merge output");
  }
  // A new output is built in a temporary beside it and renamed when every input is merged: a
  // failed merge leaves no output file. An existing output gets one transaction per input.
  const std::string path = exists ? target : temp_path_beside(target);
  struct RemoveUnlessDone {
    std::string path;
    bool done = false;
    ~RemoveUnlessDone() {
      if (done || path.empty()) return;
      std::error_code e;
      for (const char* suffix : {"", "-wal", "-shm", "-journal"}) std::filesystem::remove(path + suffix, e);
    }
  } cleanup{exists ? std::string() : path};
  long long total = 0;
  std::vector<std::string> lines;
  {
    ResultsStore out(path, ResultsStore::Access::ReadWrite);
    if (exists) out.verify_on_open();
    for (std::size_t i = 1; i < dbs.size(); ++i) {
      auto [added, present] = out.merge_from(dbs[i], false);
      lines.push_back(dbs[i] + ": " + std::to_string(added) + " new run" + (added == 1 ? "" : "s") + ", " + std::to_string(present) +
                      " already present");
    }
    total = out.db().scalar_int("SELECT COUNT(*) FROM runs").value_or(0);
  }  // closed: the write-ahead log is checkpointed into the file before it is renamed
  if (!exists) {
    std::filesystem::rename(path, target, ec);
    if (ec) throw IoError(target + ": cannot create it (" + ec.message() + ")");
    cleanup.done = true;
  }
  for (const auto& l : lines) std::cout << l << "\n";
  std::cout << target << ": " << total << " runs\n";
  return 0;
}

namespace {

po::options_description query_options() {
  po::options_description desc(
      "ddpsim query --db DB (\"SQL\" | --best METRIC [--deadline T] | --pareto | --scaling): ask a results database\n"
      "(opened read-only: a query never modifies it)\n\noptions");
  desc.add_options()
      ("help,h", "this help")
      ("db", po::value<std::string>(), "results database")
      ("sql", po::value<std::string>(), "one SQL statement (tables runs, sweeps, sweep_points, calibrations, skipped; views run_series, scaling, pareto)")
      ("best", po::value<std::string>(), "canned: the best configurations by energy | time | gpu_hours (seeds averaged), ranked within groups that do the same work (workload, phase, training samples, epochs or target; column 'work')")
      ("deadline", po::value<std::string>(), "with --best: only configurations whose runtime is within this time, e.g. 24h")
      ("limit", po::value<std::string>()->default_value("10"), "with --best: rows shown per group")
      ("pareto", "canned: the time vs energy Pareto frontier per workload/phase/epochs/dataset")
      ("scaling", "canned: speed-up and parallel efficiency vs the smallest n of each series")
      ("workload", po::value<std::string>(), "canned questions: only this workload")
      ("phase", po::value<std::string>(), "canned questions: only this phase")
      ("hardware", po::value<std::string>(), "canned questions: only this hardware")
      ("sweep", po::value<std::string>(), "canned questions: only runs of the sweeps with this name")
      ("format", po::value<std::string>()->default_value("table"), "table | csv | json | codecarbon (one row per run with CodeCarbon's emissions.csv columns; filters apply)");
  return desc;
}

// --workload/--phase/--hardware/--sweep of the canned questions (and of --format codecarbon).
QueryFilter query_filter(const po::variables_map& vm) {
  QueryFilter filter;
  if (vm.count("workload")) filter.workload = vm["workload"].as<std::string>();
  if (vm.count("phase")) filter.phase = vm["phase"].as<std::string>();
  if (vm.count("hardware")) filter.hardware = vm["hardware"].as<std::string>();
  if (vm.count("sweep")) filter.sweep = vm["sweep"].as<std::string>();
  return filter;
}

// The statement and its bound values: the user's SQL, or the canned question asked.
std::pair<std::string, std::vector<std::string>> query_statement(const po::variables_map& vm, const QueryFilter& filter, bool codecarbon) {
  if (codecarbon) return codecarbon_query(filter);
  if (vm.count("sql")) return {vm["sql"].as<std::string>(), {}};
  if (vm.count("pareto")) return pareto_query(filter);
  if (vm.count("scaling")) return scaling_query(filter);
  std::optional<double> deadline_h;
  if (vm.count("deadline")) {
    try {
      deadline_h = parse_duration_s(vm["deadline"].as<std::string>()) / 3600.0;
    } catch (const InputError& e) {
      throw InputError(std::string("--deadline: ") + e.what());
    }
    if (*deadline_h <= 0) throw InputError("--deadline must be positive");
  }
  return best_query(vm["best"].as<std::string>(), deadline_h, filter, parse_positive("--limit", vm["limit"].as<std::string>()));
}

// A filter value that no stored run has is a typo more often than a question: say so, with the
// closest stored value.
void check_filter_value(ResultsStore& store, const char* flag, const char* column, const std::string& value, const char* from) {
  if (value.empty()) return;
  QueryResult have = run_query(store.db(), std::string("SELECT DISTINCT ") + column + " FROM " + from + " ORDER BY 1", {});
  std::vector<std::string> names;
  for (const auto& row : have.rows) {
    if (!row.empty() && row[0].type == QueryCell::Type::Text) names.push_back(row[0].s);
  }
  if (std::find(names.begin(), names.end(), value) != names.end()) return;
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
  throw InputError(std::string("--") + flag + ": no stored " + (std::string(from) == "runs" ? "run" : "sweep") + " has " + column + " " + quote_user(value) +
                   did_you_mean(value, names) + (names.empty() ? std::string("; the database holds no runs") : "; stored: " + list));
}

// Runs the statement under limit.query_seconds; a runaway query is stopped and said so.
QueryResult run_bounded(ResultsStore& store, const std::pair<std::string, std::vector<std::string>>& q) {
  const long long seconds = limit_of(Limit::kQuerySeconds);
  store.db().set_time_limit(static_cast<double>(seconds));
  try {
    return run_query(store.db(), q.first, q.second);
  } catch (const SqliteError& e) {
    if (e.code() != SQLITE_INTERRUPT) throw;
    throw InputError("the query ran longer than " + std::to_string(seconds) + " s (limit.query_seconds) and was stopped");
  }
}

}  // namespace

int cmd_query(const std::vector<std::string>& args) {
  po::options_description desc = query_options();
  po::positional_options_description pos;
  pos.add("sql", 1);
  auto vm = parse(args, desc, &pos);
  if (vm.count("help")) {
    std::cout << desc
              << "\nexamples:\n  ddpsim query --db results.db \"SELECT workload, hardware, gpus, runtime_h, energy_kwh_total FROM runs\"\n"
                 "  ddpsim query --db results.db --best energy --deadline 24h --workload resnet50\n"
                 "  ddpsim query --db results.db --pareto --format csv\n"
                 "  ddpsim query --db results.db --format codecarbon --workload resnet50 > emissions.csv\n";
    return 0;
  }
  if (!vm.count("db")) throw InputError("missing --db (the results database to read)");
  int asked = static_cast<int>(vm.count("sql") + vm.count("best") + vm.count("pareto") + vm.count("scaling"));
  QueryFormat format = parse_query_format(vm["format"].as<std::string>());
  bool codecarbon = format == QueryFormat::CodeCarbon;
  if (codecarbon && asked != 0) {
    throw InputError("--format codecarbon writes the runs themselves: give no SQL statement, --best, --pareto or --scaling (filter with --workload/--phase/--hardware/--sweep)");
  }
  if (!codecarbon && asked != 1) throw InputError("give exactly one of: an SQL statement, --best, --pareto, --scaling");
  const QueryFilter filter = query_filter(vm);
  bool filtered = vm.count("workload") || vm.count("phase") || vm.count("hardware") || vm.count("sweep");
  if (vm.count("sql") && filtered) {
    throw InputError("--workload/--phase/--hardware/--sweep go with --best, --pareto or --scaling (write a WHERE clause instead)");
  }
  if (vm.count("deadline") && !vm.count("best")) throw InputError("--deadline goes with --best");
  if (!vm["limit"].defaulted() && !vm.count("best")) throw InputError("--limit goes with --best");

  const auto q = query_statement(vm, filter, codecarbon);
  ResultsStore store(vm["db"].as<std::string>(), ResultsStore::Access::ReadOnly);
  store.verify_on_open();
  check_filter_value(store, "workload", "workload", filter.workload, "runs");
  check_filter_value(store, "phase", "phase", filter.phase, "runs");
  check_filter_value(store, "hardware", "hardware", filter.hardware, "runs");
  check_filter_value(store, "sweep", "name", filter.sweep, "sweeps");
  std::cout << format_query_result(run_bounded(store, q), format);
  return 0;
}

int cmd_check(const std::vector<std::string>& args) {
  po::options_description desc(
      "ddpsim check --db DB: verify a results database: PRAGMA integrity_check, then every stored result\n"
      "against its checksum, whatever the file's size (exit 0 intact, 2 damaged)\n\noptions");
  desc.add_options()("help,h", "this help")("db", po::value<std::string>(), "results database");
  auto vm = parse(args, desc);
  if (vm.count("help")) {
    std::cout << desc << "\nexample:\n  ddpsim check --db results.db\n";
    return 0;
  }
  if (!vm.count("db")) throw InputError("missing --db (the results database to check)");
  const std::string path = vm["db"].as<std::string>();
  ResultsStore store(path, ResultsStore::Access::ReadOnly);
  constexpr long long kShown = 100;
  VerifyReport rep = store.verify(true, kShown);
  if (!rep.page_problems.empty()) {
    for (const auto& p : rep.page_problems) std::cout << path << ": integrity_check: " << escape_controls(p) << "\n";
    throw DatabaseCorrupt(path + ": damaged database: integrity_check found " + std::to_string(rep.page_problems.size()) +
                          (rep.page_problems.size() >= kShown ? "+" : "") + " problem(s), the first: " + rep.page_problems.front());
  }
  std::cout << path << ": integrity_check ok\n";
  for (const auto& d : rep.damaged) std::cout << path << ": " << d << "\n";
  std::cout << path << ": " << rep.runs << " run" << (rep.runs == 1 ? "" : "s") << ": " << rep.verified << " verified, "
            << rep.damaged_runs.size() << " damaged, " << rep.unverified
            << " unverified (stored without a checksum by an older ddpsim)\n";
  if (!rep.damaged_runs.empty()) {
    std::string ids;
    for (std::size_t i = 0; i < rep.damaged_runs.size() && i < 10; ++i) ids += (i ? ", " : "") + std::to_string(rep.damaged_runs[i]);
    if (rep.damaged_runs.size() > 10) ids += ", ...";
    throw DatabaseCorrupt(path + ": damaged database: " + std::to_string(rep.damaged_runs.size()) + " of " + std::to_string(rep.runs) +
                          " stored results do not match their checksums (run " + ids + ")");
  }
  return 0;
}

}  // namespace ddpsim::cli
