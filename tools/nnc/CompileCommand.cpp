// nnc compile: show what the compiler makes of a model.
#include <algorithm>
#include <cctype>
#include <cstdio>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "backend/AotCompiler.h"
#include "backend/CompiledModel.h"
#include "driver/Checkpoints.h"
#include "driver/ModelChoice.h"
#include "driver/Program.h"
#include "frontend/AstPrinter.h"
#include "frontend/GraphBuilder.h"
#include "frontend/ModelSema.h"
#include "runtime/Checkpoint.h"
#include "tools/nnc/Commands.h"
#include "tools/nnc/CompilerFlags.h"
#include "tools/nnc/Options.h"
#include "tools/nnc/OutputFile.h"

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
    "products run in OpenBLAS and are not shown).\n\n";

const std::vector<std::string> kEmitKinds = {"ast", "graph", "graph-opt", "llvm", "asm", "obj"};

int emitAst(const std::string& path, std::ostream& out, std::ostream& err, Diagnostics& diags) {
  std::optional<ast::File> file = frontend::parseProgramFile(path, diags);
  if (!file) return failWith(err, diags);
  out << frontend::printAst(*file);
  return 0;
}

// The kernels of the model's compiled graph as LLVM IR or assembly.
bool emitKernels(ir::Graph graph, bool assembly, std::ostream& out, Diagnostics& diags) {
  std::optional<driver::NativeModel> native = driver::compileNative(std::move(graph), 0, diags);
  if (!native) return false;
  for (const backend::CompiledModel::KernelListing& k : native->model->kernels()) {
    std::string error;
    std::string text = assembly ? native->jit->assembly(k.kernel->llvmIR(), error) : k.kernel->llvmIR();
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

bool isIdentifier(const std::string& name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  return std::all_of(name.begin(), name.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

// nnc compile F.nn -o FILE: one model ahead of time.
int compileObject(const ParsedOptions& options, const driver::CompilerSettings& flags, const std::string& emit,
                  std::ostream& out, std::ostream& err, Diagnostics& diags) {
  const std::string& path = options.positional()[0];
  std::optional<driver::LoadedProgram> loaded = driver::loadProgram(path, diags);
  if (!loaded) return failWith(err, diags);
  const frontend::ModelDef* model =
      driver::chooseModel(loaded->program, options.get("model"), fmt::format("'{}'", path), "--model", diags);
  if (!model || diags.hasErrors()) return failWith(err, diags);
  backend::AotOptions aot;
  aot.prefix = options.get("prefix").value_or(model->name);
  if (!isIdentifier(aot.prefix))
    diags.error(fmt::format("--prefix '{}' is not a C identifier (letters, digits and _, not starting with a digit)",
                            aot.prefix));
  aot.source = fmt::format("{}, model {}", path, model->name);
  aot.targetCpu = options.get("target-cpu").value_or("");
  if (aot.targetCpu == "native") aot.targetCpu.clear();
  aot.backward = options.has("backward");
  aot.format = emit == "llvm" ? backend::AotOptions::Format::LLVM
               : emit == "asm" ? backend::AotOptions::Format::Assembly
                               : backend::AotOptions::Format::Object;
  if (emit != "llvm" && emit != "asm" && options.get("emit") && emit != "obj")
    diags.error(fmt::format("with -o, --emit is obj (the default), llvm or asm, not '{}'", emit));
  std::optional<runtime::Checkpoint> checkpoint;
  if (auto weights = options.get("weights")) {
    checkpoint = runtime::loadCheckpoint(*weights, diags, driver::modelTensors(*model));
    if (checkpoint) {
      if (std::string problem = driver::weightsProblem(*checkpoint, model->name); !problem.empty())
        diags.error(fmt::format("cannot use '{}' as weights: {}", *weights, problem));
      for (const runtime::NamedTensor& t : checkpoint->tensors)
        aot.trainedParameters.push_back({t.name, std::vector<float>(t.tensor.data(), t.tensor.data() + t.tensor.size())});
    }
  }
  if (diags.hasErrors()) return failWith(err, diags);
  std::optional<ir::Graph> graph = driver::compileModelGraph(*model, *loaded, flags, diags, err);
  if (!graph) return failWith(err, diags);
  printWarnings(err, diags);
  if (!aot.trainedParameters.empty()) {
    // Every parameter must be there, in its shape: the check nnc predict makes.
    std::vector<runtime::ParameterRef> wanted;
    std::vector<runtime::Tensor> shapes;
    for (const ir::GraphNode& node : graph->nodes())
      if (node.op == ir::GraphOp::Parameter) shapes.emplace_back(runtime::Shape(graph->value(node.results[0]).shape));
    size_t i = 0;
    for (const ir::GraphNode& node : graph->nodes())
      if (node.op == ir::GraphOp::Parameter) wanted.push_back({node.name, &shapes[i++], nullptr});
    if (!driver::loadParameters(*checkpoint, fmt::format("'{}'", *options.get("weights")),
                                fmt::format("model '{}'", model->name), wanted, diags))
      return failWith(err, diags);
  }
  if (aot.backward && graph->gradients.empty()) {
    diags.error("--backward needs the backward graph: add 'autodiff' to --passes");
    return failWith(err, diags);
  }
  backend::AotResult result = backend::compileAheadOfTime(*graph, aot);
  if (!result.error.empty()) {
    diags.error(result.error);
    return failWith(err, diags);
  }
  if (options.get("header") == options.get("o")) {
    diags.error(fmt::format("-o and --header name the same file '{}'", *options.get("o")));
    return failWith(err, diags);
  }
  std::vector<std::string> inputs = driver::programInputs(loaded->program);
  if (auto weights = options.get("weights")) inputs.push_back(*weights);
  bool separate = checkNotAnInput("-o", *options.get("o"), inputs, diags);
  if (auto header = options.get("header")) separate = checkNotAnInput("--header", *header, inputs, diags) && separate;
  if (!separate) return failWith(err, diags);
  if (!writeTextFile(*options.get("o"), result.output, diags, &out)) return failWith(err, diags);
  if (auto header = options.get("header"); header && !writeTextFile(*header, result.header, diags)) {
    // An object without the header it was compiled with is a partial
    // result: removed, as a compiler removes the outputs of a failed run.
    if (*options.get("o") != "-") std::remove(options.get("o")->c_str());
    return failWith(err, diags);
  }
  return 0;
}

}  // namespace

int runCompile(const Args& args, std::ostream& out, std::ostream& err) {
  Diagnostics diags;
  std::vector<OptionSpec> specs{{"emit", "KIND", "what to print: ast, graph, graph-opt (default), llvm or asm"},
                                {"model", "NAME", "only this model"},
                                {"list-passes", "", "list the passes and the pipeline of each -O level"},
                                {"o", "FILE", "compile ahead of time: an object file (or --emit=llvm|asm text) for FILE"},
                                {"header", "FILE", "with -o: write the C header declaring its functions"},
                                {"backward", "", "with -o: also PREFIX_backward (the loss and every gradient)"},
                                {"weights", "W.safetensors", "with -o: embed these trained values as PREFIX_trained_parameters"},
                                {"prefix", "NAME", "with -o: the functions' prefix (default: the model's name)"},
                                {"target-cpu", "CPU", "with -o: the CPU to compile for (default: this machine's)"}};
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
  std::optional<driver::CompilerSettings> flags;
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
  if (emit == "obj" && !options->get("o")) {
    diags.error("--emit=obj needs -o FILE");
    return failWith(err, diags);
  }
  if (emit == "ast") return emitAst(options->positional()[0], out, err, diags);
  if (options->get("o")) {
    // An object's forward function needs only the forward graph.
    if (!options->has("passes")) flags->pipeline.training = options->has("backward");
    return compileObject(*options, *flags, emit, out, err, diags);
  }
  std::optional<driver::LoadedProgram> loaded = driver::loadProgram(options->positional()[0], diags);
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
    std::optional<ir::Graph> graph = driver::compileModelGraph(model, *loaded, *flags, diags, err);
    if (!graph) return failWith(err, diags);
    printWarnings(err, diags);
    if (emit == "llvm" || emit == "asm") {
      if (!emitKernels(std::move(*graph), emit == "asm", out, diags)) return failWith(err, diags);
      continue;
    }
    out << fmt::format("graph {} {{\n{}}}\n", model.name, ir::printGraph(*graph));
  }
  if (!printed) {  // (every model is printed unless --model names one)
    driver::chooseModel(loaded->program, only, fmt::format("'{}'", options->positional()[0]), "--model", diags);
    return failWith(err, diags);
  }
  printWarnings(err, diags);
  return 0;
}

}  // namespace nnc::cli
