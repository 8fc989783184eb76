#pragma once
// A fixture for CLI tests: a fresh temporary directory per test, the ddpsim binary run in it
// through the shell, and a check for "one clear error line, exit code 2".
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace ddpsim_test {
namespace fs = std::filesystem;

struct Outcome {
  int code;
  std::string out, err;
};

class CliDir : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("ddpsim_clidir_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->test_suite_name() + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string file(const std::string& name) const { return (dir_ / name).string(); }
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(file(name), std::ios::binary) << text;
    return file(name);
  }
  Outcome ddpsim(const std::string& args) const {
    std::string out = file("stdout"), err = file("stderr");
    std::string cmd = "cd '" + dir_.string() + "' && '" + DDPSIM_BINARY + "' " + args + " >'" + out + "' 2>'" + err + "'";
    int status = std::system(cmd.c_str());
    auto slurp = [](const std::string& p) {
      std::ifstream in(p, std::ios::binary);
      std::stringstream ss;
      ss << in.rdbuf();
      return ss.str();
    };
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(out), slurp(err)};
  }
  static void one_error(const Outcome& o, const std::string& expect) {
    EXPECT_EQ(o.code, 2) << o.err;
    EXPECT_EQ(o.err.rfind("ddpsim: error: ", 0), 0u) << o.err;
    EXPECT_EQ(std::count(o.err.begin(), o.err.end(), '\n'), 1) << o.err;
    EXPECT_NE(o.err.find(expect), std::string::npos) << "expected '" << expect << "' in: " << o.err;
  }
  fs::path dir_;
};

}  // namespace ddpsim_test
