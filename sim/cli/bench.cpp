#include "sim/cli/bench.hpp"

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <fmt/format.h>
#include <functional>
#include <queue>
#include <vector>

#include "sim/core/engine.hpp"
#include "sim/core/errors.hpp"
#include "sim/core/json.hpp"
#include "sim/core/rng.hpp"
#include "sim/run/training_run.hpp"

namespace ddpsim {

namespace {

// Hold model: a queue of `queue_size` pending events; each event schedules one successor at an
// exponentially distributed delay (mean 1 us). Measures pure schedule+pop+dispatch cost.
class HoldActor final : public EventHandler {
 public:
  explicit HoldActor(long long limit) : limit_(limit) {
    Rng rng(42, 0);
    for (auto& d : delays_) d = static_cast<Tick>(-std::log(rng.uniform()) * 1000.0) + 1;
  }
  void on_event(Engine& eng, const Event& e) override {
    if (++count_ >= limit_) {
      eng.stop();
      return;
    }
    // Exponential increments (mean 1 us), drawn up front so the benchmark measures the engine.
    eng.schedule_in(delays_[static_cast<std::size_t>(count_) & (kDelays - 1)], this, e.kind(), e.a(), e.b);
  }
  long long count_ = 0;

 private:
  static constexpr std::size_t kDelays = 1 << 16;
  long long limit_;
  std::vector<Tick> delays_ = std::vector<Tick>(kDelays);
};

// The same hold model on a textbook queue: std::priority_queue of (time, sequence, handler)
// entries, dispatch through a virtual call. Measured in the same run, it is the yardstick that
// makes the engine's figure comparable across machines and across the phases of a shared VM.
struct BaselineHandler {
  virtual ~BaselineHandler() = default;
  virtual void on(Tick now) = 0;
};
struct BaselineEntry {
  Tick time;
  std::uint64_t seq;
  BaselineHandler* target;
  bool operator>(const BaselineEntry& o) const { return time != o.time ? time > o.time : seq > o.seq; }
};
class BaselineHold final : public BaselineHandler {
 public:
  explicit BaselineHold(long long limit) : limit_(limit) {
    Rng rng(42, 0);
    for (auto& d : delays_) d = static_cast<Tick>(-std::log(rng.uniform()) * 1000.0) + 1;
  }
  void on(Tick now) override {
    if (++count_ >= limit_) return;
    queue_.push({now + delays_[static_cast<std::size_t>(count_) & (kDelays - 1)], seq_++, this});
  }
  void run(int queue_size) {
    Rng rng(7, 1);
    for (int i = 0; i < queue_size; ++i) queue_.push({static_cast<Tick>(rng.uniform() * 1000.0), seq_++, this});
    while (!queue_.empty() && count_ < limit_) {
      BaselineEntry e = queue_.top();
      queue_.pop();
      e.target->on(e.time);
    }
  }
  long long count_ = 0;

 private:
  static constexpr std::size_t kDelays = 1 << 16;
  long long limit_;
  std::uint64_t seq_ = 0;
  std::vector<Tick> delays_ = std::vector<Tick>(kDelays);
  std::priority_queue<BaselineEntry, std::vector<BaselineEntry>, std::greater<>> queue_;
};

double bench_baseline_hold(long long events, int queue_size) {
  BaselineHold hold(events);
  auto t0 = std::chrono::steady_clock::now();
  hold.run(queue_size);
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return static_cast<double>(hold.count_) / s;
}

struct RefRun {
  const char* name;
  RunConfig cfg;
  double target_s;
};

struct ChildResult {
  double wall_s = 0;
  double peak_rss_mb = 0;
  double events = 0;
  double runtime_h = 0;
};

// Runs one reference simulation in a child process so its peak memory is its own.
ChildResult run_in_child(const RunConfig& cfg) {
  int fds[2];
  if (pipe(fds) != 0) throw IoError("bench: pipe failed");
  pid_t pid = fork();
  if (pid < 0) throw IoError("bench: fork failed");
  if (pid == 0) {
    close(fds[0]);
    ChildResult r;
    try {
      auto t0 = std::chrono::steady_clock::now();
      Scenario s = resolve_scenario(cfg);
      RunResult res = simulate(s, cfg.seed);
      r.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      r.events = static_cast<double>(res.events);
      r.runtime_h = res.runtime_s / 3600.0;
      struct rusage ru {};
      getrusage(RUSAGE_SELF, &ru);
      r.peak_rss_mb = static_cast<double>(ru.ru_maxrss) / 1024.0;
    } catch (...) {
      r.wall_s = -1;
    }
    ssize_t w = write(fds[1], &r, sizeof r);
    close(fds[1]);
    _exit(w == static_cast<ssize_t>(sizeof r) ? 0 : 1);
  }
  close(fds[1]);
  ChildResult r;
  ssize_t got = read(fds[0], &r, sizeof r);
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (got != static_cast<ssize_t>(sizeof r) || r.wall_s < 0) throw ModelError("bench: reference run failed");
  return r;
}

}  // namespace

double bench_hold_model(long long events, int queue_size, double& elapsed_s) {
  Engine eng;
  HoldActor actor(events);
  eng.reserve(static_cast<std::size_t>(queue_size) + 1);
  Rng rng(7, 1);
  for (int i = 0; i < queue_size; ++i) eng.schedule_at(static_cast<Tick>(rng.uniform() * 1000.0), &actor, 0);
  auto t0 = std::chrono::steady_clock::now();
  eng.run();
  elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return static_cast<double>(actor.count_) / elapsed_s;
}

std::string run_bench(const std::string& format, bool quick) {
  double hold_s = 0;
  long long hold_events = quick ? 2'000'000 : 20'000'000;
  // Best of three (the fastest run is the one least disturbed by the rest of the machine).
  double eps = 0, baseline_eps = 0;
  for (int rep = 0; rep < 3; ++rep) {  // alternating, so both see the same phases of the machine
    double s = 0;
    double e = bench_hold_model(hold_events, 1024, s);
    if (e > eps) {
      eps = e;
      hold_s = s;
    }
    baseline_eps = std::max(baseline_eps, bench_baseline_hold(hold_events, 1024));
  }

  std::vector<RefRun> refs;
  {
    RunConfig a;
    a.workload = "resnet50"; a.hardware = "a100"; a.gpus = 256; a.lbs = 256; a.epochs = 100;
    refs.push_back({"resnet50_n256_lbs256_100ep", a, 2.0});
    RunConfig b;
    b.workload = "resnet50"; b.hardware = "a100"; b.gpus = 16; b.gbs = 256; b.epochs = 100;
    refs.push_back({"resnet50_n16_gbs256_100ep", b, 20.0});
    RunConfig ab = a;
    ab.overrides = {{"nccl.model", "alpha_beta"}};
    refs.push_back({"resnet50_n256_lbs256_100ep_alpha_beta", ab, 2.0});
    RunConfig c;
    c.workload = "fourcastnet"; c.phase = "pretrain"; c.hardware = "a100"; c.gpus = 64; c.lbs = 1; c.epochs = 80;
    refs.push_back({"fourcastnet_pretrain_n64_lbs1_80ep", c, 10.0});
    // The scale targets, with rank classes (README "Scale"; every rank simulated: scale.sh).
    RunConfig d = a;
    d.gpus = 16384;
    d.rank_classes = true;
    refs.push_back({"resnet50_n16384_lbs256_100ep_rank_classes", d, 10.0});
    RunConfig e = d;
    e.gpus = 65536;
    refs.push_back({"resnet50_n65536_lbs256_100ep_rank_classes", e, 60.0});
    RunConfig f = c;
    f.gpus = 4096;
    f.rank_classes = true;
    refs.push_back({"fourcastnet_pretrain_n4096_lbs1_80ep_rank_classes", f, 10.0});
  }
  std::vector<ChildResult> full, tenth;
  for (auto& r : refs) {
    if (quick) r.cfg.epochs = std::max(1, r.cfg.epochs / 20);
    full.push_back(run_in_child(r.cfg));
    RunConfig shorter = r.cfg;
    shorter.epochs = std::max(1, r.cfg.epochs / 10);
    tenth.push_back(run_in_child(shorter));
  }

  if (format == "json") {
    JsonWriter j;
    j.begin_object();
    j.value("version", DDPSIM_VERSION);
    j.value("events_per_second", eps);
    j.value("baseline_priority_queue_events_per_second", baseline_eps).value("engine_over_baseline", eps / baseline_eps);
    j.begin_object("hold_model").value("events", hold_events).value("queue_size", 1024LL).value("elapsed_s", hold_s).end_object();
    j.begin_object("reference_runs_s");
    for (std::size_t i = 0; i < refs.size(); ++i) j.value(refs[i].name, full[i].wall_s);
    j.end_object();
    j.begin_object("reference_runs");
    for (std::size_t i = 0; i < refs.size(); ++i) {
      j.begin_object(refs[i].name);
      j.value("epochs", static_cast<long long>(refs[i].cfg.epochs));
      j.value("wall_s", full[i].wall_s).value("target_s", refs[i].target_s);
      j.value("events", full[i].events).value("events_per_second", full[i].events / full[i].wall_s);
      j.value("simulated_runtime_h", full[i].runtime_h);
      j.value("peak_rss_mb", full[i].peak_rss_mb);
      j.value("peak_rss_mb_at_one_tenth_epochs", tenth[i].peak_rss_mb);
      j.end_object();
    }
    j.end_object();
    j.value("fabric_vs_alpha_beta_time_ratio", full[0].wall_s / full[2].wall_s);
    j.value("quick", quick);
    j.end_object();
    return j.str();
  }
  std::string out = fmt::format("engine hold model: {:.3g} events/s ({} events, queue 1024, best of 3)\n", eps, hold_events);
  out += fmt::format("baseline (std::priority_queue, same events, same run): {:.3g} events/s; engine / baseline {:.2f}x\n", baseline_eps,
                     eps / baseline_eps);
  for (std::size_t i = 0; i < refs.size(); ++i) {  // reference names are ASCII constants: fmt's width is printf's there
    out += fmt::format("{:<50} {:>7.2f} s (target < {:.0f} s), {:.3g} events, peak RSS {:.1f} MB ({:.1f} MB at 1/10 epochs)\n", refs[i].name,
                       full[i].wall_s, refs[i].target_s, full[i].events, full[i].peak_rss_mb, tenth[i].peak_rss_mb);
  }
  out += fmt::format("fabric model / alpha-beta model wall time (ResNet50, 256 GPUs): {:.2f}x\n", full[0].wall_s / full[2].wall_s);
  return out;
}

}  // namespace ddpsim
