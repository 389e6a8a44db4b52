#include "tools/nnc/ReplEntry.h"

#include <algorithm>
#include <cctype>

#include "frontend/ModelSema.h"

namespace nnc::cli {

bool isDeclaration(std::string_view text) {
  size_t end = 0;
  while (end < text.size() && (std::isalnum(static_cast<unsigned char>(text[end])) || text[end] == '_')) ++end;
  std::string_view word = text.substr(0, end);
  return std::any_of(kReplKeywords.begin(), kReplKeywords.end(), [&](const char* k) { return word == k; }) &&
         text.size() > word.size() && std::isspace(static_cast<unsigned char>(text[word.size()]));
}

void ReplEntry::addLine(std::string_view line) {
  endedByBlankLine_ = !text_.empty() && line.find_first_not_of(" \t\r") == std::string_view::npos;
  if (!text_.empty()) text_ += '\n';
  text_ += line;
  scan();
}

void ReplEntry::scan() {
  const std::string& t = text_;
  size_t i = scanned_;
  for (; i < t.size(); ++i) {
    char c = t[i];
    if (inLineComment_) {
      inLineComment_ = c != '\n';
      continue;
    }
    if (inBlockComment_) {
      if (c == '*' && i + 1 < t.size() && t[i + 1] == '/') {
        inBlockComment_ = false;
        ++i;
      }
      continue;
    }
    if (unterminatedString_) {
      unterminatedString_ = c != '"';
      if (!unterminatedString_) last_ = '"';
      continue;
    }
    if (firstNonSpace_ == std::string::npos && !std::isspace(static_cast<unsigned char>(c))) firstNonSpace_ = i;
    if (c == '#' || (c == '/' && i + 1 < t.size() && t[i + 1] == '/')) {
      inLineComment_ = true;
      continue;
    }
    if (c == '/' && i + 1 < t.size() && t[i + 1] == '*') {
      inBlockComment_ = true;
      ++i;
      continue;
    }
    if (c == '"') {
      unterminatedString_ = true;
      continue;
    }
    if (c == '(') ++parens_;
    if (c == ')') --parens_;
    if (c == '{') ++braces_;
    if (c == '}') --braces_;
    if (!std::isspace(static_cast<unsigned char>(c))) last_ = c;
  }
  // Lines are joined by '\n', so no two-character token (//, /*, */)
  // straddles the point where the next line's scan starts.
  scanned_ = t.size();
}

bool ReplEntry::complete() const {
  if (endedByBlankLine_) return true;
  if (text_.size() > frontend::kMaxSourceBytes) return true;  // the parser refuses it
  if (firstNonSpace_ == std::string::npos || text_[firstNonSpace_] == ':') return true;
  if (inBlockComment_) return false;
  if (unterminatedString_) return true;  // the parser reports the unterminated string
  if (parens_ > 0 || braces_ > 0) return false;
  // A declaration ends with its `;` or closing brace; an expression ends
  // anywhere but after an operator.
  if (isDeclaration(std::string_view(text_).substr(firstNonSpace_))) return last_ == ';' || last_ == '}' || last_ == 0;
  return std::string_view("+-*/^,=<>").find(last_) == std::string_view::npos || last_ == 0;
}

}  // namespace nnc::cli
