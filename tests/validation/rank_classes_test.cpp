// Rank classes (RunConfig::rank_classes, `run --rank-classes`): one node simulated, each of its
// ranks standing for the same local rank of every node. Without jitter every node behaves alike,
// so the results must equal the exact simulation (up to floating-point summation order); with the
// compute jitter, each step's straggler comes from the order statistics of the jitter and the
// results agree within the stated tolerances (the eval-pass barrier stragglers are not modelled).
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "sim/core/errors.hpp"
#include "sim/core/rng.hpp"
#include "sim/run/rank_classes.hpp"
#include "sim/run/training_run.hpp"
#include "tests/unit/run_helpers.hpp"

namespace ddpsim {
namespace {

RunConfig config(const std::string& workload, const std::string& hw, int gpus, long long lbs, int epochs,
                 std::vector<std::pair<std::string, std::string>> overrides = {}) {
  return make_config(workload, "", hw, gpus, lbs, epochs, std::move(overrides));
}

struct Pair {
  RunResult exact, classes;
};

Pair both(RunConfig c, std::uint64_t seed = 1) {
  Scenario exact = resolve_scenario(c);
  c.rank_classes = true;
  Scenario classes = resolve_scenario(c);
  return {simulate(exact, seed), simulate(classes, seed)};
}

double rel(double a, double b) { return std::fabs(a - b) / std::max(std::fabs(b), 1e-300); }

void expect_same(const RunResult& a, const RunResult& b, double tol) {
  EXPECT_LE(rel(a.runtime_s, b.runtime_s), tol);
  EXPECT_LE(rel(a.gpu_hours, b.gpu_hours), tol);
  for (int c = 0; c < kComponents; ++c) EXPECT_LE(rel(a.energy_j[c], b.energy_j[c]), tol) << component_name(static_cast<Component>(c));
  for (int p = 0; p < kPhases; ++p) {
    EXPECT_NEAR(a.phase_time_s[p] / (a.runtime_s * a.gpu_hours), b.phase_time_s[p] / (b.runtime_s * b.gpu_hours), tol)
        << phase_name(static_cast<Phase>(p));
  }
  EXPECT_LE(rel(a.mean_gpu_power_w, b.mean_gpu_power_w), tol);
  EXPECT_EQ(a.steps, b.steps);
  EXPECT_EQ(a.samples_trained, b.samples_trained);
  EXPECT_EQ(a.cpu_sockets, b.cpu_sockets);
}

TEST(RankClasses, ExactWithoutJitterOnNodeLocalStorage) {
  // ResNet50 reads from node-local NVMe: 16 nodes, one simulated.
  Pair p = both(config("resnet50", "a100", 64, 256, 1, {{"compute.jitter_cv", "0"}}));
  EXPECT_EQ(p.classes.simulated_ranks, 4);
  EXPECT_EQ(p.classes.rank_class_size, 16);
  EXPECT_EQ(p.exact.simulated_ranks, 64);
  EXPECT_LT(p.classes.events * 10, p.exact.events);
  expect_same(p.classes, p.exact, 1e-9);
}

TEST(RankClasses, ExactWithoutJitterOnTheSharedFileSystem) {
  // FourCastNet reads from the shared file system: one simulated node's reads count 8 times
  // over in its bandwidth share, as the 8 nodes' reads do in the exact run.
  for (const char* hw : {"a100", "h100"}) {
    Pair p = both(config("fourcastnet", hw, 32, 1, 1, {{"compute.jitter_cv", "0"}}));
    EXPECT_EQ(p.classes.rank_class_size, 8) << hw;
    expect_same(p.classes, p.exact, 1e-9);
  }
}

TEST(RankClasses, OneNodeIsSimulatedExactly) {
  // A job on one node has nothing to aggregate: bit-identical results.
  Pair p = both(config("resnet50", "a100", 4, 256, 1));
  EXPECT_EQ(p.classes.rank_class_size, 1);
  EXPECT_EQ(p.classes.runtime_s, p.exact.runtime_s);
  EXPECT_EQ(p.classes.energy_total_j, p.exact.energy_total_j);
}

TEST(RankClasses, StragglersFromOrderStatisticsMatchTheExactRun) {
  // With the calibrated compute jitter (cv 0.02), every training step waits for the slowest of
  // 256 ranks. Means over seeds: exposed communication (which is that wait) within 5 %, runtime
  // within 0.2 % and energy within 0.1 %.
  RunConfig c = config("resnet50", "a100", 256, 256, 1);
  double comm[2] = {0, 0}, time[2] = {0, 0}, energy[2] = {0, 0};
  const int seeds = 4;
  for (int k = 0; k < seeds; ++k) {
    Pair p = both(c, 1 + static_cast<std::uint64_t>(k));
    const RunResult* r[2] = {&p.exact, &p.classes};
    for (int i = 0; i < 2; ++i) {
      comm[i] += r[i]->phase_time_s[static_cast<int>(Phase::Communication)] / seeds;
      time[i] += r[i]->runtime_s / seeds;
      energy[i] += r[i]->energy_total_j / seeds;
    }
  }
  EXPECT_GT(comm[0], 0);
  EXPECT_LE(rel(comm[1], comm[0]), 0.05);
  EXPECT_LE(rel(time[1], time[0]), 0.002);
  EXPECT_LE(rel(energy[1], energy[0]), 0.001);
  // Without the order statistics (every class's straggler taken as its representative) the
  // exposed communication would be far smaller: the wait is for the slowest of 256 ranks.
  RunConfig no_jitter = config("resnet50", "a100", 256, 256, 1, {{"compute.jitter_cv", "0"}});
  RunResult flat = simulate(resolve_scenario(no_jitter), 1);
  EXPECT_GT(comm[1], 3 * flat.phase_time_s[static_cast<int>(Phase::Communication)]);
}

TEST(RankClasses, EvaluationPassStragglersAtSixteenThousandGpus) {
  // 16 384 GPUs, one epoch: every evaluation pass has one or two batches per rank, and the exact
  // run's end-of-pass barrier waits for the slowest of 16 384 jittered sums. Measured over these
  // 3 seeds: +0.089 % runtime with the eval-pass order statistics, -0.128 % without them. Rank
  // classes spread 0.16 % per run in runtime (one node's draws), so 3 seeds cannot tell the
  // two apart; this bound (0.15 %) guards the approximation as a whole.
  RunConfig c = config("resnet50", "a100", 16384, 256, 1);
  double time[2] = {0, 0}, energy[2] = {0, 0};
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    Pair p = both(c, seed);
    time[0] += p.exact.runtime_s, time[1] += p.classes.runtime_s;
    energy[0] += p.exact.energy_total_j, energy[1] += p.classes.energy_total_j;
  }
  EXPECT_LE(rel(time[1], time[0]), 0.0015) << time[1] / time[0] - 1;
  // Energy spreads more over seeds with rank classes (0.23 % per run: one node's jitter draws
  // stand for every node's), so its bound is three standard errors of the 3-seed mean.
  EXPECT_LE(rel(energy[1], energy[0]), 0.004) << energy[1] / energy[0] - 1;
}

TEST(RankClasses, LoaderJitterIsRefused) {
  RunConfig c = config("resnet50", "a100", 64, 256, 1, {{"loader.jitter_cv", "0.1"}});
  c.rank_classes = true;
  try {
    resolve_scenario(c);
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("loader.jitter_cv"), std::string::npos) << e.what();
  }
}

TEST(OrderStatistics, InverseNormalCdf) {
  EXPECT_NEAR(Rng::inverse_normal_cdf(0.5), 0.0, 1e-15);
  EXPECT_NEAR(Rng::inverse_normal_cdf(0.975), 1.959963984540054, 1e-13);
  EXPECT_NEAR(Rng::inverse_normal_cdf(0.025), -1.959963984540054, 1e-13);
  EXPECT_NEAR(Rng::inverse_normal_cdf(0.8413447460685429), 1.0, 1e-12);
  EXPECT_NEAR(Rng::inverse_normal_cdf(1e-10), -6.361340902404056, 1e-9);
  EXPECT_NEAR(Rng::inverse_normal_cdf(1.0 - 1e-6), 4.753424308817089, 1e-8);
}

TEST(OrderStatistics, JitterMaxIsTheMaximumOfKDraws) {
  // Mean and spread of the order-statistics draw against the maximum of k explicit draws.
  const double cv = 0.05;
  EXPECT_EQ(Rng(1, 0).jitter_max(0.0, 100), 1.0);
  EXPECT_EQ(Rng(1, 0).jitter_max(cv, 0), 1.0);
  for (long long k : {1LL, 7LL, 255LL}) {
    Rng a(3, 1), b(3, 2);
    const int n = 20000;
    double sum_a = 0, sum_b = 0, sq_a = 0, sq_b = 0;
    for (int i = 0; i < n; ++i) {
      double m = 0;
      for (long long j = 0; j < k; ++j) m = std::max(m, a.jitter(cv));
      double o = b.jitter_max(cv, k);
      sum_a += m, sq_a += m * m, sum_b += o, sq_b += o * o;
    }
    double mean_a = sum_a / n, mean_b = sum_b / n;
    double sd_a = std::sqrt(sq_a / n - mean_a * mean_a), sd_b = std::sqrt(sq_b / n - mean_b * mean_b);
    // Standard error of each mean ~ sd / sqrt(n) ~ 3e-4 x cv-scale: 5 standard errors.
    EXPECT_NEAR(mean_b, mean_a, 5 * sd_a / std::sqrt(n) * std::sqrt(2.0)) << "k = " << k;
    EXPECT_NEAR(sd_b, sd_a, 0.05 * sd_a) << "k = " << k;
  }
  // E[max of 255 standard normals] = 2.8256 (the integral of x n phi(x) Phi(x)^(n-1), n = 255): the lognormal's normal score follows it.
  Rng c(9, 9);
  double sum_z = 0;
  const double sigma = std::sqrt(std::log1p(cv * cv));
  for (int i = 0; i < 20000; ++i) sum_z += (std::log(c.jitter_max(cv, 255)) + 0.5 * sigma * sigma) / sigma;
  EXPECT_NEAR(sum_z / 20000, 2.8256, 0.01);
}

}  // namespace
}  // namespace ddpsim

namespace ddpsim {
namespace {

TEST(RankClassPlan, OneNodeStandsForEveryNodeBeyondOne) {
  RunConfig c = config("resnet50", "a100", 64, 256, 1);
  c.rank_classes = true;
  RankClassPlan p = RankClassPlan::from_scenario(resolve_scenario(c));
  EXPECT_TRUE(p.on);
  EXPECT_EQ(p.simulated_nodes, 1);
  EXPECT_EQ(p.simulated_ranks, 4);
  EXPECT_EQ(p.class_size, 16);
  EXPECT_DOUBLE_EQ(p.jitter_cv, 0.02);  // the shipped calibration's compute.jitter_cv
  c.gpus = 2;  // part of one node: nothing to aggregate
  RankClassPlan one = RankClassPlan::from_scenario(resolve_scenario(c));
  EXPECT_FALSE(one.on);
  EXPECT_EQ(one.simulated_ranks, 2);
  EXPECT_EQ(one.class_size, 1);
}

TEST(RankClassPlan, StepStragglerFromTheOrderStatistics) {
  RankClassPlan plan;
  Rng a(7, 7), b(7, 7);
  // Off (one node simulated as itself): the representative's own time, no draw.
  EXPECT_EQ(step_straggler_gpu_s(plan, 0.5, 1.1, a), 0.5);
  plan.on = true;
  plan.class_size = 9;
  plan.jitter_cv = 0;  // no jitter: every member alike
  EXPECT_EQ(step_straggler_gpu_s(plan, 0.5, 1.0, a), 0.5);
  plan.jitter_cv = 0.05;
  // 0.5 s with jitter 1.25 is 0.4 s unjittered; the slowest of the 8 others is 0.4 s x their
  // largest factor, unless the representative itself is slower.
  const double slowest = 0.4 * b.jitter_max(0.05, 8);
  EXPECT_DOUBLE_EQ(step_straggler_gpu_s(plan, 0.5, 1.25, a), std::max(0.5, slowest));
  EXPECT_GE(step_straggler_gpu_s(plan, 0.5, 1.25, a), 0.5);
}

TEST(RankClassPlan, EvalStragglerDelayByHand) {
  // Batches of 0.3 s and 0.4 s back to back: sqrt(0.09 + 0.16) = 0.5 s; cv 0.1 and z = 2: the
  // slowest member is 0.1 s late; the representative itself ran 0.03 s long: 0.07 s more.
  EXPECT_NEAR(eval_straggler_delay_s(0.1, 0.25, 0.03, 2.0), 0.07, 1e-15);
  // A representative slower than the class's slowest draw: nothing to wait for.
  EXPECT_EQ(eval_straggler_delay_s(0.1, 0.25, 0.2, 2.0), 0.0);
  EvalStreak streak;
  streak.add(0.3, 0.31);
  streak.add(0.4, 0.42);
  RankClassPlan plan;
  plan.on = true;
  plan.class_size = 2;  // one other member: z is a single standard normal draw
  plan.jitter_cv = 0.1;
  Rng a(5, 5), b(5, 5);
  const double z = b.normal_max(1);
  EXPECT_NEAR(streak.straggler_delay_s(plan, a), std::max(0.0, 0.1 * 0.5 * z - 0.03), 1e-12);
  streak.restart();  // waited for data: nothing adds up
  EXPECT_EQ(streak.straggler_delay_s(plan, a), 0.0);
  plan.on = false;
  streak.add(0.3, 0.5);
  EXPECT_EQ(streak.straggler_delay_s(plan, a), 0.0);
}

}  // namespace
}  // namespace ddpsim
