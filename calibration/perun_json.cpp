// Reader of perun's JSON export: a tree app -> multi-run -> run -> host -> device group -> sensor.
// nlohmann-json parses it (SAX) over an iterator that counts lines, so every value of the tree
// built here keeps the line it starts on and every error names FILE:LINE.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cctype>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <limits>
#include <unordered_map>

#include "calibration/readers.hpp"
#include "calibration/text_input.hpp"
#include "sim/core/errors.hpp"
#include "sim/core/limits.hpp"
#include "sim/core/units.hpp"

namespace ddpsim {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
enum NodeType { kApp = 1, kMultiRun = 2, kRun = 3, kHost = 4, kDeviceGroup = 5, kSensor = 6 };
// Objects and lists nested deeper than this are an input error (yaml-cpp, the reader before,
// stopped at 2000): the tree below is built and freed recursively.
constexpr std::size_t kMaxNestingLevels = 1000;

// ---------------------------------------------------------------------------------------------
// JSON with lines

// A JSON value and the line it starts on (1-based).
struct JsonValue {
  enum class Kind : unsigned char { kNull, kBool, kNumber, kString, kObject, kArray };
  Kind kind = Kind::kNull;
  int line = 0;
  std::string text;               // a scalar as text: the string, the number as written, true/false
  std::vector<std::string> keys;  // an object's member names, one per item
  std::vector<JsonValue> items;   // an object's member values or a list's elements

  bool is_object() const { return kind == Kind::kObject; }
  bool is_array() const { return kind == Kind::kArray; }
  bool is_null() const { return kind == Kind::kNull; }
  bool is_scalar() const { return kind == Kind::kBool || kind == Kind::kNumber || kind == Kind::kString; }
  /// The member `key` of an object, or null (also for a value that is no object).
  const JsonValue* find(std::string_view key) const {
    for (std::size_t i = 0; i < keys.size(); ++i) {
      if (keys[i] == key) return &items[i];
    }
    return nullptr;
  }
};

// Where the lexer is: the line of the next character and the line of the last one that is no
// blank. A SAX event comes right after its token was read (a number: and one character more,
// which ends it and may be a line end), so `token_line` is the line of the event's token.
struct LinePosition {
  int line = 1;
  int token_line = 1;
};

// Input iterator over a buffer that moves a LinePosition as the lexer reads.
class LineCountingIterator {
 public:
  using iterator_category = std::input_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char*;
  using reference = const char&;

  LineCountingIterator(const char* at, LinePosition* pos) : at_(at), pos_(pos) {}
  reference operator*() const { return *at_; }
  LineCountingIterator& operator++() {
    const char c = *at_++;
    if (c == '\n') {
      ++pos_->line;
    } else if (c != ' ' && c != '\t' && c != '\r') {
      pos_->token_line = pos_->line;
    }
    return *this;
  }
  LineCountingIterator operator++(int) {
    LineCountingIterator before = *this;
    ++*this;
    return before;
  }
  bool operator==(const LineCountingIterator& o) const { return at_ == o.at_; }

 private:
  const char* at_;
  LinePosition* pos_;
};

// Python's json module (perun) writes NaN, Infinity and -Infinity for non-finite floats, which
// JSON lacks: outside strings they become null (read as a missing value, as NaN was before).
// Line ends stay where they are, so lines do not move.
std::string non_finite_as_null(std::string text) {
  auto word_at = [&](std::size_t i) -> std::size_t {
    for (std::string_view w : {"NaN", "Infinity", "-Infinity"}) {
      if (text.compare(i, w.size(), w) != 0) continue;
      const std::size_t end = i + w.size();
      auto part_of_word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-' || c == '+'; };
      if ((i > 0 && part_of_word(text[i - 1])) || (end < text.size() && part_of_word(text[end]))) return 0;
      return w.size();
    }
    return 0;
  };
  std::string out;
  bool in_string = false, replaced = false;
  std::size_t copied = 0;  // text[0, copied) is in `out` (once something was replaced)
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == 'N' || c == 'I' || c == '-') {
      if (std::size_t n = word_at(i)) {
        if (!replaced) out.reserve(text.size() + text.size() / 8);
        replaced = true;
        out.append(text, copied, i - copied).append("null");
        i += n - 1;
        copied = i + 1;
      }
    }
  }
  if (!replaced) return text;
  out.append(text, copied, std::string::npos);
  return out;
}

// Builds the JsonValue tree from nlohmann's SAX events; errors are ConfigErrors at their line.
class JsonTreeBuilder {
 public:
  JsonTreeBuilder(const std::string& file, const LinePosition& pos) : file_(file), pos_(pos) {}

  bool null() { return add(JsonValue::Kind::kNull, {}); }
  bool boolean(bool v) { return add(JsonValue::Kind::kBool, v ? "true" : "false"); }
  bool number_integer(std::int64_t v) { return add(JsonValue::Kind::kNumber, std::to_string(v)); }
  bool number_unsigned(std::uint64_t v) { return add(JsonValue::Kind::kNumber, std::to_string(v)); }
  bool number_float(double, const std::string& as_written) { return add(JsonValue::Kind::kNumber, as_written); }
  bool string(std::string& v) { return add(JsonValue::Kind::kString, std::move(v)); }
  bool binary(nlohmann::json::binary_t&) { return add(JsonValue::Kind::kNull, {}); }  // not in text JSON
  bool start_object(std::size_t) { return open(JsonValue::Kind::kObject); }
  bool end_object() { return close(); }
  bool start_array(std::size_t) { return open(JsonValue::Kind::kArray); }
  bool end_array() { return close(); }
  bool key(std::string& k) {
    auto [first, fresh] = open_.back().key_lines.emplace(k, pos_.token_line);
    if (!fresh) {
      throw ConfigError(file_, pos_.token_line, "duplicate key " + quote_user(k) + " (first at line " + std::to_string(first->second) + ")");
    }
    key_ = std::move(k);
    return true;
  }
  bool parse_error(std::size_t, const std::string& last_token, const nlohmann::json::exception& e) {
    // "[json.exception.parse_error.101] parse error at line 7, column 5: syntax error while ...; last read: '...'":
    // the part after the position, with the last token quoted (escaped, cut) as every message quotes user text.
    std::string what = e.what();
    if (auto id_end = what.find("] "); id_end != std::string::npos) what.erase(0, id_end + 2);
    if (what.rfind("parse error", 0) == 0) {
      if (auto colon = what.find(": "); colon != std::string::npos) what.erase(0, colon + 2);
    }
    if (auto last = what.find("; last read: "); last != std::string::npos) what = what.substr(0, last) + "; last read: " + quote_user(last_token);
    throw ConfigError(file_, pos_.token_line, what.rfind("syntax error", 0) == 0 ? "JSON " + what : "JSON syntax error: " + what);
  }

  JsonValue take_root() { return std::move(root_); }

 private:
  struct Open {
    JsonValue* value;
    std::unordered_map<std::string, int> key_lines;  // an object's keys so far: where each was
  };

  bool add(JsonValue::Kind kind, std::string text) {
    JsonValue& v = place(kind);
    v.text = std::move(text);
    return true;
  }
  bool open(JsonValue::Kind kind) {
    if (open_.size() >= kMaxNestingLevels) {
      throw ConfigError(file_, pos_.token_line, "objects and lists nested more than " + std::to_string(kMaxNestingLevels) + " levels deep");
    }
    // The open values are each the last item of the one before, and items are only added to
    // the innermost: the pointers stay valid.
    open_.push_back({&place(kind), {}});
    return true;
  }
  bool close() {
    open_.pop_back();
    return true;
  }
  JsonValue& place(JsonValue::Kind kind) {
    JsonValue* v = &root_;
    if (!open_.empty()) {
      JsonValue& parent = *open_.back().value;
      if (parent.is_object()) parent.keys.push_back(std::move(key_));
      v = &parent.items.emplace_back();
    }
    v->kind = kind;
    v->line = pos_.token_line;
    return *v;
  }

  const std::string& file_;
  const LinePosition& pos_;
  JsonValue root_;
  std::vector<Open> open_;
  std::string key_;
};

// The whole file as a JsonValue tree (limit.input_file_bytes applies).
JsonValue load_json_with_lines(const std::string& path) {
  check_input_file(path);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path + ": cannot be read");
  std::string raw{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) throw InputError(path + ": cannot be read");
  const std::string text = non_finite_as_null(std::move(raw));
  LinePosition pos;
  JsonTreeBuilder builder(path, pos);
  nlohmann::json::sax_parse(LineCountingIterator(text.data(), &pos), LineCountingIterator(text.data() + text.size(), &pos), &builder);
  return builder.take_root();
}

// ---------------------------------------------------------------------------------------------
// The perun tree

struct Context {
  std::string run_id, host, group;
};

class PerunJsonReader {
 public:
  explicit PerunJsonReader(std::string file) : file_(std::move(file)) {}

  PerunExport read() {
    const JsonValue root = load_json_with_lines(file_);
    out_.file = file_;
    if (!root.is_object()) fail(root, "expected a perun data node (a JSON object with id, type, nodes, metrics)");
    out_.app_id = text_of(root, "id");
    visit(root, {});
    if (out_.runs.empty() && out_.hosts.empty()) fail(root, "no run (type 3) or host (type 4) node found: is this a perun JSON export?");
    return std::move(out_);
  }

 private:
  [[noreturn]] void fail(const JsonValue& at, const std::string& msg) const { throw ConfigError(file_, at.line, msg); }

  std::string text_of(const JsonValue& map, const char* key) const {
    const JsonValue* n = map.find(key);
    if (!n) fail(map, std::string("data node without '") + key + "'");
    if (!n->is_scalar()) fail(*n, std::string("'") + key + "' must be a single value");
    return n->text;
  }

  // A JSON number (or a string holding one); NaN where absent, null, or a NaN/Infinity spelling.
  double number(const JsonValue* n, std::string_view what) const {
    if (!n || n->is_null()) return kNaN;
    if (!n->is_scalar()) fail(*n, "'" + std::string(what) + "' must be a number");
    std::string l = text::lower(n->text);
    if (l == "nan" || l == ".nan" || l == "infinity" || l == "-infinity" || l == ".inf" || l == "-.inf") return kNaN;
    return text::to_double(n->text, file_, n->line, what);
  }

  // A scalar member's text, or "" where it is absent or no scalar.
  static std::string scalar_text(const JsonValue& map, std::string_view key) {
    const JsonValue* n = map.find(key);
    return n && n->is_scalar() ? n->text : std::string();
  }

  // SI value of `physical` in `unit` for dimension `dim`.
  double to_si(double physical, const std::string& unit, Dim dim, const JsonValue& at, const std::string& metric) const {
    if (std::isnan(physical) || unit.empty() || unit == dim_si_unit(dim)) return physical;
    try {
      return parse_quantity(fmt::format("{:.17g} {}", physical, unit), dim);
    } catch (const InputError&) {
      fail(at, "metric '" + metric + "' is in '" + unit + "', expected a " + dim_name(dim) + " (" + dim_si_unit(dim) + ")");
    }
  }

  struct Value {
    double physical = kNaN;
    std::string unit;
  };

  // value x mag and the unit of a {value, metric_md: {unit, mag}} object.
  Value read_value(const JsonValue& m, const std::string& name, const char* value_key, const char* md_key) const {
    if (!m.is_object()) fail(m, "metric '" + name + "' must be an object {type, value, metric_md, agg}");
    Value v;
    v.physical = number(m.find(value_key), name);
    double mag = 1.0;
    if (const JsonValue* md = m.find(md_key)) {
      if (!md->is_object()) fail(*md, "'" + std::string(md_key) + "' of '" + name + "' must be an object {unit, mag, ...}");
      v.unit = scalar_text(*md, "unit");
      if (const JsonValue* mg = md->find("mag")) mag = number(mg, name + ".mag");
      if (std::isnan(mag)) mag = 1.0;
    }
    v.physical *= mag;
    return v;
  }

  PerunSummary summarize_node(const JsonValue& node, int type, const Context& ctx) {
    PerunSummary s;
    s.id = text_of(node, "id");
    s.type = type;
    s.run_id = type == kRun ? s.id : ctx.run_id;
    s.host = type == kHost ? s.id : "";
    s.line = node.line;
    for (double* f : {&s.runtime_s, &s.energy_j, &s.cpu_energy_j, &s.gpu_energy_j, &s.dram_energy_j, &s.power_w, &s.cpu_power_w,
                      &s.gpu_power_w, &s.dram_power_w}) {
      *f = kNaN;
    }
    const JsonValue* metrics = node.find("metrics");
    if (!metrics || metrics->is_null()) return s;
    if (!metrics->is_object()) fail(*metrics, "'metrics' must map metric types to {type, value, metric_md, agg}");
    struct Target {
      const char* name;
      Dim dim;
      double PerunSummary::*field;
    };
    static constexpr Target kTargets[] = {
        {"runtime", Dim::Time, &PerunSummary::runtime_s},         {"energy", Dim::Energy, &PerunSummary::energy_j},
        {"cpu_energy", Dim::Energy, &PerunSummary::cpu_energy_j}, {"gpu_energy", Dim::Energy, &PerunSummary::gpu_energy_j},
        {"dram_energy", Dim::Energy, &PerunSummary::dram_energy_j}, {"power", Dim::Power, &PerunSummary::power_w},
        {"cpu_power", Dim::Power, &PerunSummary::cpu_power_w},    {"gpu_power", Dim::Power, &PerunSummary::gpu_power_w},
        {"dram_power", Dim::Power, &PerunSummary::dram_power_w},
    };
    for (std::size_t i = 0; i < metrics->items.size(); ++i) {
      const std::string& name = metrics->keys[i];
      const JsonValue& m = metrics->items[i];
      bool target = false;
      for (const auto& t : kTargets) target = target || name == t.name;
      // A metric this reader does not summarise may hold anything (a list, an object): skip it.
      const JsonValue* value = m.is_object() ? m.find("value") : nullptr;
      if (!target && (!m.is_object() || (value && !value->is_scalar() && !value->is_null()))) continue;
      Value v = read_value(m, name, "value", "metric_md");
      if (std::isnan(v.physical)) continue;
      s.metrics[name] = v.physical;
      s.units[name] = v.unit;
      for (const auto& t : kTargets) {
        if (name == t.name) s.*t.field = to_si(v.physical, v.unit, t.dim, m, name);
      }
    }
    return s;
  }

  // Children of a node: `nodes` is a list holding objects of id -> child, or one such object.
  std::vector<const JsonValue*> children(const JsonValue& node) const {
    std::vector<const JsonValue*> out;
    const JsonValue* nodes = node.find("nodes");
    if (!nodes || nodes->is_null()) return out;
    auto add_map = [&](const JsonValue& m) {
      if (m.is_null()) return;
      if (!m.is_object()) fail(m, "'nodes' must hold objects mapping child ids to data nodes");
      for (const auto& child : m.items) out.push_back(&child);
    };
    if (nodes->is_array()) {
      for (const auto& m : nodes->items) add_map(m);
    } else {
      add_map(*nodes);
    }
    return out;
  }

  void read_series(const JsonValue& raw, const Context& ctx, const std::string& sensor) {
    if (raw.is_null()) return;
    if (!raw.is_object()) fail(raw, "'raw_data' must be an object {timesteps, values, t_md, v_md}");
    const JsonValue *ts = raw.find("timesteps"), *vs = raw.find("values");
    if (!ts || !vs || !ts->is_array() || !vs->is_array()) fail(raw, "'raw_data' needs the lists 'timesteps' and 'values'");
    if (ts->items.size() != vs->items.size()) {
      fail(raw, "'raw_data' of sensor '" + sensor + "' has " + std::to_string(ts->items.size()) + " timesteps but " +
                    std::to_string(vs->items.size()) + " values");
    }
    PerunSeries series{ctx.run_id, ctx.host, ctx.group, sensor, "", "", {}, {}, raw.line};
    auto scale = [&](const char* md_key, std::string& unit) {
      double mag = 1.0;
      if (const JsonValue* md = raw.find(md_key); md && md->is_object()) {
        unit = scalar_text(*md, "unit");
        if (const JsonValue* mg = md->find("mag")) mag = number(mg, std::string(md_key) + ".mag");
      }
      return std::isnan(mag) ? 1.0 : mag;
    };
    const double t_mag = scale("t_md", series.time_unit), v_mag = scale("v_md", series.value_unit);
    series.time.reserve(ts->items.size());
    series.values.reserve(vs->items.size());
    for (std::size_t i = 0; i < ts->items.size(); ++i) {
      series.time.push_back(number(&ts->items[i], "timesteps") * t_mag);
      series.values.push_back(number(&vs->items[i], "values") * v_mag);
    }
    out_.series.push_back(std::move(series));
  }

  // The name of a device group: its deviceType, else its id.
  std::string group_name(const JsonValue& node) const {
    const JsonValue* dt = node.find("deviceType");
    return dt && dt->is_scalar() ? dt->text : text_of(node, "id");
  }

  // Visits `node` and its subtree; returns the node's summary for runs and hosts.
  void visit(const JsonValue& node, Context ctx) {
    if (!node.is_object()) fail(node, "a data node must be a JSON object");
    const JsonValue* type_node = node.find("type");
    if (!type_node || !type_node->is_scalar()) fail(node, "data node '" + text_of(node, "id") + "' has no integer 'type'");
    long long type = text::to_integer(type_node->text, file_, type_node->line, "type");
    if (type < kApp || type > kSensor) {
      fail(*type_node, "unknown node type " + std::to_string(type) + " (1 app, 2 multi-run, 3 run, 4 host, 5 device group, 6 sensor)");
    }
    std::string id = text_of(node, "id");
    if (type == kRun) ctx.run_id = id;
    if (type == kHost) ctx.host = id;
    if (type == kDeviceGroup) ctx.group = group_name(node);
    if (type == kSensor) {
      if (const JsonValue* raw = node.find("raw_data")) read_series(*raw, ctx, id);
      PerunSummary sensor = summarize_node(node, kSensor, ctx);
      sensor.host = ctx.host;
      sensor.group = ctx.group;
      out_.sensors.push_back(std::move(sensor));
    }
    std::size_t first_host = out_.hosts.size();
    std::vector<std::pair<std::string, PerunSummary>> groups;
    for (const JsonValue* child : children(node)) {
      visit(*child, ctx);
      if (type == kHost && scalar_text(*child, "type") == std::to_string(kDeviceGroup)) {
        groups.emplace_back(group_name(*child), summarize_node(*child, kDeviceGroup, ctx));
      }
    }
    if (type == kHost) {
      PerunSummary s = summarize_node(node, kHost, ctx);
      for (const auto& [name, g] : groups) {
        double power = !std::isnan(g.power_w) ? g.power_w : g.energy_j / g.runtime_s;
        if (std::isnan(power) && !std::isnan(s.runtime_s) && s.runtime_s > 0) power = g.energy_j / s.runtime_s;
        if (!std::isnan(power)) s.group_power_w[name] = power;
        if (!std::isnan(g.energy_j)) s.group_energy_j[name] = g.energy_j;
      }
      fill_from_groups(s);
      out_.hosts.push_back(std::move(s));
    } else if (type == kRun) {
      PerunSummary s = summarize_node(node, kRun, ctx);
      for (std::size_t h = first_host; h < out_.hosts.size(); ++h) {
        for (const auto& [g, p] : out_.hosts[h].group_power_w) s.group_power_w[g] += p;
        for (const auto& [g, e] : out_.hosts[h].group_energy_j) s.group_energy_j[g] += e;
      }
      fill_from_groups(s);
      out_.runs.push_back(std::move(s));
    }
  }

  // Fills per-device fields the node lacks from its device groups (cpu, gpu, ram).
  static void fill_from_groups(PerunSummary& s) {
    auto fill = [](double& field, const std::map<std::string, double>& groups, std::initializer_list<const char*> names) {
      if (!std::isnan(field)) return;
      for (const char* n : names) {
        if (auto it = groups.find(n); it != groups.end()) field = it->second;
      }
    };
    fill(s.cpu_power_w, s.group_power_w, {"cpu"});
    fill(s.gpu_power_w, s.group_power_w, {"gpu"});
    fill(s.dram_power_w, s.group_power_w, {"ram", "dram"});
    fill(s.cpu_energy_j, s.group_energy_j, {"cpu"});
    fill(s.gpu_energy_j, s.group_energy_j, {"gpu"});
    fill(s.dram_energy_j, s.group_energy_j, {"ram", "dram"});
  }

  std::string file_;
  PerunExport out_;
};

}  // namespace

PerunExport read_perun_json(const std::string& path) { return PerunJsonReader(path).read(); }

}  // namespace ddpsim
