#include "sim/core/table.hpp"

#include "sim/core/errors.hpp"

namespace ddpsim {

std::string pad(std::string_view text, std::size_t width_bytes, Align align) {
  std::string out;
  const std::size_t fill = text.size() < width_bytes ? width_bytes - text.size() : 0;
  out.reserve(text.size() + fill);
  if (align == Align::kRight) out.append(fill, ' ');
  out.append(text);
  if (align == Align::kLeft) out.append(fill, ' ');
  return out;
}

TextTable::TextTable(std::vector<TableColumn> columns, std::string indent) : columns_(std::move(columns)), indent_(std::move(indent)) {}

std::string TextTable::header() const {
  std::string out = indent_;
  for (std::size_t i = 0; i < columns_.size(); ++i) {
    if (i > 0) out += ' ';
    out += pad(columns_[i].header, columns_[i].width_bytes, columns_[i].align);
  }
  return out + '\n';
}

std::string TextTable::row(std::initializer_list<std::string_view> cells) const {
  if (cells.size() > columns_.size()) throw ModelError("internal: a table row with more cells than columns");
  std::string out = indent_;
  std::size_t i = 0;
  for (std::string_view cell : cells) {
    if (i > 0) out += ' ';
    out += pad(cell, columns_[i].width_bytes, columns_[i].align);
    ++i;
  }
  return out + '\n';
}

}  // namespace ddpsim
