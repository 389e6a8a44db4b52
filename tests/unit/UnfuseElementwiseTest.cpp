// unfuse-elementwise: one Map per operation must compute what the one Map
// did. Each model is compiled twice, with autodiff alone and with
// unfuse-elementwise before it, and one training step of both must give the
// same loss and gradients. The parameters are named like the Vars the pass
// gives the operands of the Maps it makes (a, b, c): it once bound a
// learnable `a` as an operand, so `x*tanh(a*x)` became `x*tanh(x*x)`.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "backend/CompiledModel.h"
#include "frontend/GraphBuilder.h"
#include "frontend/ModelSema.h"
#include "passes/Pipeline.h"
#include "JitFixture.h"

namespace nnc {
namespace {

struct StepResult {
  double loss = 0;
  std::map<std::string, std::vector<float>> gradients;  // parameter name -> gradient
  size_t maps = 0;                                      // Map nodes, backward included
  size_t biasAdditions = 0;                             // AddBias nodes
};

class UnfuseElementwiseTest : public test::JitFixture {
protected:

  // `activation` declares f; the model is input 3 -> dense(4, f) -> dense(2), mse.
  StepResult trainStep(const std::string& activation, const std::string& layerOptions,
                       std::vector<std::string> passNames) {
    std::string text = activation + "\nmodel m { input 3; dense h(4, " + layerOptions + "); dense out(2); loss mse; }\n";
    Diagnostics diags;
    std::optional<frontend::Program> program = frontend::analyzeProgramText("test.nn", text, exprs_, diags);
    EXPECT_TRUE(program) << diags.render();
    if (!program) return {};
    ir::Graph graph = frontend::buildForwardGraph(program->models.front(), exprs_);
    passes::PipelineOptions options;
    options.passes = std::move(passNames);
    std::optional<passes::Pipeline> pipeline = passes::Pipeline::create(options, diags);
    passes::PassContext context(diags, nullptr);
    EXPECT_TRUE(pipeline && pipeline->run(graph, context)) << diags.render();
    StepResult result;
    for (const ir::GraphNode& node : graph.nodes()) {
      result.maps += node.op == ir::GraphOp::Map;
      result.biasAdditions += node.op == ir::GraphOp::AddBias;
    }
    std::string error;
    auto model = backend::CompiledModel::compile(std::move(graph), *jit_, 3, error);
    EXPECT_NE(model, nullptr) << error;
    if (!model) return result;
    runtime::Tensor x({5, 3});
    for (int64_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(2 * std::sin(1.3 * i + 0.4));
    std::vector<int32_t> labels{0, 1, 1, 0, 1};
    result.loss = model->trainStep(x, labels);
    for (const runtime::ParameterRef& p : model->parameters())
      result.gradients[p.name].assign(p.gradient->values().begin(), p.gradient->values().end());
    return result;
  }

  static void expectSameNumbers(const StepResult& actual, const StepResult& expected) {
    EXPECT_NEAR(actual.loss, expected.loss, 1e-5 * std::abs(expected.loss));
    ASSERT_EQ(actual.gradients.size(), expected.gradients.size());
    for (const auto& [name, want] : expected.gradients) {
      const std::vector<float>& got = actual.gradients.at(name);
      ASSERT_EQ(got.size(), want.size()) << name;
      float scale = 0;
      for (float g : want) scale = std::max(scale, std::abs(g));
      for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-5f * scale + 1e-7f) << name << "[" << i << "]";
    }
  }

  void expectSameStep(const std::string& activation, const std::string& layerOptions = "f") {
    SCOPED_TRACE(activation + " with " + layerOptions);
    StepResult whole = trainStep(activation, layerOptions, {"autodiff"});
    StepResult split = trainStep(activation, layerOptions, {"unfuse-elementwise", "autodiff"});
    EXPECT_GT(split.maps, whole.maps) << "nothing was split: the test checks nothing";
    expectSameNumbers(split, whole);
  }

  ir::ExprContext exprs_;
};

TEST_F(UnfuseElementwiseTest, WithoutParameters) {
  expectSameStep("activation f(x) = x * sigmoid(x);");
  expectSameStep("activation f(x) = 0.5 * x * (1 + erf(x / sqrt(2)));");
}

TEST_F(UnfuseElementwiseTest, ParameterNamedLikeTheFirstOperand) {
  expectSameStep("activation f(x; learnable a = 0.5) = x * tanh(softplus(a * x));");
}

TEST_F(UnfuseElementwiseTest, ParameterNamedLikeTheSecondOperand) {
  expectSameStep("activation f(x; learnable b = 0.3) = x * sigmoid(x + b);");
}

TEST_F(UnfuseElementwiseTest, PerUnitParameterInAThreeOperandOp) {
  expectSameStep("activation f(x; learnable a = 0.25) = where(x > 0, x, a * x);", "f, per_unit");
}

// fuse-elementwise puts the pieces back together, and fuse-bias then moves
// the bias into the loop as it does for a Map that was never split (the
// dead pieces once still read the bias addition and kept it separate).
TEST_F(UnfuseElementwiseTest, FusionPassesUndoIt) {
  std::string swish = "activation f(x; learnable a = 0.5) = x * sigmoid(a * x);";
  StepResult fused = trainStep(swish, "f", {"fuse-elementwise", "fuse-bias", "autodiff", "dce"});
  StepResult again = trainStep(swish, "f", {"unfuse-elementwise", "fuse-elementwise", "fuse-bias", "autodiff", "dce"});
  EXPECT_EQ(again.maps, fused.maps);
  EXPECT_EQ(again.biasAdditions, fused.biasAdditions);
  expectSameNumbers(again, fused);
}

}  // namespace
}  // namespace nnc
