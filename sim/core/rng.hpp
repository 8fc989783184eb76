#pragma once
// Seeded random numbers: xoshiro256** with splitmix64 seeding, and our own normal/lognormal
// so results do not depend on the standard library's distribution implementations.
#include <cmath>
#include <cstdint>

namespace ddpsim {

inline std::uint64_t splitmix64(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

class Rng {
 public:
  /// Independent stream `stream` of seed `seed`.
  Rng(std::uint64_t seed, std::uint64_t stream) {
    std::uint64_t x = seed * 0x9E3779B97F4A7C15ull ^ (stream + 0x632BE59BD9B4E019ull);
    for (auto& w : s_) w = splitmix64(x);
  }
  std::uint64_t next() {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  /// Uniform in (0, 1).
  double uniform() { return (static_cast<double>(next() >> 11) + 0.5) * 0x1.0p-53; }
  /// Standard normal (Box-Muller, one value per call; deterministic).
  double normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u1 = uniform(), u2 = uniform();
    double r = std::sqrt(-2.0 * std::log(u1));
    spare_ = r * std::sin(6.283185307179586 * u2);
    has_spare_ = true;
    return r * std::cos(6.283185307179586 * u2);
  }
  /// Lognormal factor with mean 1 and coefficient of variation `cv` (1.0 when cv == 0).
  double jitter(double cv) {
    if (cv <= 0.0) return 1.0;
    double sigma2 = std::log1p(cv * cv);
    return std::exp(std::sqrt(sigma2) * normal() - 0.5 * sigma2);
  }
  /// The largest of `k` independent jitter(cv) factors, drawn with one uniform from the order
  /// statistics: the maximum of k draws has CDF F^k, so it is F^-1(U^(1/k)) (1.0 when cv == 0 or
  /// k <= 0). Used for the stragglers of a class of statistically identical ranks.
  double jitter_max(double cv, long long k) {
    if (cv <= 0.0 || k <= 0) return 1.0;
    double sigma2 = std::log1p(cv * cv);
    return std::exp(std::sqrt(sigma2) * normal_max(k) - 0.5 * sigma2);
  }
  /// The largest of `k` >= 1 independent standard normals, from one uniform: Phi^-1(U^(1/k)).
  double normal_max(long long k) {
    // Upper-tail probability of the maximum: 1 - U^(1/k), computed without cancellation for large k.
    double upper = -std::expm1(std::log(uniform()) / static_cast<double>(k < 1 ? 1 : k));
    return -inverse_normal_cdf(upper);
  }

  /// Phi^-1(p) for 0 < p < 1: Acklam's rational approximation refined by one Halley step
  /// (relative error ~1e-15 over the whole range).
  static double inverse_normal_cdf(double p) {
    static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                                   1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
    static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                                   6.680131188771972e+01,  -1.328068155288572e+01};
    static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                                   -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
    static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00};
    constexpr double kLow = 0.02425;
    double x = 0;
    if (p < kLow) {
      double q = std::sqrt(-2.0 * std::log(p));
      x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
    } else if (p <= 1.0 - kLow) {
      double q = p - 0.5, r = q * q;
      x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
          (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0);
    } else {
      double q = std::sqrt(-2.0 * std::log1p(-p));
      x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
    }
    // Halley refinement against the exact CDF.
    double e = 0.5 * std::erfc(-x / 1.4142135623730951) - p;
    double u = e * 2.5066282746310002 * std::exp(0.5 * x * x);
    return x - u / (1.0 + 0.5 * x * u);
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4];
  double spare_ = 0.0;
  bool has_spare_ = false;
};

}  // namespace ddpsim
