#include "sim/core/catalog.hpp"

#include <algorithm>
#include <cstdlib>
#include <sys/stat.h>

#include <filesystem>

#include "sim/core/errors.hpp"
#include "sim/core/limits.hpp"

namespace ddpsim {

std::string data_dir() {
  const char* env = std::getenv("DDPSIM_DATA_DIR");
  return env && *env ? env : DDPSIM_DATA_DIR;
}

std::vector<std::string> list_yaml_stems(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (e.path().extension() == ".yaml") out.push_back(e.path().stem().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string resolve_catalog_entry(const std::string& kind, const std::string& name, const std::string& dir) {
  if (name.find('/') != std::string::npos || name.ends_with(".yaml")) return name;
  std::string path = dir + "/" + name + ".yaml";
  std::error_code ec;
  if (std::filesystem::is_regular_file(path, ec)) return path;  // one stat; list the folder only to explain a miss
  auto names = list_yaml_stems(dir);
  if (std::find(names.begin(), names.end(), name) == names.end()) {
    std::string all;
    for (const auto& n : names) all += (all.empty() ? "" : ", ") + n;
    throw InputError("unknown " + kind + " " + quote_user(name) + did_you_mean(name, names) + "; known: " + all);
  }
  return dir + "/" + name + ".yaml";
}

std::string file_identity(const std::string& path) {
  // One stat for size and modification time (calibration resolves thousands of scenarios).
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return path + "|missing";
  return path + "|" + std::to_string(st.st_size) + "|" + std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
}

}  // namespace ddpsim
