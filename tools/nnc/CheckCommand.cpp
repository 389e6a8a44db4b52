// nnc check: the lints alone, over every model of a file, without
// compiling or training anything.
#include <fmt/format.h>

#include "driver/Program.h"
#include "frontend/GraphBuilder.h"
#include "tools/nnc/Commands.h"
#include "tools/nnc/CompilerFlags.h"
#include "tools/nnc/Options.h"

namespace nnc::cli {

namespace {

const char* kUsage =
    "usage: nnc check F.nn [-Werror] [-Wno-NAME] [-w]\n"
    "\n"
    "Checks F.nn (syntax, names, shapes) and runs the lints over each of its\n"
    "models: warnings about networks that cannot train as written. Exit code 1\n"
    "if there is an error (or a warning, with -Werror).\n\n";

}  // namespace

int runCheck(const Args& args, std::ostream& out, std::ostream& err) {
  Diagnostics diags;
  std::vector<OptionSpec> specs = warningOptions();
  specs.push_back({"help", "", "show this help"});
  auto options = parseOptions("check", specs, args, diags);
  if (options && options->has("help")) {
    out << kUsage << formatOptionsHelp(specs);
    return 0;
  }
  std::optional<driver::CompilerSettings> flags;
  if (options) flags = parseCompilerFlags(*options, diags, false);
  if (options && options->positional().size() != 1) diags.error("give one .nn file, e.g. nnc check model.nn");
  if (diags.hasErrors()) return failWith(err, diags);
  std::optional<driver::LoadedProgram> loaded = driver::loadProgram(options->positional()[0], diags);
  if (!loaded) return failWith(err, diags);
  const SourceBuffer* source = loaded->program.sources.empty() ? nullptr : loaded->program.sources.front().get();
  passes::PassContext context(diags, source, flags->lints);
  passes::Pipeline lints = passes::Pipeline::lintsOnly();
  for (const frontend::ModelDef& model : loaded->program.models) {
    ir::Graph graph = frontend::buildForwardGraph(model, *loaded->exprs);
    lints.run(graph, context);
  }
  if (diags.hasErrors()) return failWith(err, diags);
  printWarnings(err, diags);
  out << fmt::format("{}: {} model{} checked\n", options->positional()[0], loaded->program.models.size(),
                     loaded->program.models.size() == 1 ? "" : "s");
  return 0;
}

}  // namespace nnc::cli
