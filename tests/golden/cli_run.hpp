#pragma once
// Helpers of the golden CLI tests: run the ddpsim binary as a user does (through the shell, in a
// per-process temporary directory), read files, compare with or regenerate a golden file
// (DDPSIM_UPDATE_GOLDEN=1).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace ddpsim_test {

struct Result {
  int code;
  std::string out, err;
};

inline std::filesystem::path temp_dir() {
  static std::filesystem::path dir = [] {
    auto d = std::filesystem::temp_directory_path() / ("ddpsim_cli_" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    return d;
  }();
  return dir;
}

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline Result cli(const std::string& args) {
  std::filesystem::path out = temp_dir() / "stdout", err = temp_dir() / "stderr";
  std::string cmd = std::string("'") + DDPSIM_BINARY + "' " + args + " >'" + out.string() + "' 2>'" + err.string() + "'";
  int status = std::system(cmd.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(out), slurp(err)};
}

inline void check_golden(const std::string& name, const std::string& actual) {
  std::filesystem::path golden = std::filesystem::path(DDPSIM_TEST_DIR) / "golden" / "data" / name;
  const char* update = std::getenv("DDPSIM_UPDATE_GOLDEN");
  if (update && std::string(update) == "1") {
    std::ofstream(golden, std::ios::binary) << actual;
    GTEST_SKIP() << "updated " << golden;
  }
  ASSERT_TRUE(std::filesystem::exists(golden)) << golden << " missing: run with DDPSIM_UPDATE_GOLDEN=1";
  EXPECT_EQ(slurp(golden), actual) << "output differs from " << golden;
}

}  // namespace ddpsim_test
