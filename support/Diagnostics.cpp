#include "support/Diagnostics.h"

#include <fmt/format.h>

namespace nnc {

static Diagnostic make(Severity severity, const SourceBuffer* source, SourceRange range, std::string message) {
  Diagnostic d{severity, "", range, "", std::move(message)};
  if (source) {
    d.file = source->name();
    if (range.begin.valid()) d.lineText = std::string(source->line(range.begin.line));
  }
  return d;
}

void Diagnostics::error(const SourceBuffer* source, SourceRange range, std::string message) {
  diagnostics_.push_back(make(Severity::Error, source, range, std::move(message)));
  ++errorCount_;
}

void Diagnostics::errorInFile(std::string file, SourceRange range, std::string lineText, std::string message) {
  diagnostics_.push_back({Severity::Error, std::move(file), range, std::move(lineText), std::move(message)});
  ++errorCount_;
}

void Diagnostics::warning(const SourceBuffer* source, SourceRange range, std::string message) {
  diagnostics_.push_back(make(Severity::Warning, source, range, std::move(message)));
}

void Diagnostics::note(const SourceBuffer* source, SourceRange range, std::string message) {
  diagnostics_.push_back(make(Severity::Note, source, range, std::move(message)));
}

std::string Diagnostics::render() const {
  std::string out;
  for (const Diagnostic& d : diagnostics_) out += renderDiagnostic(d);
  return out;
}

// Longest source line shown whole under a diagnostic.
constexpr size_t kMaxShownLine = 100;

static const char* severityName(Severity severity) {
  switch (severity) {
    case Severity::Error: return "error";
    case Severity::Warning: return "warning";
    case Severity::Note: return "note";
  }
  return "error";
}

// Bytes that are not printable ASCII are shown as '?' so the caret line stays
// aligned with the columns (which count bytes) and the terminal stays sane.
static std::string printableLine(std::string_view line) {
  std::string out(line);
  for (char& c : out) {
    unsigned char u = static_cast<unsigned char>(c);
    if (c == '\t') continue;
    if (u < 0x20 || u >= 0x7f) c = '?';
  }
  return out;
}

std::string renderDiagnostic(const Diagnostic& d) {
  const char* severity = severityName(d.severity);
  if (d.file.empty()) return fmt::format("nnc: {}: {}\n", severity, d.message);
  if (!d.range.begin.valid()) return fmt::format("{}: {}: {}\n", d.file, severity, d.message);

  std::string out = fmt::format("{}:{}:{}: {}: {}\n", d.file, d.range.begin.line, d.range.begin.column,
                                severity, d.message);
  std::string line = printableLine(d.lineText);
  uint32_t column = d.range.begin.column;
  // A very long line (a generated formula) is shown as a window around the
  // column, with "..." where it was cut.
  if (line.size() > kMaxShownLine) {
    size_t start = column > kMaxShownLine / 2 ? column - kMaxShownLine / 2 : 0;
    start = std::min(start, line.size() - kMaxShownLine);
    std::string window = line.substr(start, kMaxShownLine);
    if (start > 0) window.replace(0, 3, "...");
    if (start + kMaxShownLine < line.size()) window.replace(window.size() - 3, 3, "...");
    line = window;
    column -= static_cast<uint32_t>(start);
  }
  out += "  " + line + "\n";
  // Keep tabs in the caret line so it lines up under tabbed source.
  std::string caret = "  ";
  for (uint32_t i = 1; i < column && i <= line.size(); ++i) caret += line[i - 1] == '\t' ? '\t' : ' ';
  caret += '^';
  size_t available = line.size() >= column ? line.size() - column : 0;
  size_t tildes = std::min<size_t>(d.range.length > 0 ? d.range.length - 1 : 0, available);
  caret.append(tildes, '~');
  out += caret + "\n";
  return out;
}

}  // namespace nnc
