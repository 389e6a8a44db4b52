// The nnc commands, in libnnc_driver.so: the `nnc` executable
// (Launcher.cpp) answers --help and --version itself and loads this library,
// with LLVM behind it, only to run a command. Each command lives in its own
// file.
#include <pthread.h>

#include <cstdlib>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

#include "runtime/Parallel.h"
#include "tools/nnc/CommandNames.h"
#include "tools/nnc/Commands.h"
#include "tools/nnc/Driver.h"

namespace {

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

constexpr bool namesMatchTheLaunchers() {
  if (std::size(kCommands) != nnc::cli::kCommandNames.size()) return false;
  for (size_t i = 0; i < std::size(kCommands); ++i)
    if (kCommands[i].name != nnc::cli::kCommandNames[i]) return false;
  return true;
}
static_assert(namesMatchTheLaunchers(), "kCommands and CommandNames.h list the same commands, in order");

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

int nnc_driver_run(int argc, char** argv) {
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
    return runWithLargeStack([&] {
      try {
        return command.run(rest, std::cout, std::cerr);
      } catch (const std::bad_alloc&) {
        std::cerr << "nnc: error: out of memory\n";
        return 1;
      }
    });
  }
  std::cerr << "nnc: internal error: the launcher passed an unknown command\n";
  return 1;
}
