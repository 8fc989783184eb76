#pragma once
// A minimal, deterministic JSON writer (objects keep insertion order; numbers use %.10g).
#include <string>
#include <string_view>
#include <utility>
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
  const std::string& str() const { return out_; }

  static std::string escape(std::string_view s);
  static std::string number(double v);

 private:
  void prefix(std::string_view key);
  bool pretty_;
  std::string out_;
  std::vector<bool> first_;  // per open container: no element written yet
};

}  // namespace ddpsim
