#pragma once
// `ddpsim collective`: allreduce time, algorithm bandwidth and bus bandwidth on a job's fabric,
// like nccl-tests' all_reduce_perf.
#include <string>
#include <utility>
#include <vector>

namespace ddpsim {

struct CollectiveQuery {
  std::string hardware = "a100";
  int gpus = 8;
  std::vector<double> sizes_bytes;
  std::string algorithm = "";  // "" = the hardware's nccl.algorithm
  std::string protocol = "";   // "" = the hardware's nccl.protocol
  std::string calibration;     // "" = shipped default
  std::vector<std::pair<std::string, std::string>> overrides;
};

struct CollectiveRow {
  double bytes = 0, time_s = 0, algbw_bps = 0, busbw_bps = 0;
  std::string algorithm, protocol;
};

struct CollectiveReport {
  std::string hardware, model, fabric, calibration_id;
  std::string gpu_model;  // e.g. "NVIDIA A100-SXM4-40GB" (for the nccl-tests device lines)
  int gpus = 0, gpus_per_node = 1;
  std::vector<CollectiveRow> rows;
  std::vector<std::string> warnings;  // calibration transfers or defaults (for stderr)
};

/// Parses "8B..1GB" (powers of two from the first size up to the last) or "8B..1GB x4".
std::vector<double> parse_size_range(const std::string& text);
CollectiveReport run_collectives(const CollectiveQuery& q);
std::string collective_json(const CollectiveReport& r, bool single);
std::string collective_table(const CollectiveReport& r);
/// nccl-tests' all_reduce_perf output (header, device lines, the out-of-place and in-place
/// groups, "# Out of bounds values" and "# Avg bus bandwidth"), so its log parsers read it.
std::string collective_nccl_tests(const CollectiveReport& r);

}  // namespace ddpsim
