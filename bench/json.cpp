#include "json.hpp"

#include <cmath>
#include <cstdio>

namespace bench {
namespace {

void escape(std::string& out, const std::string& s) {
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

void newline(std::string& out, int indent, int depth) {
  if (indent <= 0) return;
  out += '\n';
  out.append(static_cast<size_t>(indent * depth), ' ');
}

}  // namespace

Json& Json::set(const std::string& key, Json value) {
  return (*this)[key] = std::move(value);
}

Json& Json::operator[](const std::string& key) {
  if (is_null()) v_ = Object{};
  auto& obj = std::get<Object>(v_);
  for (auto& [k, v] : obj)
    if (k == key) return v;
  obj.emplace_back(key, Json());
  return obj.back().second;
}

Json& Json::push(Json value) {
  if (is_null()) v_ = Array{};
  auto& arr = std::get<Array>(v_);
  arr.push_back(std::move(value));
  return arr.back();
}

std::string Json::dump(int indent) const {
  std::string out;
  dump_to(out, indent, 0);
  return out;
}

void Json::dump_to(std::string& out, int indent, int depth) const {
  if (std::holds_alternative<std::nullptr_t>(v_)) {
    out += "null";
  } else if (auto* b = std::get_if<bool>(&v_)) {
    out += *b ? "true" : "false";
  } else if (auto* d = std::get_if<double>(&v_)) {
    if (!std::isfinite(*d)) {
      out += "null";
    } else {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.6g", *d);
      if (*d == std::floor(*d) && std::fabs(*d) < 1e15) std::snprintf(buf, sizeof buf, "%.0f", *d);
      out += buf;
    }
  } else if (auto* s = std::get_if<std::string>(&v_)) {
    escape(out, *s);
  } else if (auto* o = std::get_if<Object>(&v_)) {
    out += '{';
    bool first = true;
    for (const auto& [k, v] : *o) {
      if (!first) out += ',';
      first = false;
      newline(out, indent, depth + 1);
      escape(out, k);
      out += indent > 0 ? ": " : ":";
      v.dump_to(out, indent, depth + 1);
    }
    if (!o->empty()) newline(out, indent, depth);
    out += '}';
  } else if (auto* a = std::get_if<Array>(&v_)) {
    // Arrays of plain numbers stay on one line.
    bool flat = true;
    for (const auto& v : *a)
      if (std::holds_alternative<Object>(v.v_) || std::holds_alternative<Array>(v.v_)) flat = false;
    out += '[';
    bool first = true;
    for (const auto& v : *a) {
      if (!first) out += flat ? ", " : ",";
      first = false;
      if (!flat) newline(out, indent, depth + 1);
      v.dump_to(out, indent, depth + 1);
    }
    if (!flat && !a->empty()) newline(out, indent, depth);
    out += ']';
  }
}

}  // namespace bench
