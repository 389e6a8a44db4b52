// nnc compile: show what the compiler makes of a model.
#include <fmt/format.h>

#include "tools/nnc/Commands.h"
#include "tools/nnc/ModelInput.h"
#include "tools/nnc/Options.h"

namespace nnc::cli {

namespace {

const char* kUsage =
    "usage: nnc compile F.nn --emit=graph [--model NAME]\n"
    "\n"
    "Prints each model's graph: the forward part built from the file and the\n"
    "backward part the autodiff pass appends.\n\n";

}  // namespace

int runCompile(const Args& args, std::ostream& out, std::ostream& err) {
  Diagnostics diags;
  std::vector<OptionSpec> specs{{"emit", "graph", "what to print"},
                                {"model", "NAME", "only this model"},
                                {"help", "", "show this help"}};
  auto options = parseOptions("compile", specs, args, diags);
  if (options && options->has("help")) {
    out << kUsage << formatOptionsHelp(specs);
    return 0;
  }
  if (options && options->positional().size() != 1) diags.error("give one .nn file, e.g. nnc compile model.nn --emit=graph");
  if (options && options->get("emit").value_or("graph") != "graph")
    diags.error(fmt::format("--emit={} is not supported yet; use --emit=graph", *options->get("emit")));
  if (diags.hasErrors()) {
    return failWith(err, diags);
  }
  std::optional<LoadedProgram> loaded = loadProgram(options->positional()[0], diags);
  if (!loaded) {
    return failWith(err, diags);
  }
  std::optional<std::string> only = options->get("model");
  bool printed = false;
  for (const frontend::ModelDef& model : loaded->program.models) {
    if (only && model.name != *only) continue;
    ir::Graph graph = buildTrainingGraph(model, *loaded->exprs);
    out << fmt::format("graph {} {{\n{}}}\n", model.name, ir::printGraph(graph));
    printed = true;
  }
  if (!printed) {
    diags.error(fmt::format("'{}' defines no model{}", options->positional()[0],
                            only ? fmt::format(" named '{}'", *only) : ""));
    return failWith(err, diags);
  }
  return 0;
}

}  // namespace nnc::cli
