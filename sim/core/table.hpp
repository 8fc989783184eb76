#pragma once
// Fixed-width text tables of the human-readable outputs (result, provenance, collective and
// validation tables). Cells are padded with spaces to a width in bytes, as printf's %-Ns / %Ns
// padded them: fmt pads strings by display width, which would move every cell after a non-ASCII
// one and change the output. Numbers are formatted by the caller (fmt::format("{:.4g}", v)) and
// then padded here, which gives the same text as a printf width on the number.
#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace ddpsim {

enum class Align { kLeft, kRight };

/// `text` padded with spaces to `width_bytes` bytes on the side away from `align`; longer text stays whole.
std::string pad(std::string_view text, std::size_t width_bytes, Align align);

struct TableColumn {
  std::string_view header;
  std::size_t width_bytes;  // 0: the cell as it is (a last, free-width column)
  Align align;
};

/// Lines of `indent`, then one cell per column padded to the column's width, separated by one space.
class TextTable {
 public:
  explicit TextTable(std::vector<TableColumn> columns, std::string indent = "");
  /// The header line (column headers as cells), with its newline.
  std::string header() const;
  /// One line of `cells` (at most one per column; missing trailing cells are left out), with its newline.
  std::string row(std::initializer_list<std::string_view> cells) const;

 private:
  std::vector<TableColumn> columns_;
  std::string indent_;
};

}  // namespace ddpsim
