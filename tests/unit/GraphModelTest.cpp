// Models written as named values (residual sums, concatenation, slices,
// gates of two inputs, several inputs, a softmax value, a layer applied
// three times): their whole-graph
// gradients against double-precision finite differences, and the JIT's
// predictions against the reference evaluation.
#include <gtest/gtest.h>

#include <cmath>

#include "backend/CompiledModel.h"
#include "frontend/GraphBuilder.h"
#include "frontend/ModelSema.h"
#include "passes/Autodiff.h"
#include "JitFixture.h"
#include "ReferenceModel.h"

namespace nnc {
namespace {

struct GraphCase {
  const char* name;
  const char* model;  // the model's body; the input is x[3] unless it says otherwise
  int64_t classes;    // 0: real-valued targets, as many as the model declares
  int64_t indices = 0;  // > 0: the inputs are whole numbers below it (an embedding's)
};

const GraphCase kCases[] = {
    {"residual", "input x[3]; h = dense(x, 5, tanh); r = dense(h, 5, gelu); y = h + r; "
                 "out = dense(y, 3); loss cross_entropy(out);", 3},
    {"value read three times", "input x[3]; h = dense(x, 4, swish); y = h * h + dense(h, 4, elu); "
                               "out = dense(y, 3); loss cross_entropy(out);", 3},
    {"gate of two inputs", "input x[3]; g = swiglu(dense(x, 4), dense(x, 4)); out = dense(g, 3); "
                           "loss cross_entropy(out);", 3},
    {"concat and slice", "input x[3]; h = dense(x, 6, mish); c = concat(slice(h, 0, 2), x, slice(h, 4, 6)); "
                         "out = dense(c, 3); loss cross_entropy(out);", 3},
    {"two inputs", "input a[2]; input b[1]; h = dense(a, 4, tanh) * dense(b, 4, sigmoid); "
                   "out = dense(concat(h, b), 1); loss bce_with_logits(out);", 2},
    {"learnable parameter of a formula", "input x[3]; h = dense(x, 4); y = prelu(h) + 0.5 * h; "
                                         "out = dense(y, 1, sigmoid); loss bce(out);", 2},
    {"softmax value", "input x[3]; p = softmax(dense(x, 3, tanh)); out = dense(p, 2); loss mse(out);", 2},
    {"mse against targets", "input x[3]; target y[2]; h = dense(x, 4, tanh); out = dense(h, 2); loss mse(out, y);", 0},
    {"l1 against targets", "input x[3]; target y[2]; h = dense(x, 4, tanh); out = dense(h, 2); loss l1(out, y);", 0},
    {"huber against targets", "input x[3]; target y[2]; h = dense(x, 4, elu); out = 3 * dense(h, 2); "
                              "loss huber(out, y);", 0},
    {"multi-label bce", "input x[3]; target y[2]; out = dense(dense(x, 4, tanh), 2, sigmoid); loss bce(out, y);", 0},
    {"multi-label bce_with_logits", "input x[3]; target y[3]; out = dense(dense(x, 4, mish), 3); "
                                    "loss bce_with_logits(out, y);", 0},
    // Formulas of values whose names are the backward loop's gradient Vars.
    {"values named like gradients", "input x[3]; dy = dense(x, 4, tanh); dy1 = dense(x, 4, elu); "
                                    "y = dy * dy1 + dy; out = dense(y, 3); loss cross_entropy(out);", 3},
    {"layernorm", "input x[3]; h = dense(x, 5, tanh); n = layernorm(h + dense(x, 5)); "
                  "out = dense(n * sigmoid(n), 3); loss cross_entropy(out);", 3},
    {"layernorm against targets", "input x[3]; target y[2]; n = layernorm(dense(x, 4)); out = dense(n, 2); "
                                  "loss mse(out, y);", 0},
    // Images [N, C, H, W]: every window setting, both pools, groups, and
    // images read by dense layers through flatten and global_avg_pool.
    {"convolution and max pool", "input x[2, 5, 5]; c = conv2d(x, 3, 3, padding = 1); "
                                 "p = max_pool2d(tanh(c), 2, stride = 1); out = dense(flatten(p), 3); "
                                 "loss cross_entropy(out);", 3},
    {"strided grouped and dilated convolutions, avg pools",
     "input x[4, 6, 6]; c = conv2d(x, 4, 2, stride = 2, groups = 2); d = conv2d(x, 2, 3, dilation = 2, padding = 1); "
     "a = avg_pool2d(elu(c), 2, stride = 1, padding = 1); out = dense(concat(flatten(a), global_avg_pool(d)), 3); "
     "loss cross_entropy(out);", 3},
    {"image beside features, 1x1 convolution", "input a[2]; input img[1, 4, 4]; c = conv2d(img, 2, 1); "
                                               "h = conv2d(swish(c), 2, 3, padding = 1) + c; "
                                               "out = dense(concat(flatten(h), a), 3); loss cross_entropy(out);", 3},
    {"reshaped features against targets", "input f[18]; target y[2]; r = reshape(f, 2, 3, 3); "
                                          "c = mish(conv2d(r, 2, 2)); out = dense(flatten(max_pool2d(c, 2)), 2); "
                                          "loss mse(out, y);", 0},
    {"batchnorm of features and of images",
     "input x[2, 4, 4]; b = batchnorm(conv2d(x, 3, 3, padding = 1)); c = max_pool2d(relu(b) + b, 2); "
     "h = batchnorm(dense(flatten(c), 5), momentum = 0.3, eps = 0.01); out = dense(tanh(h), 3); "
     "loss cross_entropy(out);", 3},
    {"dropout of features and of images", "input x[1, 4, 4]; c = dropout(relu(conv2d(x, 3, 3, padding = 1)), p = 0.3); "
                                          "h = dropout(dense(flatten(c), 6, tanh)); out = dense(h, 3); "
                                          "loss cross_entropy(out);", 3},
    {"embedding of indices", "input x[3]; e = embedding(x, 5, 4); h = dense(e, 6, tanh) + dense(e, 6); "
                             "out = dense(concat(h, e), 3); loss cross_entropy(out);", 3, 5},
    {"learnable parameters per channel and per feature",
     "input x[2, 4, 4]; c = conv2d(x, 3, 3, padding = 1); g = prelu(c) + swish(c), per_unit; "
     "h = dense(flatten(g), 5); y = prelu(h), per_unit; out = dense(y, 3); loss cross_entropy(out);", 3},
    {"shared layer", "input a[3]; input b[3]; layer enc = dense(4, prelu); y = enc(a) - enc(b); "
                     "z = enc(dense(y, 3)); out = dense(concat(y, z), 3); loss cross_entropy(out);", 3},
};

class GraphModelTest : public test::JitFixture, public ::testing::WithParamInterface<GraphCase> {
protected:
  ir::ExprContext exprs_;
};

TEST_P(GraphModelTest, GradientsMatchDoublePrecisionFiniteDifferences) {
  const GraphCase& c = GetParam();
  std::string text = std::string("import \"activations.nn\";\nactivation swiglu(a, b) = swish(a) * b;\nmodel m { ") +
                     c.model + " }\n";
  Diagnostics diags;
  std::optional<frontend::Program> program =
      frontend::analyzeProgramText(std::string(NNC_EXAMPLES_DIR) + "/graph-test.nn", text, exprs_, diags);
  ASSERT_TRUE(program) << diags.render();
  ASSERT_FALSE(diags.hasErrors()) << diags.render();
  const frontend::ModelDef& def = program->models.at(0);
  ir::Graph forward = frontend::buildForwardGraph(def, exprs_);
  ASSERT_EQ(ir::verify(forward), "") << ir::printGraph(forward);
  ir::Graph graph = forward;
  std::string problem;
  ASSERT_TRUE(passes::appendBackward(graph, &problem));
  ASSERT_EQ(problem, "");
  ASSERT_EQ(ir::verify(graph), "") << ir::printGraph(graph);
  std::string error;
  auto model = backend::CompiledModel::compile(std::move(graph), *jit_, test::ReferenceModel::kDropoutSeed, error);
  ASSERT_NE(model, nullptr) << error;

  // A batch of no rows predicts no rows (every kernel's empty edge).
  const runtime::Tensor& none = model->predict(runtime::Tensor({0, def.inputSize}));
  EXPECT_EQ(none.shape(), (std::vector<int64_t>{0, def.outputSize()}));

  runtime::Tensor x({4, def.inputSize});
  for (int64_t i = 0; i < x.size(); ++i)
    x[i] = c.indices ? static_cast<float>((i * 7 + 3) % c.indices)  // repeats: a row gets several gradients
                     : static_cast<float>(std::sin(2.3 * static_cast<double>(i) + 0.4));
  std::vector<int32_t> labels = c.classes == 3 ? std::vector<int32_t>{0, 2, 1, 2} : std::vector<int32_t>{1, 0, 0, 1};
  if (def.targetSize > 0) {
    // Targets in [0, 1] (the bce losses need them there), some far off so
    // that huber's linear part and l1's are reached.
    runtime::Tensor targets({4, def.targetSize});
    for (int64_t i = 0; i < targets.size(); ++i) targets[i] = static_cast<float>(0.5 + 0.45 * std::cos(1.7 * i));
    double loss = model->trainStep(x, runtime::BatchTargets(targets));
    EXPECT_TRUE(std::isfinite(loss));
    test::expectGradientsMatch(forward, *model, x, {}, c.name, &targets);
    return;
  }
  double loss = model->trainStep(x, labels);
  EXPECT_TRUE(std::isfinite(loss));
  test::expectGradientsMatch(forward, *model, x, labels, c.name);
}

INSTANTIATE_TEST_SUITE_P(Models, GraphModelTest, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<GraphCase>& info) {
                           std::string name = info.param.name;
                           for (char& ch : name)
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return name;
                         });

}  // namespace
}  // namespace nnc
