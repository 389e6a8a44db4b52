// The nnc commands, in libnnc_commands.so: the `nnc` executable
// (Launcher.cpp) answers --help and --version itself and loads this library,
// with LLVM behind it, only to run a command. Each command lives in its own
// file.
#include <cstdlib>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

#include "runtime/Parallel.h"
#include "support/LargeStack.h"
#include "tools/nnc/CommandLibrary.h"
#include "tools/nnc/CommandNames.h"
#include "tools/nnc/Commands.h"

namespace {

struct Command {
  const char* name;
  int (*run)(const nnc::cli::Args&, std::ostream&, std::ostream&);
};
constexpr Command kCommands[] = {{"grad", nnc::cli::runGrad},
                                 {"eval", nnc::cli::runEval},
                                 {"train", nnc::cli::runTrain},
                                 {"sweep", nnc::cli::runSweep},
                                 {"compile", nnc::cli::runCompile},
                                 {"predict", nnc::cli::runPredict},
                                 {"evaluate", nnc::cli::runEvaluate},
                                 {"backprop", nnc::cli::runBackprop},
                                 {"export", nnc::cli::runExport},
                                 {"torch", nnc::cli::runTorch},
                                 {"check", nnc::cli::runCheck},
                                 {"plot", nnc::cli::runPlot},
                                 {"repl", nnc::cli::runRepl}};

constexpr bool namesMatchTheLaunchers() {
  if (std::size(kCommands) != nnc::cli::kCommandNames.size()) return false;
  for (size_t i = 0; i < std::size(kCommands); ++i)
    if (kCommands[i].name != nnc::cli::kCommandNames[i]) return false;
  return true;
}
static_assert(namesMatchTheLaunchers(), "kCommands and CommandNames.h list the same commands, in order");

}  // namespace

int nnc_commands_run(int argc, char** argv) {
  const nnc::runtime::ThreadSetting threads = nnc::runtime::readThreadSetting(std::getenv("NNC_THREADS"));
  if (threads.invalid) {
    std::cerr << "nnc: error: " << threads.problem << "\n";
    return 1;
  }
  if (!threads.problem.empty()) std::cerr << "nnc: warning: " << threads.problem << "\n";
  std::vector<std::string> args(argv + 1, argv + argc);
  for (const Command& command : kCommands) {
    if (args.empty() || args[0] != command.name) continue;
    nnc::cli::Args rest(args.begin() + 1, args.end());
    // The front end, the simplifier and the printer recurse over formulas:
    // commands run on a stack large enough for the parser's limits.
    int status = 1;
    nnc::runWithLargeStack([&] {
      try {
        status = command.run(rest, std::cout, std::cerr);
      } catch (const std::bad_alloc&) {
        std::cerr << "nnc: error: out of memory\n";
        status = 1;
      }
    });
    return status;
  }
  std::cerr << "nnc: internal error: the launcher passed an unknown command\n";
  return 1;
}
