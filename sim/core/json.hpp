#pragma once
// The JSON writer of every ddpsim output: a thin builder over nlohmann::ordered_json (Debian's
// nlohmann-json3), so objects keep insertion order, strings are escaped by the library and
// doubles are written in the shortest form that reads back to the same double.
#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace ddpsim {

class JsonWriter {
 public:
  explicit JsonWriter(bool pretty = true) : pretty_(pretty) {}
  JsonWriter& begin_object(std::string_view key = {});
  JsonWriter& end_object();
  JsonWriter& begin_array(std::string_view key = {});
  JsonWriter& end_array();
  JsonWriter& value(std::string_view key, double v);
  JsonWriter& value(std::string_view key, long long v);
  JsonWriter& value(std::string_view key, int v) { return value(key, static_cast<long long>(v)); }
  JsonWriter& value(std::string_view key, std::string_view v);
  JsonWriter& value(std::string_view key, const char* v) { return value(key, std::string_view(v)); }
  JsonWriter& value(std::string_view key, bool v);
  JsonWriter& null(std::string_view key);
  /// The document (pretty: two-space indent and a final newline). Valid once every container is closed.
  const std::string& str() const;

  /// A JSON string literal of `s` (quotes included).
  static std::string escape(std::string_view s);
  /// A JSON number: the shortest round-trip form; null for NaN and infinities.
  static std::string number(double v);

 private:
  nlohmann::ordered_json& add(std::string_view key, nlohmann::ordered_json v);
  bool pretty_;
  nlohmann::ordered_json root_;
  bool has_root_ = false;
  std::vector<nlohmann::ordered_json*> open_;
  mutable std::string out_;
};

}  // namespace ddpsim
