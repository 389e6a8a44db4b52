#pragma once
// One diagnostics engine for every stage. Library code reports here and
// returns; only tools render diagnostics (clang/gcc format, so editors parse
// them): `model.nn:12:17: error: message`, the source line and a caret.
#include <string>
#include <vector>

#include "support/SourceBuffer.h"

namespace nnc {

enum class Severity { Error, Warning, Note };

// Self-contained: it copies the file name and source line, so it outlives
// the text it points into.
struct Diagnostic {
  Severity severity;
  std::string file;      // empty: not tied to any source text
  SourceRange range;
  std::string lineText;  // the source line at range.begin
  std::string message;
};

class Diagnostics {
public:
  void error(const SourceBuffer* source, SourceRange range, std::string message);
  void warning(const SourceBuffer* source, SourceRange range, std::string message);
  void note(const SourceBuffer* source, SourceRange range, std::string message);
  // An error with no source position (a bad command-line value, a missing file).
  void error(std::string message) { error(nullptr, {}, std::move(message)); }
  // An error in a file that is not held as source (a data file): the caller
  // gives the text of the offending line; range.begin may be invalid (no line).
  void errorInFile(std::string file, SourceRange range, std::string lineText, std::string message);

  bool hasErrors() const { return errorCount_ > 0; }
  size_t errorCount() const { return errorCount_; }
  const std::vector<Diagnostic>& all() const { return diagnostics_; }

  // Forgets what was reported (after a tool has shown the warnings of a
  // run that goes on).
  void clear() {
    diagnostics_.clear();
    errorCount_ = 0;
  }

  // All diagnostics as text, in the order they were reported.
  std::string render() const;

private:
  std::vector<Diagnostic> diagnostics_;
  size_t errorCount_ = 0;
};

// "file:line:col: error: message\n  source line\n    ^~~~\n"
std::string renderDiagnostic(const Diagnostic& diagnostic);

}  // namespace nnc
