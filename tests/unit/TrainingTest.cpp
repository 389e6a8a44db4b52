// Networks end to end below the language: a model built by hand, its graph,
// the autodiff pass checked against finite differences of the loss, and
// training reaching an accuracy on a small problem.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include <fmt/format.h>

#include "backend/CompiledModel.h"
#include "frontend/GraphBuilder.h"
#include "passes/Autodiff.h"
#include "runtime/Trainer.h"
#include "ReferenceModel.h"
#include "JitFixture.h"
#include "TestSupport.h"

namespace nnc {
namespace {

using runtime::Tensor;

// The context the example activations live in (set by the fixture).
ir::ExprContext* gExprs = nullptr;

// An activation of examples/activations.nn over units [first, first+units).
frontend::LayerActivation activation(const frontend::Module& module, const std::string& name, int64_t first,
                                     int64_t units, bool perUnit = false) {
  const frontend::ActivationDef* def = module.activation(name);
  EXPECT_NE(def, nullptr) << name;
  frontend::LayerActivation act;
  act.name = name;
  act.input = def->input;
  act.body = def->body;
  act.firstUnit = first;
  act.units = units;
  // As Sema does: fixed parameters take their defaults, learnable ones stay Vars.
  ir::ExprContext* exprs = gExprs;
  std::vector<ir::Binding> fixed;
  for (const frontend::ParameterDef& p : def->parameters) {
    if (p.learnable) act.learnable.push_back({p.name, p.defaultValue, perUnit});
    else fixed.push_back({p.name, exprs->constant(p.defaultValue)});
  }
  act.body = ir::substitute(*exprs, def->body, fixed);
  return act;
}

frontend::ModelDef smallModel(const frontend::Module& module, frontend::LossKind loss, int64_t outputs) {
  frontend::ModelDef model;
  model.name = "small";
  model.inputSize = 2;
  frontend::LayerDef mixed{"mixed", 8, {activation(module, "swish", 0, 4, true), activation(module, "tanh", 4, 4)}, {}};
  frontend::LayerDef prelu{"hidden", 6, {activation(module, "prelu", 0, 6)}, {}};
  frontend::LayerDef out{"out", outputs, {}, {}};
  model.layers = {mixed, prelu, out};
  model.loss = loss;
  frontend::chainLayers(model);
  return model;
}

class TrainingTest : public test::JitFixture {
protected:
  void SetUp() override { gExprs = &exprs_; }
  void TearDown() override { gExprs = nullptr; }

  std::unique_ptr<backend::CompiledModel> compile(const frontend::ModelDef& model) {
    ir::Graph graph = frontend::buildForwardGraph(model, exprs_);
    EXPECT_TRUE(passes::appendBackward(graph));
    EXPECT_EQ(ir::verify(graph), "") << ir::printGraph(graph);
    std::string error;
    auto compiled = backend::CompiledModel::compile(std::move(graph), *jit_, 7, error);
    EXPECT_NE(compiled, nullptr) << error;
    return compiled;
  }
  ir::ExprContext exprs_;
};

// Two interleaved spirals: not linearly separable.
runtime::Dataset spirals(int64_t perClass, uint64_t seed) {
  runtime::Dataset data;
  data.features = Tensor({2 * perClass, 2});
  data.numClasses = 2;
  std::mt19937_64 random(seed);
  std::normal_distribution<double> noise(0, 0.05);
  for (int64_t i = 0; i < 2 * perClass; ++i) {
    int32_t label = static_cast<int32_t>(i % 2);
    double t = 0.25 + 3.0 * static_cast<double>(i / 2) / static_cast<double>(perClass);
    double angle = t * 2.2 + label * M_PI;
    data.features[2 * i] = static_cast<float>(t * std::cos(angle) / 3 + noise(random));
    data.features[2 * i + 1] = static_cast<float>(t * std::sin(angle) / 3 + noise(random));
    data.labels.push_back(label);
  }
  return data;
}

// A batch of no rows predicts no rows (runtime::gemm divided by the empty
// size when cutting the products: SIGFPE).
TEST_F(TrainingTest, PredictingNoRowsGivesNoRows) {
  frontend::Module module = test::loadActivations(exprs_);
  auto compiled = compile(smallModel(module, frontend::LossKind::CrossEntropy, 2));
  ASSERT_NE(compiled, nullptr);
  const Tensor& y = compiled->predict(Tensor({0, 2}));
  EXPECT_EQ(y.dim(0), 0);
  EXPECT_EQ(y.dim(1), 2);
}

TEST_F(TrainingTest, GraphPrintsDeterministically) {
  frontend::Module module = test::loadActivations(exprs_);
  ir::Graph graph = frontend::buildForwardGraph(smallModel(module, frontend::LossKind::CrossEntropy, 2), exprs_);
  passes::appendBackward(graph);
  std::string text = ir::printGraph(graph);
  EXPECT_NE(text.find("%0 = input : f32[N, 2]"), std::string::npos) << text;
  EXPECT_NE(text.find("parameter \"mixed.weight\" init=he"), std::string::npos) << text;
  EXPECT_NE(text.find("parameter \"mixed.swish.beta\" init=constant(1) : f32[4]"), std::string::npos) << text;
  EXPECT_NE(text.find("parameter \"hidden.a\" init=constant(0.25) : f32[1]"), std::string::npos) << text;
  EXPECT_NE(text.find("%1 = labels : i32[N]"), std::string::npos) << text;
  EXPECT_NE(text.find("loss_grad cross_entropy"), std::string::npos) << text;
  ir::ExprContext other;
  ir::Graph again = frontend::buildForwardGraph(smallModel(test::loadActivations(other), frontend::LossKind::CrossEntropy, 2), other);
  passes::appendBackward(again);
  EXPECT_EQ(ir::printGraph(again), text);
}

TEST_F(TrainingTest, BackwardMatchesFiniteDifferencesOfTheLoss) {
  frontend::Module module = test::loadActivations(exprs_);
  for (frontend::LossKind loss : {frontend::LossKind::CrossEntropy, frontend::LossKind::MSE,
                                  frontend::LossKind::BCEWithLogits}) {
    int64_t outputs = loss == frontend::LossKind::BCEWithLogits ? 1 : 3;
    auto model = compile(smallModel(module, loss, outputs));
    ASSERT_NE(model, nullptr);
    Tensor x({5, 2});
    for (int64_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(std::sin(1.7 * i));
    std::vector<int32_t> labels{0, 1, outputs == 1 ? 0 : 2, 1, 0};
    model->trainStep(x, labels);
    std::vector<runtime::ParameterRef> parameters = model->parameters();
    ASSERT_EQ(parameters.size(), 8u);  // 3 weights, 3 biases, swish beta, prelu a
    // Copy the analytic gradients before finite differences overwrite them.
    std::vector<Tensor> analytic;
    for (const runtime::ParameterRef& p : parameters) analytic.push_back(*p.gradient);
    for (size_t k = 0; k < parameters.size(); ++k) {
      Tensor& w = *parameters[k].value;
      for (int64_t i = 0; i < std::min<int64_t>(w.size(), 5); ++i) {
        float saved = w[i];
        const float h = 1e-3f;
        w[i] = saved + h;
        double up = model->trainStep(x, labels);
        w[i] = saved - h;
        double down = model->trainStep(x, labels);
        w[i] = saved;
        double numeric = (up - down) / (2 * h);
        EXPECT_NEAR(analytic[k][i], numeric, 2e-3 + 2e-2 * std::abs(numeric))
            << parameters[k].name << "[" << i << "]";
      }
    }
  }
}

// A batch written into inputBatch() and trained on in place gives the loss
// and gradients of the same batch copied in (the trainer's path, without
// the copy), including after a batch of another size.
TEST_F(TrainingTest, TrainingOnTheModelsInputBatchEqualsCopyingItIn) {
  frontend::Module module = test::loadActivations(exprs_);
  auto model = compile(smallModel(module, frontend::LossKind::CrossEntropy, 3));
  ASSERT_NE(model, nullptr);
  std::vector<int32_t> labels{0, 1, 2, 1, 0};
  for (int64_t rows : {int64_t{5}, int64_t{3}}) {
    std::span<const int32_t> batchLabels(labels.data(), static_cast<size_t>(rows));
    Tensor x({rows, 2});
    for (int64_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(std::sin(1.3 * i));
    double copied = model->trainStep(x, batchLabels);
    std::vector<Tensor> expected;
    for (const runtime::ParameterRef& p : model->parameters()) expected.push_back(*p.gradient);
    Tensor* input = model->inputBatch(rows);
    ASSERT_NE(input, nullptr);
    ASSERT_EQ(input->shape(), x.shape());
    std::copy(x.data(), x.data() + x.size(), input->data());
    EXPECT_EQ(model->trainStep(*input, batchLabels), copied);
    std::vector<runtime::ParameterRef> parameters = model->parameters();
    for (size_t k = 0; k < parameters.size(); ++k)
      for (int64_t i = 0; i < expected[k].size(); ++i)
        ASSERT_EQ((*parameters[k].gradient)[i], expected[k][i]) << parameters[k].name << "[" << i << "]";
  }
}

// Whole-network gradients against central finite differences of the loss
// computed in double precision by ReferenceModel: every loss, saturating and
// rectifying activations, learnable parameters per unit and per layer, mixed
// layers. The JIT model runs in float32, so agreement is to float accuracy.
TEST_F(TrainingTest, GradientsMatchDoublePrecisionFiniteDifferences) {
  frontend::Module module = test::loadActivations(exprs_);
  struct Case {
    frontend::LossKind loss;
    int64_t outputs;
    std::vector<frontend::LayerActivation> hidden;
    std::vector<frontend::LayerActivation> last;
  };
  std::vector<Case> cases{
      {frontend::LossKind::CrossEntropy, 3, {activation(module, "gelu", 0, 3), activation(module, "swish", 3, 3, true)}, {}},
      {frontend::LossKind::MSE, 2, {activation(module, "elu", 0, 6)}, {activation(module, "sigmoid", 0, 2)}},
      {frontend::LossKind::BCE, 1, {activation(module, "mish", 0, 2), activation(module, "prelu", 2, 4)},
       {activation(module, "sigmoid", 0, 1)}},
      {frontend::LossKind::BCEWithLogits, 1, {activation(module, "tanh", 0, 6)}, {}},
      {frontend::LossKind::MSE, 1, {activation(module, "softplus", 0, 3), activation(module, "ncu", 3, 3)}, {}},
  };
  for (const Case& c : cases) {
    frontend::ModelDef def;
    def.name = "check";
    def.inputSize = 3;
    def.layers = {{"hidden", 6, c.hidden, {}}, {"out", c.outputs, c.last, {}}};
    def.loss = c.loss;
    frontend::chainLayers(def);
    ir::Graph graph = frontend::buildForwardGraph(def, exprs_);
    auto model = compile(def);
    ASSERT_NE(model, nullptr);
    Tensor x({4, 3});
    for (int64_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(std::sin(2.3 * static_cast<double>(i) + 0.4));
    std::vector<int32_t> labels = c.outputs == 3 ? std::vector<int32_t>{0, 2, 1, 2} : std::vector<int32_t>{1, 0, 0, 1};
    model->trainStep(x, labels);

    test::expectGradientsMatch(graph, *model, x, labels, fmt::format("loss {}", static_cast<int>(c.loss)));
  }
}

TEST_F(TrainingTest, LearnsSpiralsAndReportsEpochs) {
  frontend::Module module = test::loadActivations(exprs_);
  frontend::ModelDef def = smallModel(module, frontend::LossKind::CrossEntropy, 2);
  def.layers[0].units = 32;
  def.layers[0].activations = {activation(module, "swish", 0, 16, true), activation(module, "tanh", 16, 16)};
  def.layers[1].units = 32;
  def.layers[1].activations = {activation(module, "prelu", 0, 32)};
  frontend::chainLayers(def);
  auto model = compile(def);
  ASSERT_NE(model, nullptr);
  runtime::Dataset trainData = spirals(400, 1), testData = spirals(200, 2);
  runtime::Optimizer adam({.learningRate = 0.01f});
  std::vector<runtime::EpochReport> reports;
  runtime::TrainEvents events;
  events.epochDone = [&](const runtime::EpochReport& r) {
    reports.push_back(r);
    return true;
  };
  runtime::TrainResult result = runtime::train(*model, adam, trainData, testData, {.epochs = 60, .batchSize = 32}, events);
  ASSERT_EQ(result.error, "");
  ASSERT_EQ(reports.size(), 60u);
  EXPECT_LT(reports.back().trainLoss, reports.front().trainLoss);
  EXPECT_GT(reports.back().test.accuracy, 0.95) << "loss " << reports.back().test.loss;
}

TEST_F(TrainingTest, StopsOnNonFiniteLossNamingTheLayer) {
  frontend::Module module = test::loadActivations(exprs_);
  auto model = compile(smallModel(module, frontend::LossKind::CrossEntropy, 2));
  runtime::Dataset data = spirals(50, 3);
  data.features[10] = NAN;  // a bad sample
  runtime::Optimizer sgd({.kind = runtime::OptimizerSettings::Kind::SGD, .learningRate = 0.1f});
  runtime::TrainResult result = runtime::train(*model, sgd, data, data, {.epochs = 1, .batchSize = 100}, {});
  EXPECT_EQ(result.error,
            "the loss became NaN at epoch 1, step 1 (first non-finite values in layer 'mixed'); training stopped "
            "before updating the parameters with it");
}

}  // namespace
}  // namespace nnc
