#include "support/SourceBuffer.h"

namespace nnc {

SourceBuffer::SourceBuffer(std::string name, std::string text)
    : name_(std::move(name)), text_(std::move(text)) {}

std::string_view SourceBuffer::line(uint32_t number) const {
  std::string_view rest = text_;
  for (uint32_t i = 1; i < number; ++i) {
    size_t newline = rest.find('\n');
    if (newline == std::string_view::npos) return {};
    rest.remove_prefix(newline + 1);
  }
  std::string_view line = rest.substr(0, rest.find('\n'));
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

}  // namespace nnc
