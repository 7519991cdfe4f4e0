#include "output.hpp"

#include <algorithm>

namespace rtipc_tool {

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += char(c);
    } else if (c < 0x20 || c >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += char(c);
    }
  }
  return out + "\"";
}

std::string printable(const void* data, size_t size) {
  const auto* p = static_cast<const unsigned char*>(data);
  bool text = true;
  for (size_t i = 0; i < size; ++i)
    if ((p[i] < 0x20 || p[i] >= 0x7f) && !(p[i] == 0 && i + 1 == size)) text = false;
  if (text)
    return std::string(reinterpret_cast<const char*>(p), size && !p[size - 1] ? size - 1 : size);
  std::string out = "0x";
  for (size_t i = 0; i < size; ++i) {
    char buf[3];
    std::snprintf(buf, sizeof buf, "%02x", p[i]);
    out += buf;
  }
  return out;
}

void Table::print(FILE* out) const {
  std::vector<size_t> width;
  for (const auto& row : rows_)
    for (size_t i = 0; i < row.size(); ++i) {
      if (width.size() <= i) width.push_back(0);
      width[i] = std::max(width[i], row[i].size());
    }
  for (const auto& row : rows_) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(width[i] - row[i].size() + 2, ' ');
    }
    std::fprintf(out, "%s\n", line.c_str());
  }
}

}  // namespace rtipc_tool
