#include "calibration/fit.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>

#include "sim/core/errors.hpp"

namespace ddpsim {

namespace {

struct Evaluated {
  Eigen::VectorXd r;  // data residuals followed by prior residuals
  double cost = 0;
};

}  // namespace

FitResult fit_least_squares(const std::vector<FitParameter>& params, const ResidualFunction& fn,
                            const std::vector<double>& start_si, const LmOptions& opt) {
  BatchResidualFunction batch = [&fn](const std::vector<std::vector<double>>& points) {
    std::vector<std::vector<double>> out;
    out.reserve(points.size());
    for (const auto& v : points) out.push_back(fn(v));
    return out;
  };
  return fit_least_squares(params, batch, start_si, opt);
}

FitResult fit_least_squares(const std::vector<FitParameter>& params, const BatchResidualFunction& fn,
                            const std::vector<double>& start_si, const LmOptions& opt) {
  const auto p = static_cast<Eigen::Index>(params.size());
  if (start_si.size() != params.size()) throw ModelError("internal: start vector size mismatch");
  Eigen::VectorXd lo(p), hi(p), mu(p), sd(p), z(p);
  for (Eigen::Index i = 0; i < p; ++i) {
    const auto& fp = params[static_cast<std::size_t>(i)];
    if (!(fp.prior > 0) || !(fp.lower > 0) || !(fp.upper > fp.lower)) {
      throw ModelError("fit parameter '" + fp.label + "' needs positive prior and bounds");
    }
    lo(i) = std::log(fp.lower);
    hi(i) = std::log(fp.upper);
    mu(i) = std::log(fp.prior);
    sd(i) = std::log1p(std::max(1e-6, fp.prior_rel_sd));
    z(i) = std::clamp(std::log(std::max(start_si[static_cast<std::size_t>(i)], 1e-300)), lo(i), hi(i));
  }
  FitResult res;
  auto to_si = [&](const Eigen::VectorXd& zz) {
    std::vector<double> v(static_cast<std::size_t>(p));
    for (Eigen::Index i = 0; i < p; ++i) v[static_cast<std::size_t>(i)] = std::exp(zz(i));
    return v;
  };
  auto finish = [&](const Eigen::VectorXd& zz, const std::vector<double>& data) {
    Evaluated e;
    e.r.resize(static_cast<Eigen::Index>(data.size()) + p);
    for (std::size_t k = 0; k < data.size(); ++k) {
      if (!std::isfinite(data[k])) throw ModelError("fit: the model produced a non-finite prediction");
      e.r(static_cast<Eigen::Index>(k)) = data[k];
    }
    for (Eigen::Index i = 0; i < p; ++i) e.r(static_cast<Eigen::Index>(data.size()) + i) = (zz(i) - mu(i)) / sd(i);
    e.cost = 0.5 * e.r.squaredNorm();
    return e;
  };
  auto evaluate_many = [&](const std::vector<Eigen::VectorXd>& points) {
    std::vector<std::vector<double>> si;
    si.reserve(points.size());
    for (const auto& zz : points) si.push_back(to_si(zz));
    res.evaluations += static_cast<int>(points.size());
    std::vector<std::vector<double>> data = fn(si);
    if (data.size() != points.size()) throw ModelError("internal: batch residual function returned the wrong number of points");
    std::vector<Evaluated> out;
    out.reserve(points.size());
    for (std::size_t k = 0; k < points.size(); ++k) out.push_back(finish(points[k], data[k]));
    return out;
  };
  auto evaluate = [&](const Eigen::VectorXd& zz) { return std::move(evaluate_many({zz}).front()); };
  auto jacobian = [&](const Eigen::VectorXd& zz, const Evaluated& at) {
    // Forward differences; all columns in one batch (a simulator evaluates them in parallel).
    std::vector<Eigen::VectorXd> points;
    std::vector<double> steps;
    for (Eigen::Index i = 0; i < p; ++i) {
      Eigen::VectorXd z2 = zz;
      double h = opt.log_step;
      if (z2(i) + h > hi(i)) h = -h;  // step inwards at the upper bound
      z2(i) += h;
      points.push_back(std::move(z2));
      steps.push_back(h);
    }
    std::vector<Evaluated> cols = evaluate_many(points);
    Eigen::MatrixXd J(at.r.size(), p);
    for (Eigen::Index i = 0; i < p; ++i) J.col(i) = (cols[static_cast<std::size_t>(i)].r - at.r) / steps[static_cast<std::size_t>(i)];
    return J;
  };

  Evaluated cur = evaluate(z);
  double lambda = 1e-2;
  Eigen::MatrixXd J;
  for (res.iterations = 0; res.iterations < opt.max_iterations; ++res.iterations) {
    J = jacobian(z, cur);
    Eigen::MatrixXd A = J.transpose() * J;
    Eigen::VectorXd g = J.transpose() * cur.r;
    bool improved = false;
    for (int tries = 0; tries < 12; ++tries) {
      Eigen::MatrixXd M = A;
      for (Eigen::Index i = 0; i < p; ++i) M(i, i) += lambda * std::max(A(i, i), 1e-12);
      Eigen::VectorXd step = M.ldlt().solve(-g);
      Eigen::VectorXd z2 = (z + step).cwiseMax(lo).cwiseMin(hi);
      Evaluated e2 = evaluate(z2);
      if (e2.cost < cur.cost) {
        double rel = (cur.cost - e2.cost) / std::max(cur.cost, 1e-300);
        z = z2;
        cur = e2;
        lambda = std::max(lambda / 3.0, 1e-9);
        improved = true;
        if (rel < opt.tolerance) res.converged = true;
        break;
      }
      lambda *= 4.0;
    }
    if (!improved) {
      res.converged = true;  // no descent direction left at this scale: a (local) minimum
      break;
    }
    if (res.converged) break;
  }
  // Standard errors from the Jacobian at the optimum (fixed parameters at a bound get the prior's).
  J = jacobian(z, cur);
  Eigen::MatrixXd cov = (J.transpose() * J).ldlt().solve(Eigen::MatrixXd::Identity(p, p));
  res.values = to_si(z);
  res.covariance_log.assign(cov.data(), cov.data() + p * p);  // symmetric: row- and column-major agree
  {
    Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> Jr = J;
    res.jacobian.assign(Jr.data(), Jr.data() + Jr.size());
  }
  res.stderrs.resize(static_cast<std::size_t>(p));
  for (Eigen::Index i = 0; i < p; ++i) {
    double var = cov(i, i);
    res.stderrs[static_cast<std::size_t>(i)] = std::exp(z(i)) * std::sqrt(std::max(0.0, var));
  }
  res.cost = cur.cost;
  const auto n_data = cur.r.size() - p;
  res.residuals.assign(cur.r.data(), cur.r.data() + n_data);
  return res;
}

}  // namespace ddpsim
