#pragma once
// Where the REPL's lines come from. On a terminal: libedit, with line
// editing, a history kept across sessions, and tab completion. Otherwise
// (a pipe, a script): plain lines, no prompt, no history, so a scripted
// session's output is only what its entries print.
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace nnc::cli {

class LineEditor {
public:
  // Candidates for `word`, given the text of the line before it.
  using Completer = std::function<std::vector<std::string>(const std::string& before, const std::string& word)>;

  // `historyPath` empty: no history file. A file that cannot be read or
  // written is ignored: history is a convenience, not worth an error.
  LineEditor(bool terminal, std::string historyPath, Completer completer);
  ~LineEditor();  // saves the history
  LineEditor(const LineEditor&) = delete;
  LineEditor& operator=(const LineEditor&) = delete;

  bool terminal() const { return terminal_; }
  // The next line, without its newline; empty at the end of input.
  std::optional<std::string> readLine(const std::string& prompt);
  // Adds an entry (possibly of several lines) to the history.
  void remember(const std::string& entry);

private:
  bool terminal_;
  std::string historyPath_;
};

// $XDG_STATE_HOME/nnc/history when XDG_STATE_HOME is set, else
// ~/.nnc_history; empty when neither can be found.
std::string defaultHistoryPath();

}  // namespace nnc::cli
