#include "tools/nnc/LineEditor.h"

#include <editline/readline.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>

namespace nnc::cli {

namespace {

constexpr int kHistoryEntries = 1000;

// libedit calls back through plain C functions with no user pointer, so the
// completer of the one live LineEditor is kept here.
LineEditor::Completer* activeCompleter = nullptr;
std::vector<std::string>* pendingMatches = nullptr;

char* nextMatch(const char*, int state) {
  if (!pendingMatches || static_cast<size_t>(state) >= pendingMatches->size()) return nullptr;
  return strdup((*pendingMatches)[static_cast<size_t>(state)].c_str());  // libedit frees it
}

char** complete(const char* word, int start, int) {
  if (!activeCompleter) return nullptr;
  std::string before(rl_line_buffer, static_cast<size_t>(start));
  // A file name after :load or --svg: libedit's own file name completion.
  if (before.rfind(":load ", 0) == 0 || before.find("--svg ") != std::string::npos) return nullptr;
  rl_attempted_completion_over = 1;  // otherwise libedit falls back to file names
  // A command is followed by its arguments; a name often by `(`, so no space.
  rl_completion_append_character = word[0] == ':' ? ' ' : '\0';
  static std::vector<std::string> matches;
  matches = (*activeCompleter)(before, word);
  pendingMatches = &matches;
  return rl_completion_matches(word, nextMatch);
}

}  // namespace

std::string defaultHistoryPath() {
  if (const char* state = std::getenv("XDG_STATE_HOME"); state && *state) {
    std::error_code ignored;
    std::filesystem::create_directories(std::filesystem::path(state) / "nnc", ignored);
    return (std::filesystem::path(state) / "nnc" / "history").string();
  }
  if (const char* home = std::getenv("HOME"); home && *home) return (std::filesystem::path(home) / ".nnc_history").string();
  return "";
}

LineEditor::LineEditor(bool terminal, std::string historyPath, Completer completer)
    : terminal_(terminal), historyPath_(std::move(historyPath)) {
  if (!terminal_) return;
  static Completer kept;
  kept = std::move(completer);
  activeCompleter = &kept;
  rl_readline_name = "nnc";
  rl_attempted_completion_function = complete;
  // ':' starts command names, so it is part of a word; operators are not.
  static char breaks[] = " \t\n\"'`@$><=;|&{(),+-*/^";
  rl_completer_word_break_characters = breaks;
  stifle_history(kHistoryEntries);
  if (!historyPath_.empty()) read_history(historyPath_.c_str());
}

LineEditor::~LineEditor() {
  if (!terminal_) return;
  activeCompleter = nullptr;
  if (!historyPath_.empty()) write_history(historyPath_.c_str());
}

std::optional<std::string> LineEditor::readLine(const std::string& prompt) {
  if (!terminal_) {
    std::string line;
    if (!std::getline(std::cin, line)) return std::nullopt;
    return line;
  }
  char* line = readline(prompt.c_str());
  if (!line) return std::nullopt;
  std::string text(line);
  std::free(line);
  return text;
}

void LineEditor::remember(const std::string& entry) {
  if (terminal_ && !entry.empty()) add_history(entry.c_str());
}

}  // namespace nnc::cli
