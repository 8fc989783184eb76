#pragma once
// FNV-1a, 64 bit: a small, stable, platform-independent hash for content and configuration
// fingerprints (not for security).
#include <fmt/format.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace ddpsim {

constexpr std::uint64_t fnv1a64(std::string_view data, std::uint64_t h = 14695981039346656037ull) {
  for (unsigned char c : data) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

/// 64-bit finaliser (MurmurHash3 fmix64): spreads the bits of a key (ECMP picks, signatures).
constexpr std::uint64_t mix64(std::uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  x ^= x >> 33;
  return x;
}

/// 16 lower-case hex digits.
inline std::string hex64(std::uint64_t v) {
  return fmt::format("{:016x}", v);
}

}  // namespace ddpsim
