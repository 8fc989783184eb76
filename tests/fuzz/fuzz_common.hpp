#pragma once
// Shared by the fuzz targets (libFuzzer): the readers take a path, so each input is written to
// one file in a per-process temporary directory (in $DDPSIM_FUZZ_TMPDIR, else /dev/shm where there
// is one) and read back; a finding aborts before the exit handler removes it.
// Library errors (ddpsim::Error and its subclasses) are the expected answer to bad input and are
// swallowed; anything else that escapes (std::bad_alloc, another std::exception, YAML::Exception)
// aborts, so libFuzzer records it as a finding, as it does crashes and sanitizer reports.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>

#include "sim/core/errors.hpp"

namespace ddpsim::fuzz {

/// A directory of this process, removed at exit. The path is never freed: the exit handler
/// runs after the destructors of function-local statics constructed before it was registered.
inline const std::string& temp_dir() {
  static const std::string* const dir = [] {
    const char* env = std::getenv("DDPSIM_FUZZ_TMPDIR");  // run_fuzzers.sh: removed after each target
    std::string base = env && *env ? std::string(env)
                       : std::filesystem::is_directory("/dev/shm") ? std::string("/dev/shm")
                                                                   : std::filesystem::temp_directory_path().string();
    auto* path = new std::string(base + "/ddpsim-fuzz-XXXXXX");
    if (!mkdtemp(path->data())) {
      std::perror("mkdtemp");
      std::abort();
    }
    return path;
  }();
  static const bool cleanup = [] {
    return std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(*dir, ec);
    }) == 0;
  }();
  (void)cleanup;
  return *dir;
}

/// Writes the input to temp_dir()/name and returns the path.
inline std::string write_input(const uint8_t* data, size_t size, const std::string& name) {
  std::string path = temp_dir() + "/" + name;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  out.close();
  if (!out) {
    std::perror(path.c_str());
    std::abort();
  }
  return path;
}

/// Runs `parse`; ddpsim::Error is an accepted outcome, any other exception a finding.
template <typename F>
void expect_only_library_errors(F&& parse) {
  try {
    parse();
  } catch (const Error&) {
    // bad input, reported as such
  } catch (const std::exception& e) {
    std::fprintf(stderr, "FINDING: exception outside ddpsim::Error: %s\n", e.what());
    std::abort();
  } catch (...) {
    std::fprintf(stderr, "FINDING: non-std exception\n");
    std::abort();
  }
}

}  // namespace ddpsim::fuzz
