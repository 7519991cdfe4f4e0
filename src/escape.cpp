#include "escape.hpp"

namespace rtipc {
namespace {

constexpr char kHex[] = "0123456789abcdef";

bool is_control(unsigned char c) {
  return c < 0x20 || c == 0x7f;
}

}  // namespace

std::string escape_untrusted(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (const char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '\\') {
      out += "\\\\";
    } else if (c >= 0x20 && c < 0x7f) {
      out += ch;
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

size_t escape_controls(std::string_view text, char* out, size_t cap) {
  if (cap == 0) return 0;
  size_t n = 0;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    const size_t need = is_control(c) ? 4 : 1;
    if (n + need >= cap) break;
    if (is_control(c)) {
      out[n++] = '\\';
      out[n++] = 'x';
      out[n++] = kHex[c >> 4];
      out[n++] = kHex[c & 15];
    } else {
      out[n++] = ch;
    }
  }
  out[n] = '\0';
  return n;
}

}  // namespace rtipc
