#include "sim/collective_report.hpp"

#include <cmath>
#include <cstdio>

#include "hwmodels/collectives.hpp"
#include "hwmodels/fabric.hpp"
#include "hwmodels/hardware.hpp"
#include "sim/calibration_file.hpp"
#include "sim/core/errors.hpp"
#include "sim/core/limits.hpp"
#include "sim/core/json.hpp"
#include "sim/core/units.hpp"
#include "sim/training_run.hpp"

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
  ParamSet nc = cal.node(hw.name);
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
  rep.hardware = hw.name;
  rep.gpus = q.gpus;
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
  FabricCollectives colls(fabric, q.gpus, static_cast<int>(hw.p(kNcclChannels)), protocol_params(nc), nc[kCommCallOverhead]);
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
  std::string out;
  char buf[256];
  std::snprintf(buf, sizeof buf, "# allreduce on %d x %s GPUs, %s model: %s\n", r.gpus, r.hardware.c_str(), r.model.c_str(), r.fabric.c_str());
  out += buf;
  std::snprintf(buf, sizeof buf, "#%14s %12s %13s %9s %12s %12s %12s\n", "size(B)", "count(float)", "algorithm", "protocol", "time(us)",
                "algbw(GB/s)", "busbw(GB/s)");
  out += buf;
  for (const auto& x : r.rows) {
    std::snprintf(buf, sizeof buf, "%15.0f %12.0f %13s %9s %12.2f %12.2f %12.2f\n", x.bytes, std::floor(x.bytes / 4), x.algorithm.c_str(),
                  x.protocol.c_str(), x.time_s * 1e6, x.algbw_bps / 1e9, x.busbw_bps / 1e9);
    out += buf;
  }
  return out;
}

}  // namespace ddpsim
