// A minimal JSON value: enough to write one results file per run.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace bench {

class Json {
 public:
  using Object = std::vector<std::pair<std::string, Json>>;  // keeps insertion order
  using Array = std::vector<Json>;

  Json() : v_(nullptr) {}
  Json(bool b) : v_(b) {}
  Json(int i) : v_(static_cast<double>(i)) {}
  Json(unsigned i) : v_(static_cast<double>(i)) {}
  Json(long i) : v_(static_cast<double>(i)) {}
  Json(unsigned long i) : v_(static_cast<double>(i)) {}
  Json(long long i) : v_(static_cast<double>(i)) {}
  Json(unsigned long long i) : v_(static_cast<double>(i)) {}
  Json(double d) : v_(d) {}
  Json(const char* s) : v_(std::string(s)) {}
  Json(std::string s) : v_(std::move(s)) {}

  static Json object() { return Json(Object{}); }
  static Json array() { return Json(Array{}); }

  // Object: adds or replaces key. Returns the stored value.
  Json& set(const std::string& key, Json value);
  // Object: the value under key, created as null when missing.
  Json& operator[](const std::string& key);
  // Array: appends.
  Json& push(Json value);

  bool is_null() const { return std::holds_alternative<std::nullptr_t>(v_); }
  std::string dump(int indent = 0) const;

 private:
  explicit Json(Object o) : v_(std::move(o)) {}
  explicit Json(Array a) : v_(std::move(a)) {}
  void dump_to(std::string& out, int indent, int depth) const;

  std::variant<std::nullptr_t, bool, double, std::string, Object, Array> v_;
};

}  // namespace bench
