// nnc compile: show what the compiler makes of a model.
#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "backend/CompiledModel.h"
#include "frontend/AstPrinter.h"
#include "frontend/GraphBuilder.h"
#include "frontend/ModelSema.h"
#include "tools/nnc/Commands.h"
#include "tools/nnc/CompilerFlags.h"
#include "tools/nnc/ModelInput.h"
#include "tools/nnc/Options.h"

namespace nnc::cli {

namespace {

const char* kUsage =
    "usage: nnc compile F.nn [--emit=ast|graph|graph-opt|llvm|asm] [--model NAME] [-O0..-O3] [--passes=A,B]\n"
    "                   [--print-after=PASS|all] [--stats] [-Werror] [-Wno-NAME] [-w]\n"
    "       nnc compile --list-passes\n"
    "\n"
    "Prints what the compiler makes of F.nn: the syntax tree (--emit=ast), each\n"
    "model's graph as built (--emit=graph) or after the passes of the\n"
    "optimisation level, including the backward part autodiff appends\n"
    "(--emit=graph-opt, the default), or the optimised LLVM IR or host assembly\n"
    "of the loops the JIT compiles for it (--emit=llvm, --emit=asm; matrix\n"
    "products run in Eigen and are not shown).\n\n";

const std::vector<std::string> kEmitKinds = {"ast", "graph", "graph-opt", "llvm", "asm"};

int emitAst(const std::string& path, std::ostream& out, std::ostream& err, Diagnostics& diags) {
  std::optional<ast::File> file = frontend::parseProgramFile(path, diags);
  if (!file) return failWith(err, diags);
  out << frontend::printAst(*file);
  return 0;
}

// The kernels of the model's compiled graph as LLVM IR or assembly.
bool emitKernels(ir::Graph graph, bool assembly, std::ostream& out, Diagnostics& diags) {
  std::string error;
  std::unique_ptr<backend::FormulaJIT> jit = backend::FormulaJIT::create(error);
  std::unique_ptr<backend::CompiledModel> compiled;
  if (jit) compiled = backend::CompiledModel::compile(std::move(graph), *jit, 0, error);
  if (!compiled) {
    diags.error(error);
    return false;
  }
  for (const backend::CompiledModel::KernelListing& k : compiled->kernels()) {
    std::string text = assembly ? jit->assembly(k.kernel->llvmIR(), error) : k.kernel->llvmIR();
    if (text.empty()) {
      diags.error(error);
      return false;
    }
    out << fmt::format("{} kernel: {}\n{}\n", assembly ? "#" : ";", k.label, text);
  }
  return true;
}

std::string passList() {
  std::string out;
  for (const passes::PassInfo& pass : passes::allPasses())
    out += fmt::format("  {:<26} {}\n", pass.name, pass.summary);
  for (int level = 0; level <= 3; ++level)
    out += fmt::format("-O{}: {}\n", level, fmt::join(passes::passesForLevel(level, true), ","));
  return out;
}

}  // namespace

int runCompile(const Args& args, std::ostream& out, std::ostream& err) {
  Diagnostics diags;
  std::vector<OptionSpec> specs{{"emit", "KIND", "what to print: ast, graph, graph-opt (default), llvm or asm"},
                                {"model", "NAME", "only this model"},
                                {"list-passes", "", "list the passes and the pipeline of each -O level"}};
  for (OptionSpec& spec : compilerOptions()) specs.push_back(std::move(spec));
  specs.push_back({"help", "", "show this help"});
  auto options = parseOptions("compile", specs, args, diags);
  if (options && options->has("help")) {
    out << kUsage << formatOptionsHelp(specs);
    return 0;
  }
  if (options && options->has("list-passes")) {
    out << passList();
    return 0;
  }
  std::optional<CompilerFlags> flags;
  // The -O levels build the training graph; --passes shows exactly what
  // the listed passes make, the forward graph if autodiff is not among them.
  if (options) flags = parseCompilerFlags(*options, diags, !options->has("passes"));
  if (options && options->positional().size() != 1) diags.error("give one .nn file, e.g. nnc compile model.nn");
  std::string emit = options ? options->get("emit").value_or("graph-opt") : "";
  if (options && std::find(kEmitKinds.begin(), kEmitKinds.end(), emit) == kEmitKinds.end())
    diags.error(fmt::format("unknown --emit={}; use one of: {}", emit, fmt::join(kEmitKinds, ", ")));
  if (diags.hasErrors()) {
    return failWith(err, diags);
  }
  if (emit == "ast") return emitAst(options->positional()[0], out, err, diags);
  std::optional<LoadedProgram> loaded = loadProgram(options->positional()[0], diags);
  if (!loaded) {
    return failWith(err, diags);
  }
  std::optional<std::string> only = options->get("model");
  bool printed = false;
  for (const frontend::ModelDef& model : loaded->program.models) {
    if (only && model.name != *only) continue;
    printed = true;
    if (emit == "graph") {
      ir::Graph graph = frontend::buildForwardGraph(model, *loaded->exprs);
      out << fmt::format("graph {} {{\n{}}}\n", model.name, ir::printGraph(graph));
      continue;
    }
    std::optional<ir::Graph> graph = compileModelGraph(model, *loaded, *flags, diags, err);
    if (!graph) return failWith(err, diags);
    printWarnings(err, diags);
    if (emit == "llvm" || emit == "asm") {
      if (!emitKernels(std::move(*graph), emit == "asm", out, diags)) return failWith(err, diags);
      continue;
    }
    out << fmt::format("graph {} {{\n{}}}\n", model.name, ir::printGraph(*graph));
  }
  if (!printed) {
    diags.error(fmt::format("'{}' defines no model{}", options->positional()[0],
                            only ? fmt::format(" named '{}'", *only) : ""));
    return failWith(err, diags);
  }
  printWarnings(err, diags);
  return 0;
}

}  // namespace nnc::cli
