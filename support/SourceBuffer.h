#pragma once
// A named piece of source text (a file, or a formula from the command line)
// and positions in it. Lines and columns are 1-based, columns count bytes.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace nnc {

struct SourceLoc {
  uint32_t line = 0;    // 0: no location (e.g. a whole-file problem)
  uint32_t column = 0;
  bool valid() const { return line != 0; }
};

// A location plus how many columns the problem spans (drawn as ^~~~).
struct SourceRange {
  SourceLoc begin;
  uint32_t length = 1;
};

class SourceBuffer {
public:
  SourceBuffer(std::string name, std::string text);
  const std::string& name() const { return name_; }
  const std::string& text() const { return text_; }
  // The text of a 1-based line, without its newline; empty when out of range.
  std::string_view line(uint32_t number) const;

private:
  std::string name_;
  std::string text_;
  std::vector<size_t> lineStarts_;  // offset of each line's first byte: diagnostics look lines up often
};

}  // namespace nnc
