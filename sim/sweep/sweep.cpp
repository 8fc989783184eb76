#include "sim/sweep/sweep.hpp"

#include "sim/uncertainty/interval.hpp"

#include <algorithm>
#include <limits>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <fmt/format.h>
#include <exception>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <iostream>
#include <optional>
#include <set>
#include <ostream>
#include <sstream>
#include <thread>
#include <unordered_map>

#include "sim/core/errors.hpp"
#include "sim/core/limits.hpp"
#include "sim/core/hash.hpp"
#include "sim/core/yaml_params.hpp"

namespace ddpsim {

// ----------------------------------------------------------------------------------------------
// Modes, ranges, shards
// ----------------------------------------------------------------------------------------------

namespace {
constexpr std::pair<ScalingMode, const char*> kModes[] = {
    {ScalingMode::Grid, "grid"},
    {ScalingMode::ConstantLbs, "constant_lbs"},
    {ScalingMode::ConstantGbs, "constant_gbs"},
    {ScalingMode::ScaledDatasetConstantLbs, "scaled_dataset_constant_lbs"},
    {ScalingMode::ScaledDatasetConstantGbs, "scaled_dataset_constant_gbs"},
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Reads a non-negative integer at the front of `s` (advancing it); nullopt if none.
std::optional<long long> take_int(std::string_view& s) {
  s = trim(s);
  long long v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr == s.data() || v < 0) return std::nullopt;
  s.remove_prefix(static_cast<std::size_t>(ptr - s.data()));
  return v;
}

constexpr std::size_t kMaxRangeValues = 1'000'000;
}  // namespace

const char* scaling_mode_name(ScalingMode mode) {
  for (const auto& [m, name] : kModes) {
    if (m == mode) return name;
  }
  return "grid";
}

std::vector<std::string> scaling_mode_names() {
  std::vector<std::string> out;
  for (const auto& [m, name] : kModes) out.emplace_back(name);
  return out;
}

ScalingMode parse_scaling_mode(std::string_view name) {
  for (const auto& [m, n] : kModes) {
    if (name == n) return m;
  }
  std::string all;
  for (const auto& n : scaling_mode_names()) all += (all.empty() ? "" : ", ") + n;
  throw InputError("unknown mode " + quote_user(name) + did_you_mean(std::string(name), scaling_mode_names()) +
                   "; choose " + all);
}

std::vector<long long> parse_int_range(std::string_view text) {
  const std::string bad = "bad integer or range '" + std::string(text) +
                          "': expected an integer, 'a..b xK' (geometric), 'a..b +K' (arithmetic) or 'a..b'";
  std::string_view s = trim(text);
  auto a = take_int(s);
  if (!a) throw InputError(bad);
  s = trim(s);
  if (s.empty()) return {*a};
  if (s.substr(0, 2) != "..") throw InputError(bad);
  s.remove_prefix(2);
  auto b = take_int(s);
  if (!b) throw InputError(bad);
  s = trim(s);
  char op = '+';
  long long step = 1;
  if (!s.empty()) {
    op = s.front();
    if (op == '*') op = 'x';
    if (op != 'x' && op != '+') throw InputError(bad);
    s.remove_prefix(1);
    auto k = take_int(s);
    if (!k || !trim(s).empty()) throw InputError(bad);
    step = *k;
  }
  if (*b < *a) throw InputError("range " + quote_user(text) + " ends before it starts");
  if (op == 'x' && (step < 2 || *a < 1)) {
    throw InputError("geometric range " + quote_user(text) + " needs a start >= 1 and a factor >= 2");
  }
  if (op == '+' && step < 1) throw InputError("arithmetic range " + quote_user(text) + " needs a step >= 1");
  std::vector<long long> out;
  for (long long v = *a; v <= *b;) {
    out.push_back(v);
    if (out.size() > kMaxRangeValues) throw InputError("range " + quote_user(text) + " has more than 1000000 values");
    if (op == 'x') {
      if (v > *b / step) break;
      v *= step;
    } else {
      if (v > *b - step) break;
      v += step;
    }
  }
  return out;
}

Shard parse_shard(std::string_view text) {
  const std::string bad = "--shard expects i/N with 0 <= i < N, e.g. 0/4 (got " + quote_user(text) + ")";
  auto slash = text.find('/');
  if (slash == std::string_view::npos) throw InputError(bad);
  std::string_view a = text.substr(0, slash), b = text.substr(slash + 1);
  auto i = take_int(a);
  auto n = take_int(b);
  if (!i || !n || !trim(a).empty() || !trim(b).empty() || *n < 1 || *i >= *n || *n > 1'000'000) throw InputError(bad);
  return {static_cast<int>(*i), static_cast<int>(*n)};
}

// ----------------------------------------------------------------------------------------------
// Sweep files
// ----------------------------------------------------------------------------------------------

namespace {

const std::initializer_list<std::string_view> kBlockKeys = {"mode", "workload", "phase", "hardware", "gpus", "lbs", "gbs",
                                                            "samples_per_gpu", "epochs", "target", "seed", "seeds", "repeats", "set",
                                                            "fast_forward", "interval", "rank_classes"};

// The value of `key` for a grid entry: the entry's own, else the file's top level.
YAML::Node pick(const YAML::Node& entry, const YAML::Node& top, const std::string& key) {
  if (entry && entry.IsMap() && entry[key]) return entry[key];
  if (top[key]) return top[key];
  return YAML::Node(YAML::NodeType::Undefined);
}

std::vector<std::string> strings_of(const YAML::Node& n, const std::string& key, const std::string& file) {
  std::vector<std::string> out;
  if (!n) return out;
  if (n.IsScalar()) {
    out.push_back(n.Scalar());
  } else if (n.IsSequence()) {
    for (const auto& e : n) {
      if (!e.IsScalar()) throw ConfigError(file, yaml_line(e), "'" + key + "': expected a name or a list of names");
      out.push_back(e.Scalar());
    }
  } else {
    throw ConfigError(file, yaml_line(n), "'" + key + "': expected a name or a list of names");
  }
  if (out.empty()) throw ConfigError(file, yaml_line(n), "'" + key + "': empty list");
  return out;
}

std::vector<long long> ints_of(const YAML::Node& n, const std::string& key, const std::string& file, long long min_value,
                               long long max_value = std::numeric_limits<long long>::max(), const char* max_name = nullptr) {
  std::vector<long long> out;
  if (!n) return out;
  auto add = [&](const YAML::Node& e) {
    if (!e.IsScalar()) throw ConfigError(file, yaml_line(e), "'" + key + "': expected an integer, a range or a list");
    std::vector<long long> v;
    try {
      v = parse_int_range(e.Scalar());
    } catch (const InputError& err) {
      throw ConfigError(file, yaml_line(e), "'" + key + "': " + err.what());
    }
    for (long long x : v) {
      if (x < min_value) {
        throw ConfigError(file, yaml_line(e), "'" + key + "': " + std::to_string(x) + " is below the minimum " + std::to_string(min_value));
      }
      if (x > max_value) {
        throw ConfigError(file, yaml_line(e), "'" + key + "': " + std::to_string(x) + " is above " + std::string(max_name ? max_name : "the maximum") +
                                                  " = " + std::to_string(max_value));
      }
      out.push_back(x);
    }
  };
  if (n.IsSequence()) {
    for (const auto& e : n) add(e);
  } else {
    add(n);
  }
  if (out.empty()) throw ConfigError(file, yaml_line(n), "'" + key + "': empty list");
  if (out.size() > kMaxRangeValues) throw ConfigError(file, yaml_line(n), "'" + key + "': more than 1000000 values");
  return out;
}

std::string resolve_path(const std::string& name, const std::string& base_dir) {
  bool is_path = name.find('/') != std::string::npos || name.ends_with(".yaml");
  if (!is_path || base_dir.empty() || std::filesystem::path(name).is_absolute()) return name;
  return (std::filesystem::path(base_dir) / name).lexically_normal().string();
}

const ParamSpec* find_override_spec(const std::string& name) {
  for (const ParamTable* t : {&hardware_param_table(), &workload_param_table(), &node_calibration_table(), &workload_calibration_table()}) {
    int i = t->find(name);
    if (i >= 0) return &t->spec(static_cast<std::size_t>(i));
  }
  return nullptr;
}

struct Block {
  ScalingMode mode = ScalingMode::Grid;
  std::vector<std::string> workloads, phases, hardware;
  std::vector<long long> gpus, lbs, gbs, spg, epochs, seeds;
  std::vector<std::string> targets;  // "METRIC=VALUE" ("" = none)
  long long fast_forward = 0;  // epochs simulated before extrapolating (0 = full fidelity)
  double interval = 0;         // prediction-interval level stored with each result (0 = none)
  bool rank_classes = false;   // simulate one node per point (sim/run/training_run.hpp)
  std::vector<std::pair<std::string, std::vector<std::string>>> set;  // name -> values, sorted by name
};

Block parse_block(const YAML::Node& entry, const YAML::Node& top, const std::string& file, const std::string& base_dir) {
  Block b;
  const YAML::Node& where = entry ? entry : top;
  auto node = [&](const char* key) { return pick(entry, top, key); };
  if (auto m = node("mode")) {
    if (!m.IsScalar()) throw ConfigError(file, yaml_line(m), "'mode' must be a single name");
    try {
      b.mode = parse_scaling_mode(m.Scalar());
    } catch (const InputError& e) {
      throw ConfigError(file, yaml_line(m), e.what());
    }
  }
  // Names: checked now so a typo stops the sweep with file:line instead of skipping points.
  auto wl_node = node("workload");
  if (!wl_node) throw ConfigError(file, yaml_line(where), "missing required key 'workload'");
  std::vector<WorkloadSpec> loaded;
  for (const auto& w : strings_of(wl_node, "workload", file)) {
    b.workloads.push_back(resolve_path(w, base_dir));
    try {
      loaded.push_back(load_workload(b.workloads.back()));
    } catch (const InputError& e) {
      throw ConfigError(file, yaml_line(wl_node), e.what());
    }
  }
  auto hw_node = node("hardware");
  if (!hw_node) throw ConfigError(file, yaml_line(where), "missing required key 'hardware'");
  for (const auto& h : strings_of(hw_node, "hardware", file)) {
    b.hardware.push_back(resolve_path(h, base_dir));
    try {
      load_hardware(b.hardware.back());
    } catch (const InputError& e) {
      throw ConfigError(file, yaml_line(hw_node), e.what());
    }
  }
  if (auto ph = node("phase")) {
    b.phases = strings_of(ph, "phase", file);
    std::vector<std::string> known;
    for (const auto& w : loaded) {
      for (const auto& p : w.phases) known.push_back(p.name);
    }
    for (const auto& p : b.phases) {
      if (std::find(known.begin(), known.end(), p) == known.end()) {
        throw ConfigError(file, yaml_line(ph), "unknown phase '" + p + "'" + did_you_mean(p, known) + " for the workloads of this grid");
      }
    }
  } else {
    b.phases = {""};
  }
  auto gpus_node = node("gpus");
  if (!gpus_node) throw ConfigError(file, yaml_line(where), "missing required key 'gpus'");
  b.gpus = ints_of(gpus_node, "gpus", file, 1, limit_of(Limit::kGpus), "limit.gpus");
  b.lbs = ints_of(node("lbs"), "lbs", file, 1);
  b.gbs = ints_of(node("gbs"), "gbs", file, 1);
  b.spg = ints_of(node("samples_per_gpu"), "samples_per_gpu", file, 1);
  b.epochs = ints_of(node("epochs"), "epochs", file, 1, limit_of(Limit::kEpochs), "limit.epochs");
  if (auto t = node("target")) {
    if (!b.epochs.empty()) throw ConfigError(file, yaml_line(t), "give 'epochs' or 'target', not both: a target sets the epochs");
    std::vector<YAML::Node> items;
    if (t.IsSequence()) {
      for (const auto& x : t) items.push_back(x);
    } else {
      items.push_back(t);
    }
    for (const auto& x : items) {
      if (!x.IsScalar()) throw ConfigError(file, yaml_line(x), "'target' must be METRIC=VALUE or a list of them, e.g. top1=0.72");
      RunConfig probe;
      try {
        parse_target(x.as<std::string>(), probe);
      } catch (const InputError& e) {
        throw ConfigError(file, yaml_line(x), e.what());
      }
      b.targets.push_back(x.as<std::string>());
    }
  }
  if (auto ff = node("fast_forward")) {
    auto v = ints_of(ff, "fast_forward", file, 0, limit_of(Limit::kEpochs), "limit.epochs");
    if (v.size() != 1) throw ConfigError(file, yaml_line(ff), "'fast_forward' must be one number of epochs (0 = full fidelity)");
    b.fast_forward = v.front();
  }
  if (auto rc = node("rank_classes")) {
    const std::string v = rc.IsScalar() ? rc.Scalar() : std::string();
    if (v == "true") {
      b.rank_classes = true;
    } else if (v != "false") {
      throw ConfigError(file, yaml_line(rc), "'rank_classes' is true or false (simulate one node whose ranks stand for every node)");
    }
  }
  if (auto iv = node("interval")) {
    if (!iv.IsScalar()) throw ConfigError(file, yaml_line(iv), "'interval' is one level in percent, e.g. 90");
    try {
      b.interval = parse_interval_level(iv.as<std::string>());
    } catch (const InputError& e) {
      throw ConfigError(file, yaml_line(iv), e.what());
    }
  }

  // What each mode needs and forbids.
  const char* mode = scaling_mode_name(b.mode);
  auto need = [&](bool have, const char* key, const char* why) {
    if (!have) throw ConfigError(file, yaml_line(where), std::string("mode ") + mode + " needs '" + key + "' (" + why + ")");
  };
  auto forbid = [&](const char* key, const char* why) {
    if (auto n = node(key)) throw ConfigError(file, yaml_line(n), std::string("mode ") + mode + " does not take '" + key + "' (" + why + ")");
  };
  switch (b.mode) {
    case ScalingMode::ConstantLbs:
      need(!b.lbs.empty(), "lbs", "the constant local batch size");
      forbid("gbs", "GBS = n x LBS");
      forbid("samples_per_gpu", "the dataset is constant; use scaled_dataset_constant_lbs");
      break;
    case ScalingMode::ConstantGbs:
      need(!b.gbs.empty(), "gbs", "the constant global batch size");
      forbid("lbs", "LBS = GBS / n");
      forbid("samples_per_gpu", "the dataset is constant; use scaled_dataset_constant_gbs");
      break;
    case ScalingMode::ScaledDatasetConstantLbs:
      need(!b.lbs.empty(), "lbs", "the constant local batch size");
      need(!b.spg.empty(), "samples_per_gpu", "training samples per GPU: the dataset is samples_per_gpu x n");
      forbid("gbs", "GBS = n x LBS");
      break;
    case ScalingMode::ScaledDatasetConstantGbs:
      need(!b.gbs.empty(), "gbs", "the constant global batch size");
      need(!b.spg.empty(), "samples_per_gpu", "training samples per GPU: the dataset is samples_per_gpu x n");
      forbid("lbs", "LBS = GBS / n");
      break;
    case ScalingMode::Grid:
      if (b.lbs.empty() && b.gbs.empty()) {
        throw ConfigError(file, yaml_line(where), "give 'lbs' or 'gbs' (or a 'mode': " + std::string("constant_lbs, constant_gbs, ...)"));
      }
      break;
  }
  if (b.lbs.empty()) b.lbs = {0};
  if (b.gbs.empty()) b.gbs = {0};
  if (b.spg.empty()) b.spg = {0};
  if (b.epochs.empty()) b.epochs = {0};
  if (b.targets.empty()) b.targets = {""};

  // Seeds: a list, or `repeats` consecutive seeds from `seed` (default 1).
  auto seeds = node("seeds"), repeats = node("repeats"), seed = node("seed");
  if (seeds && (repeats || seed)) throw ConfigError(file, yaml_line(seeds), "give either 'seeds' or 'seed'/'repeats', not both");
  if (seeds) {
    b.seeds = ints_of(seeds, "seeds", file, 0);
  } else {
    long long first = 1, count = 1;
    if (seed) {
      auto v = ints_of(seed, "seed", file, 0);
      if (v.size() != 1) throw ConfigError(file, yaml_line(seed), "'seed' is one integer (use 'seeds' for a list)");
      first = v[0];
    }
    if (repeats) {
      auto v = ints_of(repeats, "repeats", file, 1, limit_of(Limit::kRepeats), "limit.repeats");
      if (v.size() != 1) throw ConfigError(file, yaml_line(repeats), "'repeats' is one integer");
      count = v[0];
    }
    for (long long k = 0; k < count; ++k) b.seeds.push_back(first + k);
  }

  // Overrides: the entry's names win over the top level's; each value list is a grid axis.
  std::map<std::string, YAML::Node> set_nodes;
  for (const YAML::Node* src : {&top, &entry}) {
    if (!*src || !src->IsMap()) continue;
    const YAML::Node s = (*src)["set"];
    if (!s) continue;
    if (!s.IsMap()) throw ConfigError(file, yaml_line(s), "'set' must map parameter names to values, e.g. {gpu.power_limit: [300 W, 400 W]}");
    for (auto it = s.begin(); it != s.end(); ++it) set_nodes[it->first.Scalar()] = it->second;
    for (auto it = s.begin(); it != s.end(); ++it) {
      const std::string name = it->first.Scalar();
      const ParamSpec* spec = find_override_spec(name);
      if (!spec && !is_site_param(name)) {
        throw ConfigError(file, yaml_line(it->first), "unknown parameter '" + name + "'" + did_you_mean(name, overridable_parameters()) +
                                                         " (see 'ddpsim list params')");
      }
    }
  }
  for (const auto& [name, values] : set_nodes) {
    const ParamSpec* spec = find_override_spec(name);
    auto texts = strings_of(values, "set: " + name, file);
    for (const auto& t : texts) {
      try {
        if (!spec) {
          check_site_value(name, t);
          continue;
        }
        check_param_range(*spec, parse_param_value(*spec, t));
      } catch (const InputError& e) {
        throw ConfigError(file, yaml_line(values), name + ": " + e.what());
      }
    }
    b.set.emplace_back(name, texts);
  }
  return b;
}

// Points a block expands to, counted before anything is allocated (saturating).
long long count_points(const Block& b) {
  const long long cap = limit_of(Limit::kSweepPoints) + 1;
  long long n = 1;
  auto mul = [&](std::size_t k) { n = static_cast<long long>(k) > cap / std::max(n, 1LL) ? cap : std::min(cap, n * static_cast<long long>(k)); };
  for (const auto& [name, values] : b.set) mul(values.size());
  mul(b.workloads.size());
  mul(b.phases.size());
  mul(b.hardware.size());
  mul(b.lbs.size());
  mul(b.gbs.size());
  mul(b.spg.size());
  mul(b.epochs.size());
  mul(b.targets.size());
  mul(b.gpus.size());
  mul(b.seeds.size());
  return n;
}

void expand(const Block& b, std::vector<SweepPoint>& out) {
  // Override combinations (cartesian product, in name order).
  std::vector<std::vector<std::pair<std::string, std::string>>> combos{{}};
  for (const auto& [name, values] : b.set) {
    std::vector<std::vector<std::pair<std::string, std::string>>> next;
    for (const auto& c : combos) {
      for (const auto& v : values) {
        auto c2 = c;
        c2.emplace_back(name, v);
        next.push_back(std::move(c2));
      }
    }
    combos = std::move(next);
  }
  for (const auto& wl : b.workloads)
    for (const auto& ph : b.phases)
      for (const auto& hw : b.hardware)
        for (long long lbs : b.lbs)
          for (long long gbs : b.gbs)
            for (long long spg : b.spg)
              for (long long ep : b.epochs)
               for (const auto& tgt : b.targets)
                for (const auto& combo : combos)
                  for (long long n : b.gpus)
                    for (long long seed : b.seeds) {
                      SweepPoint p;
                      p.index = out.size();
                      p.mode = b.mode;
                      RunConfig& c = p.config;
                      c.workload = wl;
                      c.phase = ph;
                      c.hardware = hw;
                      c.gpus = static_cast<int>(n);  // <= limit.gpus (checked when parsed)
                      c.lbs = lbs;
                      c.gbs = gbs;
                      c.samples_per_gpu = spg;
                      c.epochs = static_cast<int>(ep);
                      if (!tgt.empty()) parse_target(tgt, c);
                      c.seed = static_cast<std::uint64_t>(seed);
                      c.repeats = 1;
                      c.fast_forward_epochs = static_cast<int>(b.fast_forward);
                      c.interval_level = b.interval;
                      c.rank_classes = b.rank_classes;
                      c.overrides = combo;
                      out.push_back(std::move(p));
                    }
}

void check_sweep_size(long long points, const std::string& file, int line) {
  const long long max = limit_of(Limit::kSweepPoints);
  if (points > max) {
    throw ConfigError(file, line, "the sweep expands to more than " + std::to_string(max) + " points (limit.sweep_points); split it into several files");
  }
}

}  // namespace

namespace {
SweepSpec parse_sweep_yaml(const std::string& text, const std::string& file, const std::string& base_dir);
}  // namespace

SweepSpec parse_sweep(const std::string& text, const std::string& file, const std::string& base_dir) {
  try {
    return parse_sweep_yaml(text, file, base_dir);
  } catch (const YAML::Exception& e) {  // a conversion the checks missed: still bad input
    throw ConfigError(file, e.mark.line >= 0 ? e.mark.line + 1 : 0, e.msg);
  }
}

namespace {
SweepSpec parse_sweep_yaml(const std::string& text, const std::string& file, const std::string& base_dir) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
    check_unique_keys(root, file);
  } catch (const YAML::ParserException& e) {
    throw ConfigError(file, e.mark.line + 1, "YAML syntax error: " + e.msg);
  }
  if (!root.IsMap()) throw ConfigError(file, yaml_line(root), "a sweep file is a mapping (name:, workload:, hardware:, gpus:, ...)");
  std::vector<std::string_view> top_keys = {"name", "description", "calibration", "grids"};
  top_keys.insert(top_keys.end(), kBlockKeys.begin(), kBlockKeys.end());
  {
    std::vector<std::string> names(top_keys.begin(), top_keys.end());
    for (auto it = root.begin(); it != root.end(); ++it) {
      auto key = it->first.Scalar();
      if (std::find(names.begin(), names.end(), key) == names.end()) {
        throw ConfigError(file, yaml_line(it->first), "unknown key '" + key + "'" + did_you_mean(key, names));
      }
    }
  }
  SweepSpec spec;
  spec.file = file;
  spec.spec_hash = hex64(fnv1a64(text));
  spec.name = yaml_string(root, "name", file);
  spec.description = yaml_string(root, "description", file, false);
  std::string cal = yaml_string(root, "calibration", file, false);
  if (!cal.empty()) {
    spec.calibration = std::filesystem::path(cal).is_absolute() || base_dir.empty()
                           ? cal
                           : (std::filesystem::path(base_dir) / cal).lexically_normal().string();
  }
  const YAML::Node grids = root["grids"];
  if (grids) {
    if (!grids.IsSequence() || grids.size() == 0) throw ConfigError(file, yaml_line(grids), "'grids' must be a non-empty list of mappings");
    std::vector<Block> blocks;
    for (const auto& g : grids) {
      check_keys(g, file, kBlockKeys);
      blocks.push_back(parse_block(g, root, file, base_dir));
    }
    long long total = 0;
    for (const auto& b : blocks) total = std::min(total + count_points(b), limit_of(Limit::kSweepPoints) + 1);
    check_sweep_size(total, file, yaml_line(grids));
    for (const auto& b : blocks) expand(b, spec.points);
  } else {
    Block b = parse_block(YAML::Node(YAML::NodeType::Undefined), root, file, base_dir);
    check_sweep_size(count_points(b), file, yaml_line(root));
    expand(b, spec.points);
  }
  return spec;
}
}  // namespace

SweepSpec load_sweep_file(const std::string& path) {
  check_input_file(path, "sweep file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path + ": cannot be read");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string dir = std::filesystem::path(path).parent_path().string();
  return parse_sweep(ss.str(), path, dir.empty() ? "." : dir);
}

// ----------------------------------------------------------------------------------------------
// Keys
// ----------------------------------------------------------------------------------------------

namespace {
void append_params(std::string& out, const char* scope, const ParamSet& set) {
  for (std::size_t i = 0; i < set.table().size(); ++i) {
    fmt::format_to(std::back_inserter(out), "{}.{}={:.17g}\n", scope, set.table().spec(i).name, set[i]);
  }
}
}  // namespace

namespace {
// Every input of a run, in one order: `kv(key, text)` for the configuration, `params(scope, set)`
// for each parameter set. canonical_config() prints them; scenario_fingerprint() packs them.
template <typename Kv, typename Params>
void visit_config(const Scenario& s, Kv kv, Params params) {
  kv("workload", s.wl.name);
  kv("phase", s.phase.name);
  kv("hardware", s.hw.name);
  kv("gpus", std::to_string(s.gpus));
  kv("lbs", std::to_string(s.lbs));
  kv("gbs", std::to_string(s.gbs));
  kv("epochs", std::to_string(s.epochs));
  kv("samples_per_gpu", std::to_string(std::max(0LL, s.config.samples_per_gpu)));
  if (s.has_target) {
    kv("target", fmt::format("{}={:.17g}", s.target.metric, s.target.value));
  }
  kv("train_samples", std::to_string(s.train_samples));
  kv("val_samples", std::to_string(s.val_samples));
  kv("seed", std::to_string(s.config.seed));
  if (s.config.fast_forward_epochs > 0 && s.config.fast_forward_epochs < s.epochs) {
    kv("fast_forward", std::to_string(s.config.fast_forward_epochs));  // extrapolated results differ
  }
  if (s.config.rank_classes && s.nodes > 1) kv("rank_classes", "1");  // approximated results differ
  if (s.config.interval_level > 0) kv("interval", fmt::format("{:.17g}", s.config.interval_level));  // stored outputs differ
  params("hardware", s.hw.params);
  params("workload", s.wl.params);
  params("phase", s.phase.params);
  params("node_calibration", s.node_cal);
  params("workload_calibration", s.wl_cal);
  // The site only when given (hashes of runs without site.* stay as they were); a time series by
  // its content, so an edited file is a new configuration.
  bool site_given = s.site.has_series() || s.site.currency != "EUR";
  for (std::size_t i = 0; i < s.site.params.table().size(); ++i) site_given = site_given || s.site.params.is_set(i);
  if (site_given) {
    params("site", s.site.params);
    kv("site.currency", s.site.currency);
    if (s.site.has_series()) {
      kv("site.start_time", fmt::format("{:.17g}", s.site.start_time_s));
      for (const auto& p : s.site.series) kv("site.series", fmt::format("{:.17g},{:.17g}", p.t_s, p.g_per_kwh));
    }
  }
}
}  // namespace

std::string canonical_config(const Scenario& s) {
  std::string out = "ddpsim-config/1\n";
  visit_config(
      s, [&](const char* k, const std::string& v) { out += std::string(k) + "=" + v + "\n"; },
      [&](const char* scope, const ParamSet& set) { append_params(out, scope, set); });
  return out;
}

std::string scenario_fingerprint(const Scenario& s) {
  std::string out;
  out.reserve(2048);
  visit_config(
      s,
      [&](const char*, const std::string& v) {
        out += v;
        out += '\0';
      },
      [&](const char*, const ParamSet& set) {
        for (std::size_t i = 0; i < set.table().size(); ++i) {
          double v = set[i];
          out.append(reinterpret_cast<const char*>(&v), sizeof v);
        }
      });
  return out;
}

std::string config_hash(const Scenario& s) { return hex64(fnv1a64(canonical_config(s))); }

std::string overrides_text(const RunConfig& c) {
  auto o = c.overrides;
  std::stable_sort(o.begin(), o.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string out;
  for (const auto& [k, v] : o) out += (out.empty() ? "" : "; ") + k + "=" + std::string(trim(v));
  return out;
}

std::string series_key(const SweepPoint& p, const Scenario& s) {
  const RunConfig& c = p.config;
  std::string key = s.wl.name + "/" + s.phase.name + "/" + s.hw.name + "/" + scaling_mode_name(p.mode) + "/";
  switch (p.mode) {
    case ScalingMode::ConstantLbs:
    case ScalingMode::ScaledDatasetConstantLbs:
      key += "lbs=" + std::to_string(c.lbs);
      break;
    case ScalingMode::ConstantGbs:
    case ScalingMode::ScaledDatasetConstantGbs:
      key += "gbs=" + std::to_string(c.gbs);
      break;
    case ScalingMode::Grid:
      if (c.lbs > 0) key += "lbs=" + std::to_string(c.lbs);
      if (c.gbs > 0) key += std::string(c.lbs > 0 ? "," : "") + "gbs=" + std::to_string(c.gbs);
      break;
  }
  if (c.samples_per_gpu > 0) key += "/spg=" + std::to_string(c.samples_per_gpu);
  if (s.has_target) {
    key += fmt::format("/target={}={:.10g}", s.target.metric, s.target.value);
  } else {
    key += "/epochs=" + std::to_string(s.epochs);
  }
  if (!c.overrides.empty()) key += "/set:" + overrides_text(c);
  return key;
}

std::string point_label(const SweepPoint& p) {
  const RunConfig& c = p.config;
  std::string out = c.workload + (c.phase.empty() ? "" : "/" + c.phase) + " " + c.hardware + " n=" + std::to_string(c.gpus);
  if (c.lbs > 0) out += " lbs=" + std::to_string(c.lbs);
  if (c.gbs > 0) out += " gbs=" + std::to_string(c.gbs);
  if (c.samples_per_gpu > 0) out += " spg=" + std::to_string(c.samples_per_gpu);
  if (c.epochs > 0) out += " epochs=" + std::to_string(c.epochs);
  if (!c.target_metric.empty()) {
    out += fmt::format(" target={}={:.10g}", c.target_metric, c.target_value);
  }
  out += " seed=" + std::to_string(c.seed);
  if (!c.overrides.empty()) out += " {" + overrides_text(c) + "}";
  return out;
}

// ----------------------------------------------------------------------------------------------
// Running
// ----------------------------------------------------------------------------------------------

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

std::string hms(double s) {
  if (!(s >= 0) || s > 1e8) return "?";
  auto t = static_cast<long long>(std::llround(s));
  if (t >= 3600) return fmt::format("{}:{:02}:{:02}", t / 3600, t / 60 % 60, t % 60);
  return fmt::format("{}:{:02}", t / 60, t % 60);
}

/// Runs fn(i) for i in [0, n) on `jobs` threads; the first exception stops the others and is
/// rethrown after all threads joined.
template <typename F>
void parallel_for(std::size_t n, int jobs, F fn) {
  std::atomic<std::size_t> next{0};
  std::atomic<bool> stop{false};
  std::exception_ptr error;
  std::mutex error_mutex;
  auto worker = [&] {
    for (;;) {
      if (stop.load()) return;
      std::size_t i = next.fetch_add(1);
      if (i >= n) return;
      try {
        fn(i);
      } catch (...) {
        std::lock_guard lock(error_mutex);
        if (!error) error = std::current_exception();
        stop = true;
      }
    }
  };
  std::size_t threads = std::min<std::size_t>(static_cast<std::size_t>(std::max(1, jobs)), n);
  std::vector<std::thread> pool;
  for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
  if (n > 0) worker();
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
}

class Progress {
 public:
  Progress(std::ostream* out, ProgressStyle style, std::size_t total)
      : out_(style == ProgressStyle::None ? nullptr : out), bar_(style == ProgressStyle::Bar), total_(total), t0_(Clock::now()) {}

  void done(const std::string& what) {
    if (!out_) return;
    std::lock_guard lock(m_);
    ++done_;
    double elapsed = seconds_since(t0_);
    double rate = elapsed > 0 ? static_cast<double>(done_) / elapsed : 0;
    double eta = rate > 0 ? static_cast<double>(total_ - done_) / rate : -1;
    if (bar_) {
      constexpr int kWidth = 30;
      int filled = total_ ? static_cast<int>(kWidth * done_ / total_) : kWidth;
      std::string bar(static_cast<std::size_t>(filled), '#');
      bar.resize(kWidth, '.');
      *out_ << fmt::format("\r[{}] {}/{} {:>3.0f}%  {:.2f} points/s  ETA {}   ", bar, done_, total_,
                           total_ ? 100.0 * static_cast<double>(done_) / static_cast<double>(total_) : 100.0, rate, hms(eta))
            << std::flush;
    } else {
      *out_ << fmt::format("[{}/{}] ", done_, total_) << what << " (ETA " << hms(eta) << ")\n" << std::flush;
    }
  }

  void finish() {
    if (out_ && bar_ && done_ > 0) *out_ << "\n" << std::flush;
  }

 private:
  std::ostream* out_;
  bool bar_;
  std::size_t total_, done_ = 0;
  Clock::time_point t0_;
  std::mutex m_;
};

struct Planned {
  const SweepPoint* point = nullptr;
  std::string label, hash, series, reason;
  std::vector<std::string> warnings;  // calibration transfers and defaults of this point
  bool valid = false;
};

}  // namespace

SweepReport run_sweep(const SweepSpec& file_spec, ResultsStore& store, const SweepOptions& opt) {
  // --full-fidelity: every point simulates every epoch, whatever the file's fast_forward says.
  SweepSpec full_spec;
  if (opt.full_fidelity) {
    full_spec = file_spec;
    for (auto& p : full_spec.points) p.config.fast_forward_epochs = 0;
  }
  const SweepSpec& spec = opt.full_fidelity ? full_spec : file_spec;
  auto t0 = Clock::now();
  std::ostream* out = opt.out;
  const std::string cal_path = !opt.calibration.empty() ? opt.calibration
                               : !spec.calibration.empty() ? spec.calibration
                                                           : default_calibration_path();
  const Calibration cal = load_calibration(cal_path);

  SweepReport rep;
  rep.total = static_cast<long long>(spec.points.size());
  std::vector<Planned> plan;
  for (const auto& p : spec.points) {
    if (static_cast<int>(p.index % static_cast<std::size_t>(opt.shard.count)) != opt.shard.index) continue;
    Planned pl;
    pl.point = &p;
    pl.label = point_label(p);
    plan.push_back(std::move(pl));
  }
  rep.in_shard = static_cast<long long>(plan.size());

  // Check every point (in parallel: resolving reads the catalogs).
  parallel_for(plan.size(), opt.jobs, [&](std::size_t i) {
    Planned& pl = plan[i];
    try {
      Scenario s = resolve_scenario(pl.point->config, cal);
      pl.hash = config_hash(s);
      pl.series = series_key(*pl.point, s);
      pl.warnings = s.calibration_warnings;
      pl.valid = true;
    } catch (const InputError& e) {
      pl.reason = e.what();
    }
  });
  // No silent fallback: each transferred or default calibration is said once, on stderr.
  {
    std::set<std::string> said;
    for (const auto& pl : plan) {
      for (const auto& w : pl.warnings) {
        if (said.insert(w).second) std::cerr << "ddpsim: warning: " << escape_controls(w) << "\n";
      }
    }
  }

  store.record_calibration(cal);
  SweepRecord rec{spec.name, spec.file, spec.spec_hash, std::to_string(opt.shard.index) + "/" + std::to_string(opt.shard.count),
                  cal.id, opt.command, opt.jobs};
  rep.sweep_id = store.begin_sweep(rec);

  // Invalid points are reported and recorded; duplicates and stored points are not simulated.
  std::unordered_map<std::string, std::size_t> first_of;
  std::vector<std::size_t> todo;
  for (std::size_t i = 0; i < plan.size(); ++i) {
    Planned& pl = plan[i];
    if (!pl.valid) {
      ++rep.invalid;
      rep.skipped.push_back(pl.label + ": " + pl.reason);
      store.record_skipped(rep.sweep_id, static_cast<long long>(pl.point->index), pl.label, "invalid", pl.reason);
      continue;
    }
    if (!first_of.emplace(pl.hash, i).second) {  // equal to an earlier point: linked to its run below
      ++rep.duplicates;
      continue;
    }
    if (store.find_run(pl.hash, cal.id)) {
      ++rep.stored_before;
    } else {
      todo.push_back(i);
    }
  }

  if (out) {
    *out << "sweep " << spec.name << ": " << rep.total << " points";
    if (opt.shard.count > 1) *out << ", shard " << rec.shard << ": " << rep.in_shard;
    *out << "; " << rep.invalid << " invalid (skipped), " << rep.duplicates << " duplicate, " << rep.stored_before
         << " already stored, " << todo.size() << " to run with " << opt.jobs << (opt.jobs == 1 ? " thread" : " threads")
         << " (calibration " << cal.id << ", ddpsim " << DDPSIM_VERSION << ")\n";
    if (!rep.skipped.empty()) {
      *out << "skipped " << rep.invalid << " invalid point" << (rep.invalid == 1 ? "" : "s") << ":\n";
      for (std::size_t k = 0; k < rep.skipped.size() && k < opt.max_listed_skips; ++k) *out << "  " << rep.skipped[k] << "\n";
      if (rep.skipped.size() > opt.max_listed_skips) {
        *out << "  ... and " << rep.skipped.size() - opt.max_listed_skips << " more (table 'skipped', sweep id " << rep.sweep_id << ")\n";
      }
    }
    *out << std::flush;
  }

  // Simulate. One connection, used under a lock; each result is committed on its own.
  std::mutex store_mutex;
  std::atomic<long long> ran{0}, reused{0}, failed{0};
  Progress progress(out, opt.progress, todo.size());
  try {
    parallel_for(todo.size(), opt.jobs, [&](std::size_t k) {
      Planned& pl = plan[todo[k]];
      RunKey key{pl.hash, scaling_mode_name(pl.point->mode), pl.series, overrides_text(pl.point->config), rep.sweep_id,
                 static_cast<long long>(pl.point->index), 0};
      {
        std::lock_guard lock(store_mutex);
        if (store.find_run(pl.hash, cal.id)) {  // another process stored it meanwhile
          ++reused;
          progress.done(pl.label + ": stored meanwhile by another writer");
          return;
        }
      }
      Scenario s = resolve_scenario(pl.point->config, cal);
      auto ts = Clock::now();
      RunResult r;
      try {
        r = simulate(s, s.config.seed);
      } catch (const Error& e) {
        std::lock_guard lock(store_mutex);
        store.record_skipped(rep.sweep_id, static_cast<long long>(pl.point->index), pl.label, "failed", e.what());
        rep.skipped.push_back(pl.label + ": failed: " + e.what());
        ++failed;
        progress.done(pl.label + ": FAILED: " + e.what());
        return;
      }
      std::optional<IntervalResult> iv;
      if (s.config.interval_level > 0) {
        try {
          IntervalOptions io;
          io.level = s.config.interval_level;
          io.seed = s.config.seed;
          iv = predict_interval(pl.point->config, cal, r, io);
        } catch (const Error& e) {
          std::lock_guard lock(store_mutex);
          store.record_skipped(rep.sweep_id, static_cast<long long>(pl.point->index), pl.label, "failed", std::string("interval: ") + e.what());
          rep.skipped.push_back(pl.label + ": failed: interval: " + e.what());
          ++failed;
          progress.done(pl.label + ": FAILED: interval: " + e.what());
          return;
        }
      }
      key.sim_wall_s = seconds_since(ts);
      bool inserted = false;
      {
        std::lock_guard lock(store_mutex);
        inserted = store.insert_run(s, r, key, iv ? &*iv : nullptr).second;
      }
      ++(inserted ? ran : reused);
      progress.done(pl.label + ": " + fmt::format("{:.4g} h, {:.4g} kWh ({:.3g} s)", r.runtime_s / 3600.0, r.energy_total_j / 3.6e6, key.sim_wall_s));
    });
  } catch (...) {
    progress.finish();
    rep.ran = ran;
    rep.reused = reused;
    rep.failed = failed;
    try {
      store.finish_sweep(rep.sweep_id, rep, "error");
    } catch (const Error&) {
      // The original failure matters more.
    }
    throw;
  }
  progress.finish();
  rep.ran = ran;
  rep.reused = reused;
  rep.failed = failed;

  // Record the run of every valid point (also those stored before, duplicates and reused runs).
  {
    Transaction tx(store.db());
    for (const auto& pl : plan) {
      if (!pl.valid) continue;
      if (auto id = store.find_run(pl.hash, cal.id)) {
        store.link_point(*id, RunKey{pl.hash, scaling_mode_name(pl.point->mode), pl.series, "", rep.sweep_id,
                                     static_cast<long long>(pl.point->index), 0});
      }
    }
    tx.commit();
  }
  store.finish_sweep(rep.sweep_id, rep, rep.failed > 0 ? "failed" : "done");
  rep.wall_s = seconds_since(t0);
  if (out) {
    *out << "done: " << rep.ran << " run, " << rep.stored_before + rep.reused + rep.duplicates << " reused, " << rep.invalid
         << " invalid skipped, " << rep.failed << " failed in " << fmt::format("{:.2f}", rep.wall_s) << " s";
    if (rep.ran > 0) *out << " (" << fmt::format("{:.2f}", static_cast<double>(rep.ran) / rep.wall_s) << " points/s)";
    *out << "\n" << std::flush;
  }
  return rep;
}

}  // namespace ddpsim
