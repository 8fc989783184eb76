#pragma once
// Bounded, prior-regularised weighted least squares (Levenberg-Marquardt) with a numerical
// Jacobian, for fitting simulator parameters with the simulator in the loop.
//
// Parameters are fitted in log space (all are positive physical quantities); each has a
// log-normal prior (datasheet/public-fact value and a relative spread) that enters as an extra
// residual, and hard bounds. The caller's residuals are already divided by their uncertainty
// (relative errors / sigma), so the covariance of the log-parameters is (J^T J)^-1 at the
// optimum (J including the prior rows) and standard errors follow by the delta method.
#include <functional>
#include <string>
#include <vector>

namespace ddpsim {

struct FitParameter {
  std::string label;
  double prior = 1;         // SI value
  double prior_rel_sd = 1;  // relative spread of the prior (log-normal sigma ~ log(1 + sd))
  double lower = 1e-300, upper = 1e300;
};

struct LmOptions {
  int max_iterations = 40;
  double log_step = 0.01;    // finite-difference step in log-parameter space
  double tolerance = 1e-7;   // relative cost decrease that counts as converged
};

struct FitResult {
  std::vector<double> values;   // SI
  std::vector<double> stderrs;  // SI (delta method)
  std::vector<double> residuals;  // data residuals at the optimum (without priors)
  double cost = 0;              // 0.5 * sum of squares including priors
  std::vector<double> covariance_log;  // p x p, row-major: covariance of the log-parameters (prior rows included)
  std::vector<double> jacobian;        // (data residuals + p prior rows) x p, row-major, at the optimum (log parameters)
  int iterations = 0;
  int evaluations = 0;
  bool converged = false;
};

using ResidualFunction = std::function<std::vector<double>(const std::vector<double>& values_si)>;
/// Residuals at several parameter points at once (one vector per point, in order): the p
/// columns of a finite-difference Jacobian are evaluated in one call, so a simulator in the loop
/// can run all of them on all cores. Must give exactly what the single-point function would.
using BatchResidualFunction = std::function<std::vector<std::vector<double>>(const std::vector<std::vector<double>>& points_si)>;

FitResult fit_least_squares(const std::vector<FitParameter>& params, const ResidualFunction& residuals,
                            const std::vector<double>& start_si, const LmOptions& options = {});
FitResult fit_least_squares(const std::vector<FitParameter>& params, const BatchResidualFunction& residuals,
                            const std::vector<double>& start_si, const LmOptions& options = {});

}  // namespace ddpsim
