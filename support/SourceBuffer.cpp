#include "support/SourceBuffer.h"

namespace nnc {

SourceBuffer::SourceBuffer(std::string name, std::string text) : name_(std::move(name)), text_(std::move(text)) {
  lineStarts_.push_back(0);
  for (size_t i = 0; i < text_.size(); ++i)
    if (text_[i] == '\n') lineStarts_.push_back(i + 1);
}

std::string_view SourceBuffer::line(uint32_t number) const {
  if (number == 0 || number > lineStarts_.size()) return {};
  std::string_view rest = std::string_view(text_).substr(lineStarts_[number - 1]);
  std::string_view line = rest.substr(0, rest.find('\n'));
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

}  // namespace nnc
