// nnc repl: define activations and evaluate, differentiate and plot them
// interactively (the REPL's logic is in ReplSession, the terminal in LineEditor).
#include <unistd.h>

#include "tools/nnc/Commands.h"
#include "tools/nnc/LineEditor.h"
#include "tools/nnc/Options.h"
#include "tools/nnc/ReplEntry.h"
#include "tools/nnc/ReplSession.h"

namespace nnc::cli {

namespace {

const char* kUsage =
    "usage: nnc repl [F.nn]\n"
    "\n"
    "An interactive session: declare activations, evaluate expressions, and\n"
    "differentiate, plot and compile activations (:help lists the commands;\n"
    "docs/repl.md has them all). F.nn is loaded first, as by :load. When the\n"
    "input is not a terminal, lines are read without prompts (scripts).\n\n";

}  // namespace

int runRepl(const Args& args, std::ostream& out, std::ostream& err) {
  Diagnostics diags;
  std::vector<OptionSpec> specs{{"no-history", "", "neither read nor write the history file"},
                                {"help", "", "show this help"}};
  auto options = parseOptions("repl", specs, args, diags);
  if (options && options->has("help")) {
    out << kUsage << formatOptionsHelp(specs);
    return 0;
  }
  if (options && options->positional().size() > 1) diags.error("give at most one .nn file to load");
  if (diags.hasErrors()) return failWith(err, diags);

  ReplSession session(out, err);
  bool terminal = isatty(STDIN_FILENO) == 1;
  LineEditor editor(terminal, options->has("no-history") ? "" : defaultHistoryPath(),
                    [&](const std::string& before, const std::string& word) { return session.completions(before, word); });
  if (terminal) out << "nnc " << NNC_VERSION << " REPL. :help lists the commands; :quit or Ctrl-D leaves.\n";
  if (!options->positional().empty()) session.handle(":load " + options->positional()[0]);

  ReplEntry entry;
  while (true) {
    std::optional<std::string> line = editor.readLine(entry.empty() ? "nnc> " : "...> ");
    if (!line) {
      // End of input: what is left is handled (and reported if incomplete).
      if (!entry.empty()) session.handle(entry.text());
      break;
    }
    entry.addLine(*line);
    if (!entry.complete()) continue;
    editor.remember(entry.text());
    bool goOn = session.handle(entry.text());
    entry.clear();
    if (!goOn) break;
  }
  if (terminal) out << "\n";
  return 0;
}

}  // namespace nnc::cli
