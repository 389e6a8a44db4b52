// Every optimisation pass keeps the numbers. For models that contain each
// pass's pattern, the loss, the prediction and every parameter gradient
// after a pipeline equal those of the plain graph (autodiff alone), on the
// same batch with the same parameters: within 2e-5 relative (float32
// kernels that compute the same formulas in another order or form).
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>

#include "backend/CompiledModel.h"
#include "frontend/GraphBuilder.h"
#include "frontend/ModelSema.h"
#include "passes/Pipeline.h"

namespace nnc {
namespace {

using runtime::Tensor;

const char* kModels = R"(
import "activations.nn";
activation ident(x) = 1*x + 0;
activation soft_clip(x; learnable c = 2) = c * tanh(x / c);

model mixed {
  input 6;
  dense a(8, swish);
  dense b(8, gelu: 4, tanh: 4);
  dense c(6, prelu, per_unit);
  dense out(3);
  loss cross_entropy;
}
model probability {
  input 6;
  dense h(8, relu);
  dense out(1, sigmoid);
  loss bce;
}
model softmax_mse {
  input 6;
  dense h(8, elu);
  dense out(3, softmax);
  loss mse;
}
model identity {
  input 6;
  dense h(8, ident);
  dense h2(5, mish);
  dense out(3, soft_clip);
  loss mse;
}
model residual {
  input x[6];
  h = dense(x, 8, tanh);
  r = dense(h, 8, swish);
  h2 = h + r;
  out = dense(h2, 3);
  loss cross_entropy(out);
}
model diamond {
  input x[6];
  dy = dense(x, 8, elu);      # values named like the backward loops' gradient Vars
  dy1 = dy * 0.5 + 1;
  dy2 = tanh(dy1) * dy1;
  out = dense(concat(dy1, dy2), 3);
  loss cross_entropy(out);
}
)";

struct StepResult {
  double loss = 0;
  Tensor prediction;
  std::map<std::string, Tensor> gradients;
};

class PassTest : public ::testing::TestWithParam<std::vector<std::string>> {
protected:
  void SetUp() override {
    Diagnostics diags;
    program_ = frontend::analyzeProgramText(std::string(NNC_EXAMPLES_DIR) + "/pass-test.nn", kModels, exprs_, diags);
    ASSERT_TRUE(program_ && !diags.hasErrors()) << diags.render();
    std::string error;
    jit_ = backend::FormulaJIT::create(error);
    ASSERT_TRUE(jit_) << error;
  }

  // Compiles the model through `passes`, sets its parameters from
  // `parameters` (by name) and runs one training step on a fixed batch.
  StepResult step(const frontend::ModelDef& model, const std::vector<std::string>& passes,
          std::map<std::string, Tensor>& parameters) {
    ir::Graph graph = optimise(model, passes, true);
    StepResult out;
    std::string error;
    auto compiled = backend::CompiledModel::compile(std::move(graph), *jit_, 7, error);
    EXPECT_TRUE(compiled) << error;
    if (!compiled) return out;
    for (const runtime::ParameterRef& p : compiled->parameters()) {
      auto [it, fresh] = parameters.try_emplace(p.name, *p.value);
      if (!fresh) *p.value = it->second;
    }
    std::mt19937 random(3);
    std::normal_distribution<float> normal(0, 1.5f);
    Tensor x({16, model.inputSize});
    for (float& v : x.values()) v = normal(random);
    std::vector<int32_t> labels;
    int64_t classes = model.layers.back().units;
    for (int i = 0; i < 16; ++i) labels.push_back(classes == 1 ? i % 2 : i % static_cast<int32_t>(classes));
    out.loss = compiled->trainStep(x, labels);
    out.prediction = compiled->predict(x);
    for (const runtime::ParameterRef& p : compiled->parameters()) out.gradients[p.name] = *p.gradient;
    return out;
  }

  // The model's graph after `passes` (each followed by the verifier).
  ir::Graph optimise(const frontend::ModelDef& model, const std::vector<std::string>& passes, bool training) {
    ir::Graph graph = frontend::buildForwardGraph(model, exprs_);
    Diagnostics diags;
    passes::PipelineOptions options;
    options.passes = passes;
    options.training = training;
    std::optional<passes::Pipeline> pipeline = passes::Pipeline::create(options, diags);
    passes::PassContext context(diags, nullptr, {.disabled = {}, .warningsAreErrors = false, .silent = true});
    EXPECT_TRUE(pipeline && pipeline->run(graph, context)) << diags.render();
    return graph;
  }

  static size_t countMaps(const ir::Graph& graph) {
    size_t maps = 0;
    for (const ir::GraphNode& node : graph.nodes()) maps += node.op == ir::GraphOp::Map;
    return maps;
  }

  ir::ExprContext exprs_;
  std::optional<frontend::Program> program_;
  std::unique_ptr<backend::FormulaJIT> jit_;
};

void expectClose(const Tensor& expected, const Tensor& actual, const std::string& what) {
  ASSERT_EQ(expected.shape(), actual.shape()) << what;
  for (int64_t i = 0; i < expected.size(); ++i)
    EXPECT_NEAR(actual[i], expected[i], 2e-5 * std::max(1.0f, std::abs(expected[i]))) << what << " [" << i << "]";
}

TEST_P(PassTest, LossPredictionAndGradientsMatchThePlainGraph) {
  for (const frontend::ModelDef& model : program_->models) {
    SCOPED_TRACE(model.name);
    std::map<std::string, Tensor> parameters;
    StepResult plain = step(model, {"autodiff"}, parameters);
    StepResult optimised = step(model, GetParam(), parameters);
    EXPECT_NEAR(optimised.loss, plain.loss, 2e-5 * std::max(1.0, std::abs(plain.loss)));
    expectClose(plain.prediction, optimised.prediction, "prediction");
    ASSERT_EQ(plain.gradients.size(), optimised.gradients.size());
    for (const auto& [name, gradient] : plain.gradients) expectClose(gradient, optimised.gradients.at(name), name);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Pipelines, PassTest,
    ::testing::Values(std::vector<std::string>{"fuse-loss", "autodiff"},
                      std::vector<std::string>{"simplify", "autodiff", "dce"},
                      std::vector<std::string>{"fuse-bias", "autodiff", "dce"},
                      std::vector<std::string>{"fuse-elementwise", "autodiff"},
                      std::vector<std::string>{"unfuse-elementwise", "autodiff"},
                      std::vector<std::string>{"unfuse-elementwise", "fuse-elementwise", "autodiff"},
                      std::vector<std::string>{"autodiff", "cse", "dce"},
                      std::vector<std::string>{"autodiff", "memory-plan"},
                      passes::passesForLevel(1, true), passes::passesForLevel(2, true),
                      passes::passesForLevel(3, true)));

// Splitting a formula into one Map per operation and fusing the pieces back
// gives the loops fusing the formulas as written gives.
TEST_F(PassTest, UnfuseThenFuseGivesOneLoopPerActivation) {
  for (const frontend::ModelDef& model : program_->models) {
    SCOPED_TRACE(model.name);
    size_t built = countMaps(optimise(model, {"fuse-elementwise", "dce"}, false));
    size_t split = countMaps(optimise(model, {"unfuse-elementwise"}, false));
    size_t fused = countMaps(optimise(model, {"unfuse-elementwise", "fuse-elementwise", "dce"}, false));
    EXPECT_EQ(fused, built);
    if (model.name == "mixed") {
      EXPECT_GT(split, built);
    }
  }
}

}  // namespace
}  // namespace nnc

namespace nnc {
namespace {

// Runs cse, which must merge something, then dce, and verifies the graph.
void mergeAndRemoveCopies(ir::Graph& graph, passes::PassContext& context) {
  EXPECT_TRUE(passes::eliminateCommonSubexpressions(graph, context));
  EXPECT_TRUE(passes::eliminateDeadNodes(graph, context));
  EXPECT_EQ(ir::verify(graph), "");
}

// cse merges nodes with the same op, attributes and operands (no model the
// language builds has any today: the builder and the splitter share equal
// formulas already), and leaves the copies to dce.
TEST(Cse, MergesIdenticalMapsAndKeepsDifferentOnes) {
  ir::ExprContext exprs;
  ir::Graph graph(exprs);
  auto map = [&](std::vector<ir::ValueId> operands, ir::ExprRef formula, std::vector<std::string> vars) {
    ir::GraphNode node;
    node.op = ir::GraphOp::Map;
    node.operands = std::move(operands);
    ir::MapSegment segment;
    segment.columns = 4;
    segment.inputVars = std::move(vars);
    segment.outputs = {formula};
    node.segments.push_back(std::move(segment));
    return graph.result(graph.add(std::move(node), {{ir::kBatch, 4}}));
  };
  ir::GraphNode input;
  input.op = ir::GraphOp::Input;
  graph.bind(ir::PortRole::Samples, "input", graph.result(graph.add(std::move(input), {{ir::kBatch, 4}})));
  ir::ExprRef x = exprs.var("x"), y = exprs.var("y");
  ir::ExprRef sigmoid = exprs.make(ir::Op::Sigmoid, {x});
  ir::ValueId first = map({graph.input()}, sigmoid, {"x"});
  ir::ValueId second = map({graph.input()}, sigmoid, {"x"});
  ir::ValueId other = map({graph.input()}, exprs.make(ir::Op::Tanh, {x}), {"x"});
  ir::ValueId sum = map({first, second}, exprs.make(ir::Op::Add, {x, y}), {"x", "y"});
  graph.bind(ir::PortRole::Prediction, "out", map({sum, other}, exprs.make(ir::Op::Mul, {x, y}), {"x", "y"}));

  Diagnostics diags;
  passes::PassContext context(diags, nullptr);
  mergeAndRemoveCopies(graph, context);
  // input, sigmoid, tanh, the sum reading sigmoid twice, the product.
  ASSERT_EQ(graph.nodes().size(), 5u);
  const ir::GraphNode& sumNode = graph.nodes()[3];
  EXPECT_EQ(sumNode.operands[0], sumNode.operands[1]);
  EXPECT_FALSE(passes::eliminateCommonSubexpressions(graph, context));
}

// The key is the node's attributes whole: a slice at another column is
// another computation; the same formula written in two places (another
// activation name and location, diagnostics only) is the same one.
TEST(Cse, ComparesEveryAttributeAndNoDiagnostics) {
  ir::ExprContext exprs;
  ir::Graph graph(exprs);
  ir::GraphNode input;
  input.op = ir::GraphOp::Input;
  graph.bind(ir::PortRole::Samples, "input", graph.result(graph.add(std::move(input), {{ir::kBatch, 8}})));
  auto slice = [&](int64_t firstColumn) {
    ir::GraphNode node;
    node.op = ir::GraphOp::Slice;
    node.operands = {graph.input()};
    node.firstColumn = firstColumn;
    return graph.result(graph.add(std::move(node), {{ir::kBatch, 4}}));
  };
  ir::ExprRef x = exprs.var("x");
  auto relu = [&](ir::ValueId from, const std::string& name, uint32_t line) {
    ir::GraphNode node;
    node.op = ir::GraphOp::Map;
    node.operands = {from};
    ir::MapSegment segment;
    segment.columns = 4;
    segment.origin = {name, SourceRange{{line, 3}, 4}};
    segment.inputVars = {"x"};
    segment.outputs = {exprs.make(ir::Op::Max, {x, exprs.constant(0)})};
    node.segments.push_back(std::move(segment));
    return graph.result(graph.add(std::move(node), {{ir::kBatch, 4}}));
  };
  ir::ValueId low = slice(0), high = slice(4), lowAgain = slice(0);
  ir::ValueId a = relu(low, "relu", 3), b = relu(lowAgain, "my_relu", 7), c = relu(high, "relu", 9);
  ir::GraphNode concat;
  concat.op = ir::GraphOp::Concat;
  concat.operands = {a, b, c};
  graph.bind(ir::PortRole::Prediction, "out", graph.result(graph.add(std::move(concat))));

  Diagnostics diags;
  passes::PassContext context(diags, nullptr);
  mergeAndRemoveCopies(graph, context);
  // input, two slices, two maps, the concat.
  ASSERT_EQ(graph.nodes().size(), 6u);
  const ir::GraphNode& merged = graph.nodes().back();
  EXPECT_EQ(merged.operands[0], merged.operands[1]);
  EXPECT_NE(merged.operands[0], merged.operands[2]);
}

// Across a residual diamond the dense layer's activation runs inside the
// sum's loop (h + swish(z + b): one forward loop, its output kept as a
// second result; h, read by r's matmul on the way to the sum, cannot be).
// In `diamond`, dy's activation, dy1 (read by dy2 and by the concat) and
// dy2 are one loop with three results. The layers' outputs stay where the dead-unit
// monitor reads them: the same maxima as the unfused graph's.
TEST_F(PassTest, FusionAcrossDiamondsKeepsValuesOthersRead) {
  const frontend::ModelDef* residual = nullptr;
  const frontend::ModelDef* diamond = nullptr;
  for (const frontend::ModelDef& model : program_->models) {
    if (model.name == "residual") residual = &model;
    if (model.name == "diamond") diamond = &model;
  }
  ASSERT_TRUE(residual && diamond);
  using Expected = std::pair<const frontend::ModelDef*, std::vector<size_t>>;  // results of each map
  for (const auto& [model, resultsPerMap] : std::vector<Expected>{{residual, {1, 2}}, {diamond, {3}}}) {
    SCOPED_TRACE(model->name);
    ir::Graph fused = optimise(*model, {"fuse-elementwise", "dce"}, false);
    EXPECT_EQ(ir::verify(fused), "");
    std::vector<size_t> results;
    for (const ir::GraphNode& node : fused.nodes())
      if (node.op == ir::GraphOp::Map) results.push_back(node.results.size());
    EXPECT_EQ(results, resultsPerMap) << ir::printGraph(fused);
  }
  ir::Graph fused = optimise(*residual, passes::passesForLevel(2, true), true);
  ir::ValueId r = fused.layerOutput("r");
  ASSERT_GE(r, 0);
  EXPECT_EQ(r, fused.nodes()[static_cast<size_t>(fused.value(r).producer)].results[1]) << ir::printGraph(fused);

  std::map<std::string, Tensor> parameters;
  std::vector<runtime::LayerOutputMaxima> maxima[2];
  int k = 0;
  for (const std::vector<std::string>& passes : {std::vector<std::string>{"autodiff"}, passes::passesForLevel(2, true)}) {
    std::string error;
    auto compiled = backend::CompiledModel::compile(optimise(*residual, passes, true), *jit_, 7, error);
    ASSERT_TRUE(compiled) << error;
    for (const runtime::ParameterRef& p : compiled->parameters()) {
      auto [it, fresh] = parameters.try_emplace(p.name, *p.value);
      if (!fresh) *p.value = it->second;
    }
    compiled->trackOutputMaxima({"h", "r"});
    Tensor x({16, residual->inputSize});
    for (int64_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(std::sin(0.7 * static_cast<double>(i)));
    std::vector<int32_t> labels(16, 1);
    EXPECT_TRUE(std::isfinite(compiled->trainStep(x, labels)));
    maxima[k++] = compiled->takeOutputMaxima();
  }
  ASSERT_EQ(maxima[0].size(), 2u);
  ASSERT_EQ(maxima[1].size(), 2u);
  for (size_t l = 0; l < 2; ++l) expectClose(maxima[0][l].maxima, maxima[1][l].maxima, maxima[0][l].layer);
}

}  // namespace
}  // namespace nnc
