// nnc: the command-line driver. Each subcommand lives in its own file.
#include <pthread.h>

#include <functional>
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
    "  train   train the model of a .nn file on its data\n"
    "  compile show a model's graph before or after the passes (-O0..-O3, --passes)\n"
    "  check   check a .nn file and run the lints over its models\n"
    "  predict a trained model's outputs for samples\n"
    "  backprop loss and parameter gradients for one batch (checks against other frameworks)\n"
    "  plot    draw activations and their derivatives as an SVG chart\n"
    "  repl    define activations, evaluate, differentiate and plot them interactively\n"
    "\n"
    "Run `nnc <command> --help` for a command's options; docs/cli.md has them all.\n";

struct Command {
  const char* name;
  int (*run)(const nnc::cli::Args&, std::ostream&, std::ostream&);
};
constexpr Command kCommands[] = {{"grad", nnc::cli::runGrad},
                                 {"eval", nnc::cli::runEval},
                                 {"train", nnc::cli::runTrain},
                                 {"compile", nnc::cli::runCompile},
                                 {"predict", nnc::cli::runPredict},
                                 {"backprop", nnc::cli::runBackprop},
                                 {"check", nnc::cli::runCheck},
                                 {"plot", nnc::cli::runPlot},
                                 {"repl", nnc::cli::runRepl}};

// The front end, the simplifier and the printer recurse over formulas; at
// the parser's limits (docs/language.md) that can exceed the 8 MB default
// stack, particularly in sanitizer builds. Commands run on a thread with a
// large stack (reserved address space; only what is used is touched).
constexpr size_t kCommandStackBytes = size_t{512} << 20;

int runWithLargeStack(std::function<int()> body) {
  struct Task {
    std::function<int()> body;
    int result = 1;
  } task{std::move(body)};
  pthread_attr_t attributes;
  pthread_attr_init(&attributes);
  pthread_attr_setstacksize(&attributes, kCommandStackBytes);
  pthread_t thread;
  auto run = [](void* data) -> void* {
    auto* t = static_cast<Task*>(data);
    t->result = t->body();
    return nullptr;
  };
  bool started = pthread_create(&thread, &attributes, run, &task) == 0;
  pthread_attr_destroy(&attributes);
  if (!started) return task.body();  // no thread: run here, with the default stack
  pthread_join(thread, nullptr);
  return task.result;
}

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
      nnc::cli::Args rest(args.begin() + 1, args.end());
      return runWithLargeStack([&] {
        try {
          return command.run(rest, std::cout, std::cerr);
        } catch (const std::bad_alloc&) {
          std::cerr << "nnc: error: out of memory\n";
          return 1;
        }
      });
    }
  }
  std::vector<std::string> names;
  for (const Command& command : kCommands) names.push_back(command.name);
  std::string message = fmt::format("nnc: error: unknown command '{}'", args[0]);
  if (auto suggestion = nnc::closestSpelling(args[0], names)) message += fmt::format("; did you mean '{}'?", *suggestion);
  std::cerr << message << "\nRun `nnc --help` for the list of commands.\n";
  return 1;
}
