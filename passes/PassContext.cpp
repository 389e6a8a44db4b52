#include "passes/Pass.h"

#include <fmt/format.h>

namespace nnc::passes {

namespace {

constexpr PassInfo kPasses[] = {
#define NNC_PASS(name, function, stage, summary) {name, function, PassStage::stage, summary},
#include "passes/Passes.def"
};

constexpr std::string_view kWarnings[] = {"output-loss", "vanishing-gradient", "linear-collapse",
                                          "mixed-activations", "dead-units"};

}  // namespace

std::span<const std::string_view> lintWarningNames() { return kWarnings; }

std::span<const PassInfo> allPasses() { return kPasses; }

const PassInfo* findPass(std::string_view name) {
  for (const PassInfo& pass : kPasses)
    if (pass.name == name) return &pass;
  return nullptr;
}

TrainedParameters* PassContext::requireTrainedParameters(std::string_view pass) {
  if (!trained_)
    diags_.error(fmt::format("{} needs trained parameters: use it through nnc predict --fold-linear", pass));
  return trained_;
}

ir::ValueId addFoldedParameter(ir::Graph& graph, TrainedParameters& trained, const std::string& name,
                               const std::string& layer, SourceRange range, TrainedParameter value) {
  ir::GraphNode p;
  p.op = ir::GraphOp::Parameter;
  p.name = name;
  p.layer = layer;
  p.range = range;
  ir::TensorShape shape = value.shape;
  trained[name] = std::move(value);
  return graph.result(graph.add(std::move(p), {std::move(shape)}));
}

bool PassContext::lintEnabled(std::string_view lint) const {
  return !lints_.silent && !lints_.disabled.count(std::string(lint));
}

bool PassContext::warn(std::string_view lint, SourceRange range, std::string message) {
  if (!lintEnabled(lint)) return false;
  if (lints_.warningsAreErrors) {
    diags_.error(source_, range, fmt::format("{} [-Werror,-W{}]", message, lint));
  } else {
    diags_.warning(source_, range, fmt::format("{} [-W{}]", message, lint));
  }
  count("warnings");
  return true;
}

bool PassContext::remark(std::string_view lint, SourceRange range, std::string message) {
  if (!lintEnabled(lint)) return false;
  diags_.note(source_, range, fmt::format("{} [-W{}]", message, lint));
  return true;
}

void PassContext::count(std::string_view what, int64_t count) {
  statistics_[currentPass_][std::string(what)] += count;
}

}  // namespace nnc::passes
