#include "sim/output/collective_report.hpp"

#include "sim/provenance/calibration_lookup.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

#include "hwmodels/collectives.hpp"
#include "hwmodels/fabric.hpp"
#include "hwmodels/hardware.hpp"
#include "sim/provenance/calibration_file.hpp"
#include "sim/core/errors.hpp"
#include "sim/core/limits.hpp"
#include "sim/core/json.hpp"
#include "sim/core/units.hpp"
#include "sim/core/table.hpp"
#include "sim/run/training_run.hpp"

namespace ddpsim {

std::vector<double> parse_size_range(const std::string& text) {
  auto dots = text.find("..");
  if (dots == std::string::npos) throw InputError("--sweep-bytes expects FROM..TO, e.g. 8B..1GB (got " + quote_user(text) + ")");
  std::string from = text.substr(0, dots), rest = text.substr(dots + 2);
  double factor = 2.0;
  auto x = rest.find(" x");
  if (x == std::string::npos) x = rest.find('x') != std::string::npos && rest.back() != 'x' ? rest.rfind('x') : std::string::npos;
  if (x != std::string::npos && rest.find('/') == std::string::npos) {
    std::string f = rest.substr(x + (rest[x] == ' ' ? 2 : 1));
    rest = rest.substr(0, x);
    try {
      factor = parse_quantity(f, Dim::Dimensionless);
    } catch (const InputError&) {
      throw InputError("--sweep-bytes: bad factor '" + f + "'");
    }
    if (factor <= 1.0) throw InputError("--sweep-bytes: the factor must be above 1");
  }
  double a, b;
  try {
    a = parse_quantity(from, Dim::Data);
    b = parse_quantity(rest, Dim::Data);
  } catch (const InputError& e) {
    throw InputError(std::string("--sweep-bytes: ") + e.what());
  }
  if (a <= 0 || b < a) throw InputError("--sweep-bytes: need 0 < FROM <= TO");
  std::vector<double> out;
  for (double s = a; s <= b * (1 + 1e-12) && out.size() < 200; s *= factor) out.push_back(std::round(s));
  return out;
}

CollectiveReport run_collectives(const CollectiveQuery& q) {
  HardwareSpec hw = load_hardware(q.hardware);
  Calibration cal = load_calibration(q.calibration.empty() ? default_calibration_path() : q.calibration);
  CalibrationLookup look = lookup_node_calibration(cal, hw);
  ParamSet nc = look.node_cal;
  for (const auto& [name, value] : q.overrides) {
    if (hw.params.table().find(name) >= 0) {
      hw.params.set_text(name, value, "--set");
    } else if (nc.table().find(name) >= 0) {
      nc.set_text(name, value, "--set");
    } else {
      std::vector<std::string> names = hw.params.table().names();
      for (const auto& n : nc.table().names()) names.push_back(n);
      throw InputError("--set: unknown hardware or node calibration parameter '" + name + "'" + did_you_mean(name, names));
    }
  }
  if (q.gpus <= 0) throw InputError("--gpus must be a positive integer");
  int g = hw.gpus_per_node();
  if (q.gpus > g && q.gpus % g != 0) {
    throw InputError("--gpus " + std::to_string(q.gpus) + " does not fill whole nodes of " + std::to_string(g) + " GPUs");
  }
  int nodes = (q.gpus + g - 1) / g;
  CollectiveReport rep;
  rep.warnings = look.warnings;
  rep.hardware = hw.name;
  rep.gpus = q.gpus;
  rep.gpus_per_node = g;
  rep.gpu_model = hw.gpu_model.empty() ? hw.name : hw.gpu_model;
  rep.calibration_id = cal.id;
  bool fabric_model = static_cast<int>(hw.p(kNcclModel)) == 0;
  rep.model = fabric_model ? "fabric" : "alpha_beta";
  static constexpr const char* kAlgoChoices[] = {"auto", "ring", "tree", "hierarchical"};
  static constexpr const char* kProtoChoices[] = {"auto", "LL", "LL128", "Simple"};
  Algorithm algo = parse_algorithm(q.algorithm.empty() ? kAlgoChoices[static_cast<int>(hw.p(kNcclAlgorithm))] : q.algorithm);
  Protocol proto = parse_protocol(q.protocol.empty() ? kProtoChoices[static_cast<int>(hw.p(kNcclProtocol))] : q.protocol);

  if (!fabric_model) {
    CommModel m = alpha_beta_model(hw, nc);
    rep.fabric = "analytical hierarchical ring (alpha-beta)";
    for (double b : q.sizes_bytes) {
      double t = m.allreduce_s(b, q.gpus);
      rep.rows.push_back({b, t, t > 0 ? b / t : 0, CommModel::busbw_bps(b, q.gpus, t), "alpha_beta", "-"});
    }
    return rep;
  }
  Fabric fabric(fabric_config(hw, nc, nodes));
  rep.fabric = fabric.describe();
  FabricCollectives colls(fabric, q.gpus, hw.nccl_channels(), protocol_params(nc), nc[kCommCallOverhead]);
  for (double b : q.sizes_bytes) {
    CollectiveTiming t = colls.allreduce(b, algo, proto);
    rep.rows.push_back({b, t.time_s, t.time_s > 0 ? b / t.time_s : 0, CommModel::busbw_bps(b, q.gpus, t.time_s),
                        algorithm_name(t.algorithm), protocol_name(t.protocol)});
  }
  return rep;
}

std::string collective_json(const CollectiveReport& r, bool single) {
  JsonWriter j;
  auto row = [&](const CollectiveRow& x, std::string_view key) {
    j.begin_object(key);
    j.value("bytes", x.bytes).value("time_us", x.time_s * 1e6).value("algbw_gbs", x.algbw_bps / 1e9).value("busbw_gbs", x.busbw_bps / 1e9);
    j.value("algorithm", x.algorithm).value("protocol", x.protocol);
    j.end_object();
  };
  if (single && r.rows.size() == 1) {
    const auto& x = r.rows.front();
    j.begin_object();
    j.value("hardware", r.hardware).value("gpus", static_cast<long long>(r.gpus)).value("model", r.model).value("fabric", r.fabric);
    j.value("bytes", x.bytes).value("time_us", x.time_s * 1e6).value("algbw_gbs", x.algbw_bps / 1e9).value("busbw_gbs", x.busbw_bps / 1e9);
    j.value("algorithm", x.algorithm).value("protocol", x.protocol).value("calibration_id", r.calibration_id).value("version", DDPSIM_VERSION);
    j.end_object();
    return j.str();
  }
  j.begin_object();
  j.value("hardware", r.hardware).value("gpus", static_cast<long long>(r.gpus)).value("model", r.model).value("fabric", r.fabric);
  j.value("calibration_id", r.calibration_id).value("version", DDPSIM_VERSION);
  j.begin_array("results");
  for (const auto& x : r.rows) row(x, "");
  j.end_array();
  j.end_object();
  return j.str();
}

std::string collective_table(const CollectiveReport& r) {
  std::string out = fmt::format("# allreduce on {} x {} GPUs, {} model: {}\n", r.gpus, r.hardware, r.model, r.fabric);
  const TextTable table({{"size(B)", 15, Align::kRight},
                         {"count(float)", 12, Align::kRight},
                         {"algorithm", 13, Align::kRight},
                         {"protocol", 9, Align::kRight},
                         {"time(us)", 12, Align::kRight},
                         {"algbw(GB/s)", 12, Align::kRight},
                         {"busbw(GB/s)", 12, Align::kRight}});
  out += table.row({"#" + pad("size(B)", 14, Align::kRight), "count(float)", "algorithm", "protocol", "time(us)", "algbw(GB/s)",
                    "busbw(GB/s)"});  // the header, behind a '#'
  for (const auto& x : r.rows) {
    out += table.row({fmt::format("{:.0f}", x.bytes), fmt::format("{:.0f}", std::floor(x.bytes / 4)), x.algorithm, x.protocol,
                      fmt::format("{:.2f}", x.time_s * 1e6), fmt::format("{:.2f}", x.algbw_bps / 1e9), fmt::format("{:.2f}", x.busbw_bps / 1e9)});
  }
  return out;
}

// Reproduces nccl-tests (src/common.cu, v2.x) as all_reduce_perf prints it for float/sum:
//   "# nThread %d nGpus %d minBytes %ld maxBytes %ld step: %ld(%s) warmup iters: %d iters: %d
//    agg iters: %d validation: %d graph: %d", "#", "# Using devices", one
//   "#  Rank %2d Group %2d Pid %6d on %10s device %2d [0x%02x] %s" per rank, "#", then
//   print_header():
//   "# %10s  %12s  %8s  %6s  %6s           out-of-place                       in-place          "
//   "# %10s  %12s  %8s  %6s  %6s  %7s  %6s  %6s %6s  %7s  %6s  %6s %6s"   (size count type redop
//                                                   root time algbw busbw #wrong time ...)
//   "# %10s  %12s  %8s  %6s  %6s  %7s  %6s  %6s  %5s  %7s  %6s  %6s  %5s" ((B) (elements) ...)
//   rows: "%12li  %12li  %8s  %6s  %6i" (size, count, type, redop, root), then per group
//   (out-of-place, then in-place) "  %7s  %6.2f  %6.2f  %5g" (time, algbw, busbw, #wrong) with
//   the time string "%7.0f" at >= 10000 us, "%7.1f" at >= 100 us, else "%7.2f" (BenchTime);
//   "# Out of bounds values : %d %s" (OK), "# Avg bus bandwidth    : %g %s" ("" without -c: a
//   trailing space) where the average runs over every busbw printed (both groups), and "#".
// The simulator: in-place time = out-of-place time, #wrong = 0; size = count x 4 B (whole
// floats, as nccl-tests rounds); one process per GPU (nGpus 1, as with mpirun/srun), Pid 0,
// host "node<k>", bus id 0x00; at most 8 rank lines, then "#  ... (N ranks, simulated by ddpsim)".
std::string collective_nccl_tests(const CollectiveReport& r) {
  std::string out;
  auto put = std::back_inserter(out);
  auto size_of = [](double bytes) { return static_cast<long long>(std::floor(bytes / 4)) * 4; };
  long long min_b = r.rows.empty() ? 0 : size_of(r.rows.front().bytes), max_b = r.rows.empty() ? 0 : size_of(r.rows.back().bytes);
  std::string step = "1048576(bytes)";  // nccl-tests' default -i when one size is given
  if (r.rows.size() > 1 && r.rows[0].bytes > 0) {
    double f = r.rows[1].bytes / r.rows[0].bytes;
    step = fmt::format("{:.6g}(factor)", std::round(f * 1000) / 1000);
  }
  fmt::format_to(put, "# nThread {} nGpus {} minBytes {} maxBytes {} step: {} warmup iters: {} iters: {} agg iters: {} validation: {} graph: {}\n",
                 1, 1, min_b, max_b, step, 5, 20, 1, 1, 0);
  out += "#\n# Using devices\n";
  const int shown = std::min(r.gpus, 8);
  const int per_node = std::max(1, r.gpus_per_node);
  for (int rank = 0; rank < shown; ++rank) {
    std::string host = "node" + std::to_string(rank / per_node);
    fmt::format_to(put, "#  Rank {:>2} Group {:>2} Pid {:>6} on {:>10} device {:>2} [0x{:02x}] {}\n", rank, 0, 0, host, rank % per_node, 0,
                   r.gpu_model);
  }
  if (r.gpus > shown) fmt::format_to(put, "#  ... ({} ranks, simulated by ddpsim)\n", r.gpus);
  out += "#\n";
  fmt::format_to(put, "# {:>10}  {:>12}  {:>8}  {:>6}  {:>6}           out-of-place                       in-place          \n", "", "", "", "",
                 "");
  fmt::format_to(put, "# {:>10}  {:>12}  {:>8}  {:>6}  {:>6}  {:>7}  {:>6}  {:>6} {:>6}  {:>7}  {:>6}  {:>6} {:>6}\n", "size", "count", "type",
                 "redop", "root", "time", "algbw", "busbw", "#wrong", "time", "algbw", "busbw", "#wrong");
  fmt::format_to(put, "# {:>10}  {:>12}  {:>8}  {:>6}  {:>6}  {:>7}  {:>6}  {:>6}  {:>5}  {:>7}  {:>6}  {:>6}  {:>5}\n", "(B)", "(elements)", "",
                 "", "", "(us)", "(GB/s)", "(GB/s)", "", "(us)", "(GB/s)", "(GB/s)", "");
  double bw_sum = 0;
  int bw_count = 0;
  for (const auto& x : r.rows) {
    long long count = static_cast<long long>(std::floor(x.bytes / 4));
    fmt::format_to(put, "{:>12}  {:>12}  {:>8}  {:>6}  {:>6}", count * 4, count, "float", "sum", -1);
    const double us = x.time_s * 1e6;
    const std::string time_str = fmt::format("{:>7.{}f}", us, us >= 10000.0 ? 0 : us >= 100.0 ? 1 : 2);
    for (int group = 0; group < 2; ++group) {  // out-of-place, in-place
      fmt::format_to(put, "  {:>7}  {:>6.2f}  {:>6.2f}  {:>5.6g}", time_str, x.algbw_bps / 1e9, x.busbw_bps / 1e9, 0.0);
      bw_sum += x.busbw_bps / 1e9;
      ++bw_count;
    }
    out += "\n";
  }
  fmt::format_to(put, "# Out of bounds values : {} {}\n", 0, "OK");
  fmt::format_to(put, "# Avg bus bandwidth    : {:.6g} {}\n", bw_count ? bw_sum / bw_count : 0.0, "");
  out += "#\n";
  return out;
}

}  // namespace ddpsim
