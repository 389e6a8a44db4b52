#pragma once
// Gathering the REPL's lines into entries: whether what has been typed is a
// whole entry or continues on the next line. Apart from the session (no JIT),
// so the line handling can be fuzzed alone (tests/fuzz).
#include <array>
#include <string>
#include <string_view>

namespace nnc::cli {

// The words that start a declaration, which ends at its `;` or `}`.
inline constexpr std::array<const char*, 4> kReplKeywords = {"activation", "model", "train", "import"};

// Whether `text` starts with a declaration keyword and a space.
bool isDeclaration(std::string_view text);

// An entry read line by line, with whether it is complete decided as the
// lines arrive: each is scanned once (re-scanning the whole entry at every
// line made a 40,000-line entry take 6 s, a 4 MB one hours). An entry that
// outgrows the largest source the parser reads is complete at once, so the
// parser refuses it.
class ReplEntry {
public:
  void addLine(std::string_view line);
  // Whether the entry is to be handled now: it is whole (not a declaration,
  // parenthesis or comment still open that the next line continues), or a
  // blank line ended it unfinished, so that a missing `;` cannot trap the
  // user.
  bool complete() const;
  bool empty() const { return text_.empty(); }
  const std::string& text() const { return text_; }
  void clear() { *this = ReplEntry(); }

private:
  void scan();

  std::string text_;
  size_t scanned_ = 0;          // text_ before this has been scanned
  size_t firstNonSpace_ = std::string::npos;
  int parens_ = 0, braces_ = 0;
  char last_ = 0;               // the last character outside comments and strings
  bool inBlockComment_ = false, inLineComment_ = false, unterminatedString_ = false;
  bool endedByBlankLine_ = false;
};

}  // namespace nnc::cli
