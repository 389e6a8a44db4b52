// nnc: the command-line driver. Each subcommand lives in its own file.
#include <iostream>

#include <fmt/format.h>

#include "support/Spelling.h"
#include "tools/nnc/Commands.h"

namespace {

const char* kHelp =
    "usage: nnc <command> [options]\n"
    "\n"
    "Commands:\n"
    "  grad    print the simplified symbolic derivative of a formula\n"
    "  eval    evaluate a formula and its derivatives through the JIT\n"
    "\n"
    "Run `nnc <command> --help` for a command's options; docs/cli.md has them all.\n";

struct Command {
  const char* name;
  int (*run)(const nnc::cli::Args&, std::ostream&, std::ostream&);
};
constexpr Command kCommands[] = {{"grad", nnc::cli::runGrad}, {"eval", nnc::cli::runEval}};

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::cerr << kHelp;
    return 1;
  }
  if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::cout << kHelp;
    return 0;
  }
  if (args[0] == "--version") {
    std::cout << "nnc " << NNC_VERSION << "\n";
    return 0;
  }
  for (const Command& command : kCommands) {
    if (args[0] == command.name) {
      try {
        return command.run({args.begin() + 1, args.end()}, std::cout, std::cerr);
      } catch (const std::bad_alloc&) {
        std::cerr << "nnc: error: out of memory\n";
        return 1;
      }
    }
  }
  std::vector<std::string> names;
  for (const Command& command : kCommands) names.push_back(command.name);
  std::string message = fmt::format("nnc: error: unknown command '{}'", args[0]);
  if (auto suggestion = nnc::closestSpelling(args[0], names)) message += fmt::format("; did you mean '{}'?", *suggestion);
  std::cerr << message << "\nRun `nnc --help` for the list of commands.\n";
  return 1;
}
