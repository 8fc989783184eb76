// Running a sweep: check every point, skip what is stored, simulate the rest in parallel, store
// each result as it completes.
#include "sim/sweep/sweep.hpp"

#include <atomic>
#include <chrono>
#include <cmath>
#include <exception>
#include <fmt/format.h>
#include <iostream>
#include <mutex>
#include <optional>
#include <ostream>
#include <set>
#include <thread>
#include <unordered_map>

#include "sim/core/errors.hpp"
#include "sim/core/limits.hpp"
#include "sim/uncertainty/interval.hpp"

namespace ddpsim {

// ----------------------------------------------------------------------------------------------
// Running
// ----------------------------------------------------------------------------------------------

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

std::string hms(double s) {
  if (!(s >= 0) || s > 1e8) return "?";
  auto t = static_cast<long long>(std::llround(s));
  if (t >= 3600) return fmt::format("{}:{:02}:{:02}", t / 3600, t / 60 % 60, t % 60);
  return fmt::format("{}:{:02}", t / 60, t % 60);
}

/// Runs fn(i) for i in [0, n) on `jobs` threads; the first exception stops the others and is
/// rethrown after all threads joined.
template <typename F>
void parallel_for(std::size_t n, int jobs, F fn) {
  std::atomic<std::size_t> next{0};
  std::atomic<bool> stop{false};
  std::exception_ptr error;
  std::mutex error_mutex;
  auto worker = [&] {
    for (;;) {
      if (stop.load()) return;
      std::size_t i = next.fetch_add(1);
      if (i >= n) return;
      try {
        fn(i);
      } catch (...) {
        std::lock_guard lock(error_mutex);
        if (!error) error = std::current_exception();
        stop = true;
      }
    }
  };
  std::size_t threads = std::min<std::size_t>(static_cast<std::size_t>(std::max(1, jobs)), n);
  std::vector<std::thread> pool;
  for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
  if (n > 0) worker();
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
}

class Progress {
 public:
  Progress(std::ostream* out, ProgressStyle style, std::size_t total)
      : out_(style == ProgressStyle::None ? nullptr : out), bar_(style == ProgressStyle::Bar), total_(total), t0_(Clock::now()) {}

  void done(const std::string& what) {
    if (!out_) return;
    std::lock_guard lock(m_);
    ++done_;
    double elapsed = seconds_since(t0_);
    double rate = elapsed > 0 ? static_cast<double>(done_) / elapsed : 0;
    double eta = rate > 0 ? static_cast<double>(total_ - done_) / rate : -1;
    if (bar_) {
      constexpr int kWidth = 30;
      int filled = total_ ? static_cast<int>(kWidth * done_ / total_) : kWidth;
      std::string bar(static_cast<std::size_t>(filled), '#');
      bar.resize(kWidth, '.');
      *out_ << fmt::format("\r[{}] {}/{} {:>3.0f}%  {:.2f} points/s  ETA {}   ", bar, done_, total_,
                           total_ ? 100.0 * static_cast<double>(done_) / static_cast<double>(total_) : 100.0, rate, hms(eta))
            << std::flush;
    } else {
      *out_ << fmt::format("[{}/{}] ", done_, total_) << what << " (ETA " << hms(eta) << ")\n" << std::flush;
    }
  }

  void finish() {
    if (out_ && bar_ && done_ > 0) *out_ << "\n" << std::flush;
  }

 private:
  std::ostream* out_;
  bool bar_;
  std::size_t total_, done_ = 0;
  Clock::time_point t0_;
  std::mutex m_;
};

struct Planned {
  const SweepPoint* point = nullptr;
  std::string label, hash, series, reason;
  std::vector<std::string> warnings;  // calibration transfers and defaults of this point
  bool valid = false;
};

// One sweep being run, phase by phase: plan (resolve every point of the shard), triage (invalid,
// duplicate, already stored), simulate the rest in parallel, link every point to its run.
class SweepRun {
 public:
  SweepRun(const SweepSpec& spec, ResultsStore& store, const SweepOptions& opt, const Calibration& cal)
      : spec_(spec), store_(store), opt_(opt), cal_(cal), out_(opt.out) {}

  SweepReport run() {
    const auto t0 = Clock::now();
    rep_.total = static_cast<long long>(spec_.points.size());
    plan();
    warn_transfers();
    store_.record_calibration(cal_);
    const SweepRecord rec{spec_.name, spec_.file, spec_.spec_hash, std::to_string(opt_.shard.index) + "/" + std::to_string(opt_.shard.count),
                          cal_.id, opt_.command, opt_.jobs};
    rep_.sweep_id = store_.begin_sweep(rec);
    triage();
    print_plan(rec.shard);
    simulate_all();
    link_points();
    store_.finish_sweep(rep_.sweep_id, rep_, rep_.failed > 0 ? "failed" : "done");
    rep_.wall_s = seconds_since(t0);
    print_done();
    return rep_;
  }

 private:
  // The points of this shard, each resolved against the calibration (in parallel: resolving reads
  // the catalogs); a point that does not resolve is kept with its reason.
  void plan() {
    for (const auto& p : spec_.points) {
      if (static_cast<int>(p.index % static_cast<std::size_t>(opt_.shard.count)) != opt_.shard.index) continue;
      Planned pl;
      pl.point = &p;
      pl.label = point_label(p);
      plan_.push_back(std::move(pl));
    }
    rep_.in_shard = static_cast<long long>(plan_.size());
    parallel_for(plan_.size(), opt_.jobs, [&](std::size_t i) {
      Planned& pl = plan_[i];
      try {
        Scenario s = resolve_scenario(pl.point->config, cal_);
        pl.hash = config_hash(s);
        pl.series = series_key(*pl.point, s);
        pl.warnings = s.calibration_warnings;
        pl.valid = true;
      } catch (const InputError& e) {
        pl.reason = e.what();
      }
    });
  }

  // No silent fallback: each transferred or default calibration is said once, on stderr.
  void warn_transfers() const {
    std::set<std::string> said;
    for (const auto& pl : plan_) {
      for (const auto& w : pl.warnings) {
        if (said.insert(w).second) std::cerr << "ddpsim: warning: " << escape_controls(w) << "\n";
      }
    }
  }

  // Invalid points are reported and recorded; duplicates and stored points are not simulated.
  void triage() {
    std::unordered_map<std::string, std::size_t> first_of;
    for (std::size_t i = 0; i < plan_.size(); ++i) {
      Planned& pl = plan_[i];
      if (!pl.valid) {
        ++rep_.invalid;
        rep_.skipped.push_back(pl.label + ": " + pl.reason);
        store_.record_skipped(rep_.sweep_id, static_cast<long long>(pl.point->index), pl.label, "invalid", pl.reason);
        continue;
      }
      if (!first_of.emplace(pl.hash, i).second) {  // equal to an earlier point: linked to its run below
        ++rep_.duplicates;
        continue;
      }
      if (store_.find_run(pl.hash, cal_.id)) {
        ++rep_.stored_before;
      } else {
        todo_.push_back(i);
      }
    }
  }

  void print_plan(const std::string& shard) const {
    if (!out_) return;
    std::ostream& out = *out_;
    out << "sweep " << spec_.name << ": " << rep_.total << " points";
    if (opt_.shard.count > 1) out << ", shard " << shard << ": " << rep_.in_shard;
    out << "; " << rep_.invalid << " invalid (skipped), " << rep_.duplicates << " duplicate, " << rep_.stored_before << " already stored, "
        << todo_.size() << " to run with " << opt_.jobs << (opt_.jobs == 1 ? " thread" : " threads") << " (calibration " << cal_.id
        << ", ddpsim " << DDPSIM_VERSION << ")\n";
    if (!rep_.skipped.empty()) {
      out << "skipped " << rep_.invalid << " invalid point" << (rep_.invalid == 1 ? "" : "s") << ":\n";
      for (std::size_t k = 0; k < rep_.skipped.size() && k < opt_.max_listed_skips; ++k) out << "  " << rep_.skipped[k] << "\n";
      if (rep_.skipped.size() > opt_.max_listed_skips) {
        out << "  ... and " << rep_.skipped.size() - opt_.max_listed_skips << " more (table 'skipped', sweep id " << rep_.sweep_id << ")\n";
      }
    }
    out << std::flush;
  }

  // Simulates every point to run. One connection, used under a lock; each result is committed on
  // its own. A database failure ends the sweep as 'error' and is rethrown.
  void simulate_all() {
    Progress progress(out_, opt_.progress, todo_.size());
    auto settle = [&] {
      progress.finish();
      rep_.ran = ran_;
      rep_.reused = reused_;
      rep_.failed = failed_;
    };
    try {
      parallel_for(todo_.size(), opt_.jobs, [&](std::size_t k) { simulate_one(plan_[todo_[k]], progress); });
    } catch (...) {
      settle();
      try {
        store_.finish_sweep(rep_.sweep_id, rep_, "error");
      } catch (const Error&) {
        // The original failure matters more.
      }
      throw;
    }
    settle();
  }

  // A point that fails to simulate (or to get its interval) is recorded as 'failed' and counted.
  void record_failure(const Planned& pl, const std::string& what, Progress& progress) {
    std::lock_guard lock(store_mutex_);
    store_.record_skipped(rep_.sweep_id, static_cast<long long>(pl.point->index), pl.label, "failed", what);
    rep_.skipped.push_back(pl.label + ": failed: " + what);
    ++failed_;
    progress.done(pl.label + ": FAILED: " + what);
  }

  void simulate_one(const Planned& pl, Progress& progress) {
    RunKey key{pl.hash, scaling_mode_name(pl.point->mode), pl.series, overrides_text(pl.point->config), rep_.sweep_id,
               static_cast<long long>(pl.point->index), 0};
    {
      std::lock_guard lock(store_mutex_);
      if (store_.find_run(pl.hash, cal_.id)) {  // another process stored it meanwhile
        ++reused_;
        progress.done(pl.label + ": stored meanwhile by another writer");
        return;
      }
    }
    Scenario s = resolve_scenario(pl.point->config, cal_);
    const auto ts = Clock::now();
    RunResult r;
    try {
      r = simulate(s, s.config.seed);
    } catch (const Error& e) {
      record_failure(pl, e.what(), progress);
      return;
    }
    std::optional<IntervalResult> iv;
    if (s.config.interval_level > 0) {
      try {
        IntervalOptions io;
        io.level = s.config.interval_level;
        io.seed = s.config.seed;
        iv = predict_interval(pl.point->config, cal_, r, io);
      } catch (const Error& e) {
        record_failure(pl, std::string("interval: ") + e.what(), progress);
        return;
      }
    }
    key.sim_wall_s = seconds_since(ts);
    bool inserted = false;
    {
      std::lock_guard lock(store_mutex_);
      inserted = store_.insert_run(s, r, key, iv ? &*iv : nullptr).second;
    }
    ++(inserted ? ran_ : reused_);
    progress.done(pl.label + ": " + fmt::format("{:.4g} h, {:.4g} kWh ({:.3g} s)", r.runtime_s / 3600.0, r.energy_total_j / 3.6e6, key.sim_wall_s));
  }

  // Records the run of every valid point (also those stored before, duplicates and reused runs).
  void link_points() {
    Transaction tx(store_.db());
    for (const auto& pl : plan_) {
      if (!pl.valid) continue;
      if (auto id = store_.find_run(pl.hash, cal_.id)) {
        store_.link_point(*id, RunKey{pl.hash, scaling_mode_name(pl.point->mode), pl.series, "", rep_.sweep_id,
                                      static_cast<long long>(pl.point->index), 0});
      }
    }
    tx.commit();
  }

  void print_done() const {
    if (!out_) return;
    *out_ << "done: " << rep_.ran << " run, " << rep_.stored_before + rep_.reused + rep_.duplicates << " reused, " << rep_.invalid
          << " invalid skipped, " << rep_.failed << " failed in " << fmt::format("{:.2f}", rep_.wall_s) << " s";
    if (rep_.ran > 0) *out_ << " (" << fmt::format("{:.2f}", static_cast<double>(rep_.ran) / rep_.wall_s) << " points/s)";
    *out_ << "\n" << std::flush;
  }

  const SweepSpec& spec_;
  ResultsStore& store_;
  const SweepOptions& opt_;
  const Calibration& cal_;
  std::ostream* out_;
  SweepReport rep_;
  std::vector<Planned> plan_;
  std::vector<std::size_t> todo_;
  std::mutex store_mutex_;
  std::atomic<long long> ran_{0}, reused_{0}, failed_{0};
};

}  // namespace

SweepReport run_sweep(const SweepSpec& file_spec, ResultsStore& store, const SweepOptions& opt) {
  // --full-fidelity: every point simulates every epoch, whatever the file's fast_forward says.
  SweepSpec full_spec;
  if (opt.full_fidelity) {
    full_spec = file_spec;
    for (auto& p : full_spec.points) p.config.fast_forward_epochs = 0;
  }
  const SweepSpec& spec = opt.full_fidelity ? full_spec : file_spec;
  const std::string cal_path = !opt.calibration.empty() ? opt.calibration
                               : !spec.calibration.empty() ? spec.calibration
                                                           : default_calibration_path();
  const Calibration cal = load_calibration(cal_path);
  return SweepRun(spec, store, opt, cal).run();
}

}  // namespace ddpsim
