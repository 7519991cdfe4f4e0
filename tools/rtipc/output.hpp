// Small output helpers: JSON string escaping and aligned tables.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

namespace rtipc_tool {

std::string json_string(const std::string& s);
// Bytes as text when printable, else as hex ("0x...").
std::string printable(const void* data, size_t size);

class Table {
 public:
  explicit Table(std::vector<std::string> head) { rows_.push_back(std::move(head)); }
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  size_t size() const { return rows_.size() - 1; }
  void print(FILE* out) const;

 private:
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace rtipc_tool
