#include "sim/core/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "sim/core/errors.hpp"
#include "sim/core/limits.hpp"

namespace fs = std::filesystem;

namespace ddpsim {

namespace {
std::atomic<unsigned> g_counter{0};

fs::path parent_of(const std::string& target) {
  fs::path p = fs::path(target).parent_path();
  return p.empty() ? fs::path(".") : p;
}
}  // namespace

void check_output_target(const std::string& target, const std::string& what) {
  const std::string name = what + " " + quote_user(target);
  if (target.empty()) throw InputError(what + " needs a file name");
  std::error_code ec;
  if (fs::is_directory(target, ec)) throw InputError(name + " is a directory; give a file name (e.g. " + quote_user((fs::path(target) / "out.yaml").string()) + ")");
  fs::path dir = parent_of(target);
  if (!fs::exists(dir, ec)) throw InputError(name + ": directory " + quote_user(dir.string()) + " does not exist");
  if (!fs::is_directory(dir, ec)) throw InputError(name + ": " + quote_user(dir.string()) + " is not a directory");
  if (fs::exists(target, ec) && !fs::is_regular_file(target, ec)) throw InputError(name + " exists and is not a regular file");
  if (::access(dir.c_str(), W_OK | X_OK) != 0) {
    int err = errno;
    throw InputError(name + ": cannot write in " + quote_user(dir.string()) + " (" + std::strerror(err) + ")");
  }
}

std::string temp_path_beside(const std::string& target) {
  fs::path p(target);
  fs::path dir = parent_of(target);
  for (;;) {
    std::string name = ".";
    name.append(p.filename().string());
    name.append(".tmp-");
    name.append(std::to_string(::getpid()));
    name.push_back('-');
    name.append(std::to_string(g_counter++));
    fs::path t = dir / name;
    std::error_code ec;
    if (!fs::exists(t, ec)) return t.string();
  }
}

AtomicOutput::AtomicOutput(std::string target, std::string what) : target_(std::move(target)), what_(std::move(what)) {
  check_output_target(target_, what_);
  // O_EXCL: the temporary is ours alone, even with another ddpsim writing the same target.
  for (int attempt = 0;; ++attempt) {
    temp_ = temp_path_beside(target_);
    int fd = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) {
      ::close(fd);
      break;
    }
    int err = errno;
    if (err == EEXIST && attempt < 100) continue;
    temp_.clear();
    throw InputError(what_ + " " + quote_user(target_) + ": cannot write in " + quote_user(parent_of(target_).string()) + " (" +
                     std::strerror(err) + ")");
  }
  out_.open(temp_, std::ios::binary | std::ios::trunc);
  if (!out_) {
    std::error_code ec;
    fs::remove(temp_, ec);
    temp_.clear();
    throw InputError(what_ + " " + quote_user(target_) + ": cannot write");
  }
}

AtomicOutput::~AtomicOutput() {
  if (done_ || temp_.empty()) return;
  out_.close();
  std::error_code ec;
  fs::remove(temp_, ec);
}

void AtomicOutput::commit() {
  out_.flush();
  out_.close();
  if (!out_) throw IoError(what_ + " " + quote_user(target_) + ": writing failed (disk full?); nothing was written");
  std::error_code ec;
  fs::rename(temp_, target_, ec);
  if (ec) throw IoError(what_ + " " + quote_user(target_) + ": cannot replace it (" + ec.message() + "); nothing was written");
  done_ = true;
}

}  // namespace ddpsim
