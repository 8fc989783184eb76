#include "sim/core/json.hpp"

#include <cmath>

#include "sim/core/errors.hpp"

namespace ddpsim {

using ojson = nlohmann::ordered_json;

std::string JsonWriter::escape(std::string_view s) { return ojson(std::string(s)).dump(); }

std::string JsonWriter::number(double v) {
  if (!std::isfinite(v)) return "null";
  return ojson(v).dump();
}

ojson& JsonWriter::add(std::string_view key, ojson v) {
  if (open_.empty()) {
    if (has_root_) throw ModelError("internal: JSON document already complete");
    root_ = std::move(v);
    has_root_ = true;
    return root_;
  }
  ojson& parent = *open_.back();
  if (parent.is_array()) {
    parent.push_back(std::move(v));
    return parent.back();
  }
  ojson& slot = parent[std::string(key)];
  slot = std::move(v);
  return slot;
}

JsonWriter& JsonWriter::begin_object(std::string_view key) {
  open_.push_back(&add(key, ojson::object()));
  return *this;
}

JsonWriter& JsonWriter::end_object() {
  if (open_.empty() || !open_.back()->is_object()) throw ModelError("internal: JSON end_object without an open object");
  open_.pop_back();
  return *this;
}

JsonWriter& JsonWriter::begin_array(std::string_view key) {
  open_.push_back(&add(key, ojson::array()));
  return *this;
}

JsonWriter& JsonWriter::end_array() {
  if (open_.empty() || !open_.back()->is_array()) throw ModelError("internal: JSON end_array without an open array");
  open_.pop_back();
  return *this;
}

JsonWriter& JsonWriter::value(std::string_view key, double v) {
  add(key, std::isfinite(v) ? ojson(v) : ojson(nullptr));
  return *this;
}

JsonWriter& JsonWriter::value(std::string_view key, long long v) {
  add(key, ojson(v));
  return *this;
}

JsonWriter& JsonWriter::value(std::string_view key, std::string_view v) {
  add(key, ojson(std::string(v)));
  return *this;
}

JsonWriter& JsonWriter::value(std::string_view key, bool v) {
  add(key, ojson(v));
  return *this;
}

JsonWriter& JsonWriter::null(std::string_view key) {
  add(key, ojson(nullptr));
  return *this;
}

const std::string& JsonWriter::str() const {
  if (!open_.empty()) throw ModelError("internal: JSON document has unclosed containers");
  // Invalid UTF-8 in user text is replaced, not an exception.
  out_ = pretty_ ? root_.dump(2, ' ', false, ojson::error_handler_t::replace) + "\n" : root_.dump(-1, ' ', false, ojson::error_handler_t::replace);
  return out_;
}

}  // namespace ddpsim
