// nnc: the command-line executable. It answers --help and --version, and
// rejects unknown commands, by itself; to run a command it loads
// libnnc_commands.so (CommandLibrary.cpp), which brings the compiler and LLVM. Loading
// LLVM's 100 MB of shared libraries costs ~15 ms of page faults and
// relocations, which `nnc --version` need not pay (bench/README.md).
#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "support/Spelling.h"
#include "tools/nnc/CommandNames.h"

namespace {

const char* kHelp =
    "usage: nnc <command> [options]\n"
    "\n"
    "Commands:\n"
    "  grad    print the simplified symbolic derivative of a formula\n"
    "  eval    evaluate a formula and its derivatives through the JIT\n"
    "  train   train the model of a .nn file on its data\n"
    "  sweep   train a model with other activations, over seeds, and compare them\n"
    "  compile show a model's graph before or after the passes (-O0..-O3, --passes)\n"
    "  check   check a .nn file and run the lints over its models\n"
    "  predict a trained model's outputs for samples\n"
    "  evaluate loss and metrics of trained weights on a data set (confusion matrix for classes)\n"
    "  backprop loss and parameter gradients for one batch (checks against other frameworks)\n"
    "  export  write a model as ONNX, with its trained weights, for ONNX Runtime\n"
    "  torch   write activations as PyTorch operators (a C++ extension and nn.Modules)\n"
    "  plot    draw activations and their derivatives as an SVG chart\n"
    "  repl    define activations, evaluate, differentiate and plot them interactively\n"
    "\n"
    "Run `nnc <command> --help` for a command's options; docs/cli.md has them all.\n";

// The command library's folders relative to this executable's: ../lib in
// the build tree, ../<libdir> when installed (CMakeLists.txt passes both,
// ':'-separated). Found from /proc/self/exe rather than through a run path:
// a run path does not apply when a sanitizer's runtime intercepts dlopen.
constexpr const char* kCommandsLibrary = "libnnc_commands.so." NNC_COMMANDS_SOVERSION;

std::string executableFolder() {
  std::vector<char> path(4096);
  ssize_t length = readlink("/proc/self/exe", path.data(), path.size() - 1);
  if (length <= 0) return ".";
  std::string exe(path.data(), static_cast<size_t>(length));
  size_t slash = exe.rfind('/');
  return slash == std::string::npos ? "." : exe.substr(0, slash);
}

void* loadCommands(std::string& errors) {
  std::string folders = NNC_COMMANDS_FOLDERS, base = executableFolder();
  std::vector<std::string> tried;
  for (size_t start = 0; start <= folders.size();) {
    size_t end = std::min(folders.find(':', start), folders.size());
    std::string candidate = fmt::format("{}/{}/{}", base, folders.substr(start, end - start), kCommandsLibrary);
    start = end + 1;
    if (std::find(tried.begin(), tried.end(), candidate) != tried.end()) continue;  // libdir is often lib
    tried.push_back(candidate);
    if (void* commands = dlopen(candidate.c_str(), RTLD_NOW | RTLD_LOCAL)) return commands;
    errors += fmt::format("\n  {}", dlerror());
  }
  return nullptr;
}

int runCommand(int argc, char** argv) {
  std::string errors;
  void* commands = loadCommands(errors);
  if (!commands) {
    fmt::print(stderr, "nnc: error: cannot load the compiler ({}):{}\n", kCommandsLibrary, errors);
    return 1;
  }
  using Run = int (*)(int, char**);
  auto run = reinterpret_cast<Run>(dlsym(commands, "nnc_commands_run"));
  if (!run) {
    std::fprintf(stderr, "nnc: error: %s has no nnc_commands_run: %s\n", kCommandsLibrary, dlerror());
    return 1;
  }
  return run(argc, argv);  // the library stays loaded until exit
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fputs(kHelp, stderr);
    return 1;
  }
  std::string_view command = argv[1];
  if (command == "--help" || command == "-h" || command == "help") {
    std::fputs(kHelp, stdout);
    return 0;
  }
  if (command == "--version") {
    std::puts("nnc " NNC_VERSION);
    return 0;
  }
  for (std::string_view name : nnc::cli::kCommandNames)
    if (command == name) return runCommand(argc, argv);
  std::vector<std::string> names(nnc::cli::kCommandNames.begin(), nnc::cli::kCommandNames.end());
  std::string message = fmt::format("nnc: error: unknown command '{}'", command);
  if (auto suggestion = nnc::closestSpelling(command, names)) message += fmt::format("; did you mean '{}'?", *suggestion);
  fmt::print(stderr, "{}\nRun `nnc --help` for the list of commands.\n", message);
  return 1;
}
