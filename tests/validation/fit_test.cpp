// The least-squares fitter on problems solvable by hand: a linear model with a known standard
// error, and the batched Jacobian path giving exactly the single-point result.
#include <gtest/gtest.h>

#include <cmath>

#include "calibration/fit.hpp"

namespace ddpsim {
namespace {

// y_k = a * x_k observed with relative sigma s: in log space r_k = (log a + log x_k - log y_k) / s
// is linear in z = log a, so the fit is exact and var(z) = 1 / (n / s^2 + 1 / sd_prior^2).
std::vector<double> log_linear_residuals(const std::vector<double>& v) {
  const double xs[] = {1, 2, 4, 8};
  const double a_true = 3.0, s = 0.05;
  std::vector<double> r;
  for (double x : xs) r.push_back((std::log(v[0] * x) - std::log(a_true * x)) / s);
  return r;
}

TEST(Fit, LogLinearProblemGivesTheHandStandardError) {
  FitParameter a{"a", 2.0, 1.0, 1e-3, 1e3};
  FitResult fr = fit_least_squares({a}, ResidualFunction(log_linear_residuals), {2.0});
  // The prior (log 2, sd log 2) pulls z towards log 2 with weight 1/sd^2 against 4/0.05^2.
  const double w_data = 4 / (0.05 * 0.05), sd = std::log1p(1.0), w_prior = 1 / (sd * sd);
  const double z_hat = (w_data * std::log(3.0) + w_prior * std::log(2.0)) / (w_data + w_prior);
  ASSERT_EQ(fr.values.size(), 1u);
  EXPECT_NEAR(std::log(fr.values[0]), z_hat, 1e-6);
  ASSERT_EQ(fr.covariance_log.size(), 1u);
  EXPECT_NEAR(fr.covariance_log[0], 1 / (w_data + w_prior), 1e-9);
  EXPECT_NEAR(fr.stderrs[0], fr.values[0] * std::sqrt(1 / (w_data + w_prior)), 1e-9);
}

TEST(Fit, BatchedJacobianGivesExactlyTheSinglePointFit) {
  // Two coupled parameters, nonlinear: r = (log(p0 * x + p1 * x^2) - log y) / sigma.
  auto single = [](const std::vector<double>& v) {
    std::vector<double> r;
    for (double x : {0.5, 1.0, 2.0, 3.0, 5.0}) r.push_back((std::log(v[0] * x + v[1] * x * x) - std::log(1.5 * x + 0.25 * x * x)) / 0.02);
    return r;
  };
  int batches = 0;
  std::size_t largest = 0;
  BatchResidualFunction batch = [&](const std::vector<std::vector<double>>& pts) {
    ++batches;
    largest = std::max(largest, pts.size());
    std::vector<std::vector<double>> out;
    for (const auto& v : pts) out.push_back(single(v));
    return out;
  };
  std::vector<FitParameter> ps = {{"p0", 1.0, 1.0, 1e-3, 1e3}, {"p1", 1.0, 1.0, 1e-3, 1e3}};
  FitResult a = fit_least_squares(ps, ResidualFunction(single), {1.0, 1.0});
  FitResult b = fit_least_squares(ps, batch, {1.0, 1.0});
  ASSERT_EQ(a.values.size(), 2u);
  for (std::size_t k = 0; k < 2; ++k) {
    EXPECT_EQ(a.values[k], b.values[k]);
    EXPECT_EQ(a.stderrs[k], b.stderrs[k]);
  }
  EXPECT_EQ(a.covariance_log, b.covariance_log);
  EXPECT_EQ(a.evaluations, b.evaluations);
  EXPECT_NEAR(b.values[0], 1.5, 0.05);
  EXPECT_EQ(largest, 2u);          // a Jacobian's two columns came as one batch
  EXPECT_LT(batches, b.evaluations);  // fewer calls than evaluations
}

}  // namespace
}  // namespace ddpsim
