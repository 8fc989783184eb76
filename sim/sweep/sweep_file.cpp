// Sweep files: scaling modes, integer ranges, shards, grid blocks and their expansion into points.
#include "sim/sweep/sweep.hpp"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <sstream>

#include "sim/core/errors.hpp"
#include "sim/core/hash.hpp"
#include "sim/core/limits.hpp"
#include "sim/core/text.hpp"
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

// One grid entry being read: its own keys win over the file's top level; errors name the file.
struct BlockInput {
  const YAML::Node& entry;
  const YAML::Node& top;
  const std::string& file;
  const std::string& base_dir;
  YAML::Node node(const char* key) const { return pick(entry, top, key); }
  const YAML::Node& where() const { return entry ? entry : top; }
  [[noreturn]] void fail(const YAML::Node& at, const std::string& what) const { throw ConfigError(file, yaml_line(at), what); }
};

// Runs `parse` on a scalar, turning its InputError into a ConfigError at `at`.
template <typename F>
auto checked(const BlockInput& in, const YAML::Node& at, F parse) {
  try {
    return parse();
  } catch (const InputError& e) {
    in.fail(at, e.what());
  }
}

// Workloads, hardware and phases: loaded now, so a typo stops the sweep with file:line instead of
// skipping points.
void parse_names(const BlockInput& in, Block& b) {
  auto wl_node = in.node("workload");
  if (!wl_node) in.fail(in.where(), "missing required key 'workload'");
  std::vector<WorkloadSpec> loaded;
  for (const auto& w : strings_of(wl_node, "workload", in.file)) {
    b.workloads.push_back(resolve_path(w, in.base_dir));
    loaded.push_back(checked(in, wl_node, [&] { return load_workload(b.workloads.back()); }));
  }
  auto hw_node = in.node("hardware");
  if (!hw_node) in.fail(in.where(), "missing required key 'hardware'");
  for (const auto& h : strings_of(hw_node, "hardware", in.file)) {
    b.hardware.push_back(resolve_path(h, in.base_dir));
    checked(in, hw_node, [&] { return load_hardware(b.hardware.back()); });
  }
  auto ph = in.node("phase");
  if (!ph) {
    b.phases = {""};
    return;
  }
  b.phases = strings_of(ph, "phase", in.file);
  std::vector<std::string> known;
  for (const auto& w : loaded) {
    for (const auto& p : w.phases) known.push_back(p.name);
  }
  for (const auto& p : b.phases) {
    if (std::find(known.begin(), known.end(), p) == known.end()) {
      in.fail(ph, "unknown phase '" + p + "'" + did_you_mean(p, known) + " for the workloads of this grid");
    }
  }
}

// The grid axes (gpus, lbs, gbs, samples_per_gpu, epochs or target) and the per-point options.
void parse_axes(const BlockInput& in, Block& b) {
  const std::string& file = in.file;
  auto gpus_node = in.node("gpus");
  if (!gpus_node) in.fail(in.where(), "missing required key 'gpus'");
  b.gpus = ints_of(gpus_node, "gpus", file, 1, limit_of(Limit::kGpus), "limit.gpus");
  b.lbs = ints_of(in.node("lbs"), "lbs", file, 1);
  b.gbs = ints_of(in.node("gbs"), "gbs", file, 1);
  b.spg = ints_of(in.node("samples_per_gpu"), "samples_per_gpu", file, 1);
  b.epochs = ints_of(in.node("epochs"), "epochs", file, 1, limit_of(Limit::kEpochs), "limit.epochs");
  if (auto t = in.node("target")) {
    if (!b.epochs.empty()) in.fail(t, "give 'epochs' or 'target', not both: a target sets the epochs");
    std::vector<YAML::Node> items;
    if (t.IsSequence()) {
      for (const auto& x : t) items.push_back(x);
    } else {
      items.push_back(t);
    }
    for (const auto& x : items) {
      if (!x.IsScalar()) in.fail(x, "'target' must be METRIC=VALUE or a list of them, e.g. top1=0.72");
      RunConfig probe;
      checked(in, x, [&] {
        parse_target(x.as<std::string>(), probe);
        return 0;
      });
      b.targets.push_back(x.as<std::string>());
    }
  }
  if (auto ff = in.node("fast_forward")) {
    auto v = ints_of(ff, "fast_forward", file, 0, limit_of(Limit::kEpochs), "limit.epochs");
    if (v.size() != 1) in.fail(ff, "'fast_forward' must be one number of epochs (0 = full fidelity)");
    b.fast_forward = v.front();
  }
  if (auto rc = in.node("rank_classes")) {
    const std::string v = rc.IsScalar() ? rc.Scalar() : std::string();
    if (v != "true" && v != "false") in.fail(rc, "'rank_classes' is true or false (simulate one node whose ranks stand for every node)");
    b.rank_classes = v == "true";
  }
  if (auto iv = in.node("interval")) {
    if (!iv.IsScalar()) in.fail(iv, "'interval' is one level in percent, e.g. 90");
    b.interval = checked(in, iv, [&] { return parse_interval_level(iv.as<std::string>()); });
  }
}

// What each scaling mode needs and forbids; then the unused axes get their one "not set" value.
void check_mode(const BlockInput& in, Block& b) {
  const char* mode = scaling_mode_name(b.mode);
  auto need = [&](bool have, const char* key, const char* why) {
    if (!have) in.fail(in.where(), std::string("mode ") + mode + " needs '" + key + "' (" + why + ")");
  };
  auto forbid = [&](const char* key, const char* why) {
    if (auto n = in.node(key)) in.fail(n, std::string("mode ") + mode + " does not take '" + key + "' (" + why + ")");
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
        in.fail(in.where(), "give 'lbs' or 'gbs' (or a 'mode': " + std::string("constant_lbs, constant_gbs, ...)"));
      }
      break;
  }
  if (b.lbs.empty()) b.lbs = {0};
  if (b.gbs.empty()) b.gbs = {0};
  if (b.spg.empty()) b.spg = {0};
  if (b.epochs.empty()) b.epochs = {0};
  if (b.targets.empty()) b.targets = {""};
}

// Seeds: a list, or `repeats` consecutive seeds from `seed` (default 1).
void parse_seeds(const BlockInput& in, Block& b) {
  auto seeds = in.node("seeds"), repeats = in.node("repeats"), seed = in.node("seed");
  if (seeds && (repeats || seed)) in.fail(seeds, "give either 'seeds' or 'seed'/'repeats', not both");
  if (seeds) {
    b.seeds = ints_of(seeds, "seeds", in.file, 0);
    return;
  }
  long long first = 1, count = 1;
  if (seed) {
    auto v = ints_of(seed, "seed", in.file, 0);
    if (v.size() != 1) in.fail(seed, "'seed' is one integer (use 'seeds' for a list)");
    first = v[0];
  }
  if (repeats) {
    auto v = ints_of(repeats, "repeats", in.file, 1, limit_of(Limit::kRepeats), "limit.repeats");
    if (v.size() != 1) in.fail(repeats, "'repeats' is one integer");
    count = v[0];
  }
  for (long long k = 0; k < count; ++k) b.seeds.push_back(first + k);
}

// Overrides: the entry's names win over the top level's; each value list is a grid axis. Every
// name and value is checked against its declaration now.
void parse_overrides(const BlockInput& in, Block& b) {
  std::map<std::string, YAML::Node> set_nodes;
  for (const YAML::Node* src : {&in.top, &in.entry}) {
    if (!*src || !src->IsMap()) continue;
    const YAML::Node s = (*src)["set"];
    if (!s) continue;
    if (!s.IsMap()) in.fail(s, "'set' must map parameter names to values, e.g. {gpu.power_limit: [300 W, 400 W]}");
    for (auto it = s.begin(); it != s.end(); ++it) set_nodes[it->first.Scalar()] = it->second;
    for (auto it = s.begin(); it != s.end(); ++it) {
      const std::string name = it->first.Scalar();
      if (!find_override_spec(name) && !is_site_param(name)) {
        in.fail(it->first, "unknown parameter '" + name + "'" + did_you_mean(name, overridable_parameters()) + " (see 'ddpsim list params')");
      }
    }
  }
  for (const auto& [name, values] : set_nodes) {
    const ParamSpec* spec = find_override_spec(name);
    auto texts = strings_of(values, "set: " + name, in.file);
    for (const auto& t : texts) {
      try {
        if (spec) {
          check_param_range(*spec, parse_param_value(*spec, t));
        } else {
          check_site_value(name, t);
        }
      } catch (const InputError& e) {
        in.fail(values, name + ": " + e.what());
      }
    }
    b.set.emplace_back(name, texts);
  }
}

Block parse_block(const YAML::Node& entry, const YAML::Node& top, const std::string& file, const std::string& base_dir) {
  const BlockInput in{entry, top, file, base_dir};
  Block b;
  if (auto m = in.node("mode")) {
    if (!m.IsScalar()) in.fail(m, "'mode' must be a single name");
    b.mode = checked(in, m, [&] { return parse_scaling_mode(m.Scalar()); });
  }
  parse_names(in, b);
  parse_axes(in, b);
  check_mode(in, b);
  parse_seeds(in, b);
  parse_overrides(in, b);
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

}  // namespace ddpsim
