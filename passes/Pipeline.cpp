#include "passes/Pipeline.h"

#include <algorithm>

#include <fmt/format.h>

#include "support/Spelling.h"

namespace nnc::passes {

namespace {

// Lints run at every level, -O0 included, as a C compiler warns at -O0.
std::vector<std::string> lintNames() {
  std::vector<std::string> names;
  for (const PassInfo& pass : allPasses())
    if (pass.stage == PassStage::Lint) names.emplace_back(pass.name);
  return names;
}

bool isLint(const PassInfo& pass) { return pass.stage == PassStage::Lint; }

const char* stageWord(PassStage stage) {
  switch (stage) {
    case PassStage::Lint: return "a lint (it reads the graph as the model built it)";
    case PassStage::Forward: return "a forward pass (it changes what autodiff differentiates)";
    case PassStage::Autodiff: return "autodiff";
    case PassStage::Any: return "";
  }
  return "";
}

}  // namespace

std::vector<std::string> passesForLevel(int level, bool training, bool foldLinear) {
  std::vector<std::string> names = lintNames();
  auto add = [&](std::initializer_list<const char*> more) { names.insert(names.end(), more.begin(), more.end()); };
  // Before fusion: they read plain conv2d, matmul + add_bias layers.
  if (foldLinear) add({"fold-batchnorm", "dce", "fold-linear", "dce"});
  // Forward passes run before autodiff, so the backward graph is built from
  // the fused forward one (a fused bias gets its gradient in the same loop).
  if (level >= 1) add({"fuse-loss", "simplify"});
  if (level >= 2) add({"fuse-elementwise", "fuse-bias"});
  if (training) add({"autodiff"});
  if (level >= 1) add({"cse", "dce"});
  if (level >= 2) add({"memory-plan"});
  return names;
}

std::optional<Pipeline> Pipeline::create(const PipelineOptions& options, Diagnostics& diags) {
  Pipeline pipeline;
  std::vector<std::string> names = options.passes ? *options.passes
                                                  : passesForLevel(options.optimizationLevel, options.training,
                                                                   options.foldLinear);
  std::vector<std::string> known;
  for (const PassInfo& pass : allPasses()) known.emplace_back(pass.name);
  auto lookUp = [&](const std::string& name, const char* flag) -> const PassInfo* {
    if (const PassInfo* pass = findPass(name)) return pass;
    std::string message = fmt::format("unknown pass '{}' in {}", name, flag);
    if (auto suggestion = closestSpelling(name, known)) message += fmt::format("; did you mean '{}'?", *suggestion);
    diags.error(message + " (nnc compile --list-passes shows them all)");
    return nullptr;
  };
  for (const std::string& name : names)
    if (const PassInfo* pass = lookUp(name, "--passes")) pipeline.passes_.push_back(pass);
  // Stages only go forward: lints before transformations, forward passes
  // before autodiff.
  const PassInfo* latest = nullptr;
  for (const PassInfo* pass : pipeline.passes_) {
    if (pass->stage == PassStage::Any) continue;
    if (latest && pass->stage < latest->stage)
      diags.error(fmt::format("pass '{}' cannot run after '{}': it is {}", pass->name, latest->name,
                              stageWord(pass->stage)));
    if (!latest || pass->stage > latest->stage) latest = pass;
  }
  bool namesKnown = pipeline.passes_.size() == names.size();
  if (namesKnown && options.training && options.passes &&
      std::find(names.begin(), names.end(), "autodiff") == names.end())
    diags.error("training needs the backward graph: add 'autodiff' to --passes");
  for (const std::string& name : options.printAfter)
    if (name == "all" || lookUp(name, "--print-after")) pipeline.printAfter_.push_back(name);
  if (diags.hasErrors()) return std::nullopt;
  return pipeline;
}

Pipeline Pipeline::lintsOnly() {
  Pipeline pipeline;
  for (const std::string& name : lintNames()) pipeline.passes_.push_back(findPass(name));
  return pipeline;
}

bool Pipeline::run(ir::Graph& graph, PassContext& context, std::ostream* printTo) const {
  size_t errorsBefore = context.diags().errorCount();
  for (const PassInfo* pass : passes_) {
    // Every lint reports, even after another's error (as a compiler reports
    // all it finds); nothing is transformed after an error.
    if (context.diags().errorCount() > errorsBefore && !isLint(*pass)) return false;
    context.setCurrentPass(pass->name);
    bool changed = pass->run(graph, context);
    if (changed) context.count("times it changed the graph");
    // Printed before it is verified, so a malformed graph can be seen.
    bool print = std::find(printAfter_.begin(), printAfter_.end(), "all") != printAfter_.end() ||
                 std::find(printAfter_.begin(), printAfter_.end(), pass->name) != printAfter_.end();
    if (print && printTo) *printTo << fmt::format("# after {}\n{}", pass->name, ir::printGraph(graph));
    if (std::string problem = ir::verify(graph); !problem.empty()) {
      context.diags().error(fmt::format("internal error: the graph is malformed after pass '{}': {}", pass->name,
                                        problem));
      return false;
    }
  }
  return context.diags().errorCount() == errorsBefore;
}

}  // namespace nnc::passes
