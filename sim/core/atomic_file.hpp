#pragma once
// Output files are never left half written: AtomicOutput writes to a temporary beside the target
// (same directory, unique name) and renames it over the target only in commit(); destroyed
// without commit() (an exception, a failed write) it removes the temporary. A target that cannot
// be written (a directory, a missing or unwritable directory) is an InputError with one clear
// message, found before any work is done when the AtomicOutput is made early.
#include <fstream>
#include <string>

namespace ddpsim {

class AtomicOutput {
 public:
  /// Creates the temporary now. `what` names the file in messages, e.g. "--out".
  AtomicOutput(std::string target, std::string what);
  ~AtomicOutput();
  AtomicOutput(const AtomicOutput&) = delete;
  AtomicOutput& operator=(const AtomicOutput&) = delete;

  std::ostream& stream() { return out_; }
  const std::string& temp_path() const { return temp_; }
  const std::string& target() const { return target_; }
  /// Flushes, closes and renames the temporary over the target (IoError if writing failed).
  void commit();

 private:
  std::string target_, what_, temp_;
  std::ofstream out_;
  bool done_ = false;
};

/// A temporary path beside `target` (same directory), not existing now: "<dir>/.<name>.tmp-<pid>-<n>".
/// Used for outputs that are not streams (a database built then renamed).
std::string temp_path_beside(const std::string& target);

/// InputError unless `target` can become a regular file: not a directory, its directory exists.
void check_output_target(const std::string& target, const std::string& what);

}  // namespace ddpsim
