#pragma once
// Shipped data files (catalogs, calibration) live below the data directory: the source tree
// baked in at build time, or $DDPSIM_DATA_DIR. So binaries and tests work from any directory.
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace ddpsim {

/// The data directory (no trailing slash).
std::string data_dir();
/// Sorted names (file stems) of the *.yaml files in `dir`.
std::vector<std::string> list_yaml_stems(const std::string& dir);
/// Path of catalog entry `name` in `dir`: a name with '/' or ending in .yaml is taken as a path;
/// an unknown name is an InputError naming `kind`, with a suggestion and the known names.
std::string resolve_catalog_entry(const std::string& kind, const std::string& name, const std::string& dir);

/// A key that changes when the file at `path` changes (path, size, modification time); used to
/// cache parsed catalog files, which simulations in a calibration loop read thousands of times.
std::string file_identity(const std::string& path);

/// parse(path), cached by file_identity(path) (one cache per Spec type; thread-safe).
template <typename Spec, typename Parse>
Spec load_cached(const std::string& path, Parse parse) {
  static std::mutex mutex;
  static std::map<std::string, Spec> cache;
  std::string key = file_identity(path);
  {
    std::lock_guard<std::mutex> lock(mutex);
    auto it = cache.find(key);
    if (it != cache.end()) return it->second;
  }
  Spec spec = parse(path);
  std::lock_guard<std::mutex> lock(mutex);
  cache.emplace(key, spec);
  return spec;
}

}  // namespace ddpsim
