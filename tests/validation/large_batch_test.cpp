// The large-batch model (sim/large_batch.hpp) and its fits (calibration/large_batch_fit.hpp):
// recovery of known parameters from synthetic data, the Zeus hold-out error, and what the
// shipped calibration says for ResNet50 and FourCastNet.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>

#include "calibration/large_batch_fit.hpp"
#include "sim/provenance/calibration_file.hpp"
#include "sim/core/catalog.hpp"

using namespace ddpsim;

TEST(LargeBatch, FitRecoversKnownParametersFromSyntheticData) {
  const TargetMetric top1{"top1", true, 1};
  const double b_noise = 700, e_min = 12, k = 2.5, ref = 0.6;
  std::vector<EpochPoint> pts;
  std::mt19937 rng(7);
  std::normal_distribution<double> scatter(0, 0.03);
  for (double b : {8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096}) {
    for (double m : {0.6, 0.55, 0.5}) {
      double e = e_min * std::pow(top1.distance(m) / top1.distance(ref), -k) * (1 + b / b_noise);
      double noise = std::exp(scatter(rng));  // 3 % log-normal scatter, seeded
      pts.push_back({b, m, e * noise, 0.03, 5});
    }
  }
  LargeBatchFitResult f = fit_epoch_curve(pts, top1, ref);
  EXPECT_NEAR(f.b_noise, b_noise, 3 * f.se_b_noise);
  EXPECT_NEAR(f.e_min, e_min, 3 * f.se_e_min);
  EXPECT_NEAR(f.exponent, k, 3 * f.se_exponent);
  EXPECT_LT(std::fabs(f.b_noise / b_noise - 1), 0.1);
  EXPECT_LT(std::fabs(f.e_min / e_min - 1), 0.05);
  EXPECT_LT(std::fabs(f.exponent / k - 1), 0.1);
  EXPECT_GT(f.se_b_noise, 0);
  // Noise-free data: exact.
  for (auto& p : pts) p.epochs = e_min * std::pow(top1.distance(p.target) / top1.distance(ref), -k) * (1 + p.batch / b_noise);
  f = fit_epoch_curve(pts, top1, ref);
  EXPECT_NEAR(f.b_noise, b_noise, 1e-3 * b_noise);
  EXPECT_NEAR(f.e_min, e_min, 1e-3 * e_min);
  EXPECT_NEAR(f.exponent, k, 1e-3 * k);
}

TEST(LargeBatch, FitRecoversAKnownSmallBatchKnee) {
  // E = E_min (1 + B / B_noise) (1 + B_small / B): at B = B_small the epochs double.
  EXPECT_DOUBLE_EQ(epochs_at_gbs(10, 1000, 40, 40), 10 * (1 + 0.04) * 2);
  EXPECT_DOUBLE_EQ(epochs_at_gbs(10, 1000, 40), 10.4);
  const TargetMetric top1{"top1", true, 1};
  const double b_noise = 700, e_min = 12, k = 2.5, ref = 0.6, b_small = 40;
  std::vector<EpochPoint> pts;
  for (double b : {8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096}) {
    for (double m : {0.6, 0.55, 0.5}) {
      pts.push_back({b, m, epochs_at_gbs(e_min * std::pow(top1.distance(m) / top1.distance(ref), -k), b_noise, b, b_small), 0.03, 5});
    }
  }
  LargeBatchFitResult f = fit_epoch_curve(pts, top1, ref);
  EXPECT_NEAR(f.b_small, b_small, 1e-3 * b_small);
  EXPECT_NEAR(f.b_noise, b_noise, 1e-3 * b_noise);
  EXPECT_NEAR(f.e_min, e_min, 1e-3 * e_min);
  // Without the term the fit cannot follow the small batches.
  LargeBatchFitResult g = fit_epoch_curve(pts, top1, ref, false);
  EXPECT_EQ(g.b_small, 0);
  EXPECT_GT(g.rms_log_residual, 10 * f.rms_log_residual + 0.05);
}

TEST(LargeBatch, ZeusHoldOutMapePerWorkload) {
  // Each batch size held out in turn (all its targets), refit, predict epochs to the reference
  // target (the hardest one every run of every batch size reached). README reports these.
  auto rows = read_zeus_train_csv(data_dir() + "/experiments/reference/zeus-nsdi23/summary_train.csv");
  auto curves = zeus_epoch_curves(rows);
  ASSERT_EQ(curves.size(), 6u);
  fmt::print("{:<32} {:<12} {:>8} {:>9} {:>12} {:>8}  worst batch\n", "workload", "target", "MAPE", "vs mean", "no B_small", "points");
  int within = 0, better = 0;
  for (const auto& c : curves) {
    auto ho = hold_out_batch_sizes(c);
    const double without = mape(hold_out_batch_sizes(c, false));
    better += mape(ho) < without - 1e-3;
    double m = mape(ho), worst = 0, worst_b = 0;
    for (const auto& r : ho) {
      if (r.ape() > worst) {
        worst = r.ape();
        worst_b = r.batch;
      }
    }
    const std::string tgt = fmt::format("{}={:.6g}", c.metric.name, c.target_ref);
    fmt::print("{:<32} {:<12} {:>7.1f}% {:>8.1f}% {:>11.1f}% {:>8}  {:.6g} ({:.0f} %)\n", c.dataset + "/" + c.network, tgt, 100 * m,
               100 * mape_vs_mean(ho), 100 * without, ho.size(), worst_b, 100 * worst);
    within += m <= 0.15;
    EXPECT_LT(m, 0.25) << c.dataset << "/" << c.network;  // regression bound; README states which meet 15 %
  }
  EXPECT_GE(within, 5);
  // The small-batch term helps where the small batches need more epochs (CIFAR-100, ImageNet,
  // NCF) and changes little elsewhere.
  EXPECT_GE(better, 3);
}

TEST(LargeBatch, NeighbourInterpolationByHand) {
  // Epochs double per doubling of the batch: log-log interpolation is exact, inside and at the ends.
  EpochCurve c;
  c.target_ref = 0.5;
  for (double b : {8.0, 16.0, 32.0, 64.0}) c.points.push_back({b, 0.5, b * 1.25, 0.05, 5, b * 1.25});
  c.points.push_back({16, 0.4, 99, 0.05, 5, 99});  // another target: ignored
  auto rows = neighbour_interpolation(c);
  ASSERT_EQ(rows.size(), 4u);
  for (const auto& r : rows) EXPECT_NEAR(r.ape(), 0, 1e-12) << r.batch;
  // Batch 16 measured at 30 instead of 20: inside, sqrt(10 x 40) = 20 predicted (1/3 off); at the
  // end, batch 8 is extrapolated from 16 and 32: 30^2 / 40 = 22.5 against 10; batch 32 from 16
  // and 64: sqrt(30 x 80) against 40; batch 64 from 16 and 32: 40^2 / 30 against 80.
  c.points[1].epochs = 30;
  rows = neighbour_interpolation(c);
  EXPECT_NEAR(rows[1].predicted, 20, 1e-9);
  EXPECT_NEAR(rows[1].ape(), 1.0 / 3, 1e-12);
  EXPECT_NEAR(rows[0].predicted, 22.5, 1e-9);
  EXPECT_NEAR(rows[3].predicted, 1600.0 / 30, 1e-9);
  // Fewer than three batch sizes: no baseline.
  EpochCurve two;
  two.target_ref = 0.5;
  two.points = {c.points[0], c.points[1]};
  EXPECT_TRUE(neighbour_interpolation(two).empty());
  EXPECT_NEAR(mape(rows), (1.25 + 1.0 / 3 + (std::sqrt(30.0 * 80) / 40 - 1) + 1.0 / 3) / 4, 1e-12);
}

TEST(LargeBatch, ZeusHoldOutPerReferenceTargetAndTheDataRoughness) {
  // The hold-out of ZeusHoldOutMapePerWorkload for the hardest reached target (rank 0) and the
  // next easier ones, next to the model-free neighbour interpolation at the same target: where
  // that baseline itself misses by more than 15 %, the measured epochs jump between neighbouring
  // batch sizes by more than any smooth epochs-over-batch curve can follow. README reports these.
  auto rows = read_zeus_train_csv(data_dir() + "/experiments/reference/zeus-nsdi23/summary_train.csv");
  fmt::print("{:<32} {:>5} {:<16} {:>8} {:>14}\n", "workload", "rank", "target", "model", "interpolation");
  std::map<std::string, std::vector<std::pair<double, double>>> by_workload;  // rank order: (model, interpolation)
  for (int rank = 0; rank < 4; ++rank) {
    for (const auto& c : zeus_epoch_curves(rows, 3, rank)) {
      if (c.targets.size() < 3) continue;  // the difficulty exponent needs three targets
      const double model = mape(hold_out_batch_sizes(c)), interp = mape(neighbour_interpolation(c));
      fmt::print("{:<32} {:>5} {:<16} {:>7.1f}% {:>13.1f}%\n", c.dataset + "/" + c.network, rank,
                 fmt::format("{}={:.6g}", c.metric.name, c.target_ref), 100 * model, 100 * interp);
      by_workload[c.dataset].push_back({model, interp});
    }
  }
  const auto& cifar = by_workload.at("cifar100");
  ASSERT_GE(cifar.size(), 3u);
  // CIFAR-100 at its hardest reached target (top-1 0.55): the model misses 15 %, and so does the
  // model-free baseline: the data there are rough (batch 256 needs 21 epochs, 128 and 512 13 and 23).
  EXPECT_GT(cifar[0].first, 0.15);
  EXPECT_GT(cifar[0].second, 0.15);
  // Even in-sample, the model fitted to all ten batch sizes at 0.55 alone misses by over 10 %.
  for (const auto& c : zeus_epoch_curves(rows, 1)) {
    if (c.dataset != "cifar100") continue;
    LargeBatchFitResult f = fit_epoch_curve(c.points, c.metric, c.target_ref);
    double in_sample = 0;
    for (const auto& p : c.points) in_sample += std::fabs(epochs_at_gbs(f.e_min, f.b_noise, p.batch, f.b_small) / p.epochs - 1);
    in_sample /= static_cast<double>(c.points.size());
    fmt::print("cifar100 at top1={:.6g}: in-sample MAPE of the fit to that target alone {:.1f} %\n", c.target_ref, 100 * in_sample);
    EXPECT_GT(in_sample, 0.10);
  }
  // One step easier (0.5, 0.45) both the model and its hold-out meet 15 %.
  EXPECT_LE(cifar[1].first, 0.15);
  EXPECT_LE(cifar[2].first, 0.15);
  // ImageNet: the model beats the baseline at the reference target (the small-batch knee and the
  // large-batch rise are global shapes that two neighbours cannot see).
  const auto& imagenet = by_workload.at("imagenet");
  EXPECT_LT(imagenet[0].first, imagenet[0].second);
}

TEST(LargeBatch, ShippedCalibrationResNet50AndFourCastNet) {
  Calibration cal = load_calibration(default_calibration_path());
  const ParamSet* rn = cal.large_batch("resnet50", "train");
  ASSERT_NE(rn, nullptr);
  const TargetMetric top1{"top1", true, 1};
  // The fact: at GBS 8192 the 100-epoch schedule reaches the small-batch top-1; at 65536 not.
  TargetPlan p8k = plan_target(*rn, top1, 0.72, 8192, 100);
  ASSERT_TRUE(p8k.reachable);
  EXPECT_NEAR(p8k.epochs_model, 100, 5);
  EXPECT_FALSE(plan_target(*rn, top1, 0.72, 65536, 100).reachable);
  EXPECT_NEAR(plan_target(*rn, top1, 0.58, 65536, 100).epochs_model, 100, 5);
  // Epochs (so energy at constant LBS) nearly flat below 8192, steep above.
  double e4k = plan_target(*rn, top1, 0.72, 4096, 100).epochs_model, e16k = plan_target(*rn, top1, 0.72, 16384, 100).epochs_model;
  EXPECT_LT(p8k.epochs_model / e4k, 1.3);
  EXPECT_GT(e16k / p8k.epochs_model, 1.35);
  const TargetMetric rmse{"z500_rmse", false, 0};
  for (const char* ph : {"pretrain", "finetune"}) {
    const ParamSet* f = cal.large_batch("fourcastnet", ph);
    ASSERT_NE(f, nullptr) << ph;
    int epochs = std::string(ph) == "pretrain" ? 80 : 50;
    double e16 = plan_target(*f, rmse, 1.0, 16, epochs).epochs_model, e64 = plan_target(*f, rmse, 1.0, 64, epochs).epochs_model;
    double e128 = plan_target(*f, rmse, 1.0, 128, epochs).epochs_model;
    EXPECT_GT(e128 / e64, 1.3) << ph;  // steep beyond GBS 64
    EXPECT_LT(e16, e64) << ph;
    EXPECT_FALSE(plan_target(*f, rmse, 1.0, 1024, epochs).reachable) << ph;
  }
}
