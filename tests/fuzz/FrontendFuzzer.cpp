// The front-end fuzz target: one input is run through everything that reads
// user text, as libFuzzer's LLVMFuzzerTestOneInput (see README.md).
//   1. As a .nn file: parse, checks, imports (relative to examples/, so
//      `import "activations.nn";` works), each model's forward graph, and the
//      -O2 training pipeline (lints, fusion, autodiff, memory plan).
//   2. Each activation it defines, and the input itself as a command-line
//      formula: simplified and differentiated twice, as `nnc grad` does.
// Errors in the input are fine; an internal error (a malformed graph after a
// pass) is a bug, and so is any crash, hang, leak or undefined behaviour the
// sanitizers see.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "frontend/GraphBuilder.h"
#include "frontend/ModelSema.h"
#include "frontend/Parser.h"
#include "frontend/Sema.h"
#include "ir/Diff.h"
#include "ir/Printer.h"
#include "ir/Simplify.h"
#include "passes/Pipeline.h"

namespace {

using namespace nnc;

// Internal errors are the library's bugs, not the input's: make them crashes
// the fuzzer reports.
void failOnInternalError(const Diagnostics& diags) {
  for (const Diagnostic& d : diags.all())
    if (d.message.rfind("internal error", 0) == 0) {
      std::fprintf(stderr, "%s", renderDiagnostic(d).c_str());
      std::abort();
    }
}

void differentiate(ir::ExprContext& ctx, ir::ExprRef e, const std::string& variable) {
  ir::simplify(ctx, e);
  ir::derivatives(ctx, e, variable, 2);
}

void fuzzProgram(const std::string& text) {
  ir::ExprContext ctx;
  Diagnostics diags;
  std::optional<frontend::Program> program =
      frontend::analyzeProgramText(NNC_EXAMPLES_DIR "/fuzz-input.nn", text, ctx, diags);
  failOnInternalError(diags);
  if (!program) return;
  for (const frontend::ActivationDef& activation : program->activations.activations)
    differentiate(ctx, activation.body, activation.input);
  passes::PipelineOptions options;
  options.passes = passes::passesForLevel(2, true);
  std::optional<passes::Pipeline> pipeline = passes::Pipeline::create(options, diags);
  if (!pipeline) std::abort();  // the -O2 list names only passes that exist
  for (const frontend::ModelDef& model : program->models) {
    ir::Graph graph = frontend::buildForwardGraph(model, ctx);
    passes::PassContext context(diags, program->sources.front().get());
    if (pipeline->run(graph, context)) ir::printGraph(graph);
    failOnInternalError(diags);
  }
}

void fuzzFormula(const std::string& text) {
  ir::ExprContext ctx;
  Diagnostics diags;
  SourceBuffer source("<formula>", text);
  ast::ExprPtr ast = frontend::parseFormula(source, diags);
  if (!ast) return;
  frontend::FormulaResult result = frontend::analyzeFormula(*ast, source, nullptr, "x", ctx, diags);
  if (result.expr) differentiate(ctx, result.expr, "x");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  fuzzProgram(text);
  fuzzFormula(text);
  return 0;
}
