// Models, training settings and imports: the Program a .nn file becomes
// (every field of the documented example), the exact text of each error,
// imports across files (transitive, shared, missing, cyclic), and the
// parser's per-statement limits with the new syntax.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "frontend/ModelSema.h"
#include "ir/Printer.h"
#include "TestSupport.h"

namespace nnc::frontend {
namespace {

namespace fs = std::filesystem;

// Diagnostics for program text named test.nn (imports and data paths start
// from the working directory).
std::string programErrors(const std::string& text) {
  ir::ExprContext ctx;
  Diagnostics diags;
  analyzeProgramText("test.nn", text, ctx, diags);
  return diags.render();
}

// A folder of .nn files for one test, removed afterwards.
class TempDir {
public:
  TempDir() {
    const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = (fs::temp_directory_path() / fmt::format("nnc-{}-{}-{}", test->test_suite_name(), test->name(), getpid()))
                .string();
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }
  // Writes `text` to NAME inside the folder; returns its path.
  std::string write(const std::string& name, const std::string& text) const {
    fs::path file = fs::path(path_) / name;
    fs::create_directories(file.parent_path());
    std::ofstream(file) << text;
    return file.string();
  }

private:
  std::string path_;
};

// The Program of a file on disk, failing the test on any diagnostic.
std::optional<Program> load(const std::string& path, ir::ExprContext& ctx) {
  Diagnostics diags;
  std::optional<Program> program = analyzeProgram(path, ctx, diags);
  EXPECT_EQ(diags.render(), "");
  return program;
}

std::string errorsOf(const std::string& path) {
  ir::ExprContext ctx;
  Diagnostics diags;
  EXPECT_FALSE(analyzeProgram(path, ctx, diags));
  return diags.render();
}

// The example of docs/language.md, with a relative test set.
constexpr const char* kExample = R"(# The example of docs/language.md.
import "activations.nn";

model mlp {
  input 784;
  dense fc1(256, relu);
  dense fc2(128, leaky_relu(0.05));
  dense fc3(128, prelu, per_unit);
  dense mix(256, relu: 128, tanh: 128);
  dense out(10);
  loss cross_entropy;
}

train mlp {
  data = idx("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz",
             "/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz");
  test = idx("t10k-images-idx3-ubyte.gz", "data/../t10k-labels-idx1-ubyte.gz");
  optimizer = adam(lr = 0.001, weight_decay = 0);
  batch = 128;
  epochs = 10;
  seed = 1;
}
)";

void expectRange(SourceRange range, uint32_t line, uint32_t column, uint32_t length) {
  EXPECT_EQ(range.begin.line, line);
  EXPECT_EQ(range.begin.column, column);
  EXPECT_EQ(range.length, length);
}

void expectActivation(const LayerActivation& a, const std::string& name, int64_t firstUnit, int64_t units,
                      const std::string& body) {
  EXPECT_EQ(a.name, name);
  EXPECT_EQ(a.input, "x");
  EXPECT_EQ(a.firstUnit, firstUnit);
  EXPECT_EQ(a.units, units);
  ASSERT_NE(a.body, nullptr);
  EXPECT_EQ(ir::print(a.body), body);
}

TEST(ModelFrontend, TheDocumentedExampleBecomesAProgram) {
  TempDir dir;
  dir.write("activations.nn", test::readExample("activations.nn"));
  std::string path = dir.write("mlp.nn", kExample);
  ir::ExprContext ctx;
  std::optional<Program> program = load(path, ctx);
  ASSERT_TRUE(program);

  // Imported activations are part of the program; the sources are kept.
  EXPECT_NE(program->activations.activation("swish"), nullptr);
  EXPECT_EQ(program->activations.activations.size(), test::loadActivations(ctx).activations.size());
  ASSERT_EQ(program->sources.size(), 2u);
  EXPECT_EQ(program->sources[0]->name(), path);
  EXPECT_EQ(program->sources[1]->name(), dir.path() + "/activations.nn");

  ASSERT_EQ(program->models.size(), 1u);
  const ModelDef& model = program->models[0];
  EXPECT_EQ(model.name, "mlp");
  expectRange(model.range, 4, 7, 3);
  EXPECT_EQ(model.inputSize, 784);
  EXPECT_EQ(model.loss, LossKind::CrossEntropy);
  expectRange(model.lossRange, 11, 8, 13);
  EXPECT_EQ(program->model("mlp"), &model);
  ASSERT_EQ(model.layers.size(), 5u);

  const LayerDef& fc1 = model.layers[0];
  EXPECT_EQ(fc1.name, "fc1");
  EXPECT_EQ(fc1.units, 256);
  expectRange(fc1.range, 6, 9, 3);
  ASSERT_EQ(fc1.activations.size(), 1u);
  expectActivation(fc1.activations[0], "relu", 0, 256, "max(x, 0)");
  EXPECT_TRUE(fc1.activations[0].learnable.empty());
  expectRange(fc1.activations[0].range, 6, 18, 4);

  // A fixed parameter is substituted by its override.
  const LayerDef& fc2 = model.layers[1];
  EXPECT_EQ(fc2.name, "fc2");
  EXPECT_EQ(fc2.units, 128);
  ASSERT_EQ(fc2.activations.size(), 1u);
  expectActivation(fc2.activations[0], "leaky_relu", 0, 128, "where(x > 0, x, 0.05*x)");
  EXPECT_TRUE(fc2.activations[0].learnable.empty());

  // A learnable one stays a Var, with its initial value, one per unit.
  const LayerDef& fc3 = model.layers[2];
  EXPECT_EQ(fc3.units, 128);
  ASSERT_EQ(fc3.activations.size(), 1u);
  expectActivation(fc3.activations[0], "prelu", 0, 128, "where(x > 0, x, a*x)");
  ASSERT_EQ(fc3.activations[0].learnable.size(), 1u);
  EXPECT_EQ(fc3.activations[0].learnable[0].name, "a");
  EXPECT_EQ(fc3.activations[0].learnable[0].initialValue, 0.25);
  EXPECT_TRUE(fc3.activations[0].learnable[0].perUnit);

  // Mixed: consecutive ranges of units.
  const LayerDef& mix = model.layers[3];
  EXPECT_EQ(mix.units, 256);
  ASSERT_EQ(mix.activations.size(), 2u);
  expectActivation(mix.activations[0], "relu", 0, 128, "max(x, 0)");
  expectActivation(mix.activations[1], "tanh", 128, 128, "tanh(x)");

  const LayerDef& out = model.layers[4];
  EXPECT_EQ(out.name, "out");
  EXPECT_EQ(out.units, 10);
  EXPECT_TRUE(out.activations.empty());

  ASSERT_EQ(program->trainings.size(), 1u);
  const TrainingDef& training = program->trainings[0];
  EXPECT_EQ(training.model, "mlp");
  expectRange(training.modelRange, 14, 7, 3);
  expectRange(training.range, 14, 1, 5);
  // Absolute paths stay; relative ones start at the .nn file's folder.
  EXPECT_EQ(training.data.kind, DataSource::Kind::Idx);
  EXPECT_EQ(training.data.paths,
            (std::vector<std::string>{"/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz",
                                      "/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz"}));
  expectRange(training.data.range, 15, 10, 3);
  ASSERT_TRUE(training.test);
  EXPECT_EQ(training.test->kind, DataSource::Kind::Idx);
  EXPECT_EQ(training.test->paths, (std::vector<std::string>{dir.path() + "/t10k-images-idx3-ubyte.gz",
                                                            dir.path() + "/t10k-labels-idx1-ubyte.gz"}));
  EXPECT_EQ(training.optimizer.kind, OptimizerDef::Kind::Adam);
  EXPECT_EQ(training.optimizer.learningRate, 0.001);
  EXPECT_EQ(training.optimizer.weightDecay, 0);
  EXPECT_EQ(training.optimizer.beta1, 0.9);
  EXPECT_EQ(training.optimizer.beta2, 0.999);
  EXPECT_EQ(training.optimizer.epsilon, 1e-8);
  expectRange(training.optimizer.range, 18, 15, 4);
  EXPECT_EQ(training.batchSize, 128);
  EXPECT_EQ(training.epochs, 10);
  EXPECT_EQ(training.seed, 1u);
}

TEST(ModelFrontend, OverridesBuiltinsCsvAndSgd) {
  ir::ExprContext ctx;
  Diagnostics diags;
  std::optional<Program> program = analyzeProgramText("models/net.nn", R"(
activation swish(x; learnable beta = 1.0) = x * sigmoid(beta * x);
activation leaky(x; slope = 0.01) = where(x > 0, x, slope * x);
model net {
  loss bce;                    # items in any order
  dense hidden(8, swish(beta = 2), per_unit);
  dense mixed(6, leaky(slope = 0.2): 2, swish(0.5): 3, sigmoid: 1);
  dense out(1, sigmoid);
  input 4;
}
train net {
  data = csv("../data/iris.csv", label = 4);
  test_fraction = 0.2;
  optimizer = sgd(0.1, momentum = 0.9);
}
)",
                                                      ctx, diags);
  ASSERT_TRUE(program) << diags.render();
  EXPECT_EQ(diags.render(), "");
  const ModelDef& model = program->models.at(0);
  EXPECT_EQ(model.inputSize, 4);
  EXPECT_EQ(model.loss, LossKind::BCE);
  ASSERT_EQ(model.layers.size(), 3u);

  const LayerActivation& hidden = model.layers[0].activations.at(0);
  expectActivation(hidden, "swish", 0, 8, "x*sigmoid(beta*x)");
  ASSERT_EQ(hidden.learnable.size(), 1u);
  EXPECT_EQ(hidden.learnable[0].name, "beta");
  EXPECT_EQ(hidden.learnable[0].initialValue, 2);  // an argument sets a learnable parameter's initial value
  EXPECT_TRUE(hidden.learnable[0].perUnit);

  const LayerDef& mixed = model.layers[1];
  ASSERT_EQ(mixed.activations.size(), 3u);
  expectActivation(mixed.activations[0], "leaky", 0, 2, "where(x > 0, x, 0.2*x)");
  expectActivation(mixed.activations[1], "swish", 2, 3, "x*sigmoid(beta*x)");
  ASSERT_EQ(mixed.activations[1].learnable.size(), 1u);
  EXPECT_EQ(mixed.activations[1].learnable[0].initialValue, 0.5);
  EXPECT_FALSE(mixed.activations[1].learnable[0].perUnit);
  expectActivation(mixed.activations[2], "sigmoid", 5, 1, "sigmoid(x)");  // a built-in function
  EXPECT_TRUE(mixed.activations[2].learnable.empty());

  const TrainingDef& training = program->trainings.at(0);
  EXPECT_EQ(training.data.kind, DataSource::Kind::Csv);
  EXPECT_EQ(training.data.paths, std::vector<std::string>{"data/iris.csv"});
  EXPECT_EQ(training.data.labelColumn, 4);
  EXPECT_FALSE(training.test);
  EXPECT_EQ(training.testFraction, 0.2);
  EXPECT_EQ(training.optimizer.kind, OptimizerDef::Kind::SGD);
  EXPECT_EQ(training.optimizer.learningRate, 0.1);
  EXPECT_EQ(training.optimizer.momentum, 0.9);
  EXPECT_EQ(training.optimizer.weightDecay, 0);
  EXPECT_EQ(training.batchSize, 128);  // defaults
  EXPECT_EQ(training.epochs, 10);
  EXPECT_EQ(training.seed, 1u);
}

TEST(ModelFrontend, EachOptimizerTakesPyTorchsDefaults) {
  auto optimizer = [](const std::string& setting) {
    ir::ExprContext ctx;
    Diagnostics diags;
    std::optional<Program> program = analyzeProgramText(
        "m.nn", "model m { input 2; dense out(3); loss cross_entropy; }\ntrain m { data = csv(\"/d.csv\"); optimizer = " +
                    setting + "; }",
        ctx, diags);
    EXPECT_TRUE(program) << diags.render();
    return program ? program->trainings.at(0).optimizer : OptimizerDef{};
  };
  OptimizerDef adamw = optimizer("adamw");
  EXPECT_EQ(adamw.kind, OptimizerDef::Kind::AdamW);
  EXPECT_EQ(adamw.weightDecay, 0.01);  // torch.optim.AdamW's
  EXPECT_EQ(adamw.learningRate, 1e-3);
  OptimizerDef rmsprop = optimizer("rmsprop(momentum = 0.9)");
  EXPECT_EQ(rmsprop.kind, OptimizerDef::Kind::RMSprop);
  EXPECT_EQ(rmsprop.learningRate, 0.01);  // torch.optim.RMSprop's
  EXPECT_EQ(rmsprop.alpha, 0.99);
  EXPECT_EQ(rmsprop.momentum, 0.9);
  OptimizerDef nesterov = optimizer("sgd(0.1, 0.9, 0, 1)");
  EXPECT_EQ(nesterov.kind, OptimizerDef::Kind::SGD);
  EXPECT_EQ(nesterov.nesterov, 1);
  EXPECT_EQ(optimizer("adamw(weight_decay = 0)").weightDecay, 0);  // a given value wins over the default
}

TEST(ModelFrontend, SettingsLeftOutTakeTheirDefaults) {
  ir::ExprContext ctx;
  Diagnostics diags;
  std::optional<Program> program = analyzeProgramText(
      "m.nn", "model m { input 2; dense out(3); loss cross_entropy; }\ntrain m { data = csv(\"/d.csv\"); }", ctx,
      diags);
  ASSERT_TRUE(program) << diags.render();
  const TrainingDef& training = program->trainings.at(0);
  EXPECT_EQ(training.data.paths, std::vector<std::string>{"/d.csv"});
  EXPECT_EQ(training.data.labelColumn, -1);
  EXPECT_FALSE(training.test);
  EXPECT_EQ(training.testFraction, 0.1);
  EXPECT_EQ(training.optimizer.kind, OptimizerDef::Kind::Adam);
  EXPECT_EQ(training.optimizer.learningRate, 1e-3);
  EXPECT_EQ(training.batchSize, 128);
  EXPECT_EQ(training.epochs, 10);
  EXPECT_EQ(training.seed, 1u);
}

// bce needs probabilities: the built-in sigmoid, or any activation that is it.
TEST(ModelFrontend, BceAcceptsEverySpellingOfSigmoid) {
  EXPECT_EQ(programErrors("model m { input 2; dense out(1, sigmoid); loss bce; }"), "");
  EXPECT_EQ(programErrors("activation sig(x) = sigmoid(x);\nmodel m { input 2; dense out(1, sig); loss bce; }"), "");
  EXPECT_EQ(programErrors("activation s(u; k = 1) = sigmoid(k*u);\nmodel m { input 2; dense out(1, s); loss bce; }"),
            "");
}

// The words that start the new declarations stay ordinary names elsewhere,
// and analyzeFile (the CLI's --file) still reads activations alone.
TEST(ModelFrontend, ActivationFilesKeepWorking) {
  ir::ExprContext ctx;
  Module module = test::loadModule(ctx, R"(
activation dense(input; loss = 2) = loss * input;
activation model(train) = dense(train, loss = 3) + import(train);
activation import(x) = x;
model m { input 2; dense out(1); loss mse; }
)");
  ASSERT_EQ(module.activations.size(), 3u);
  EXPECT_EQ(ir::print(module.activation("model")->body), "3*train + train");
  EXPECT_EQ(test::fileErrors("activation f(x) = x;\nmodel m { input 2; }\ntrain m { nonsense = 1; }"), "");
}

struct ErrorCase {
  const char* source;
  const char* expected;  // the whole rendered diagnostics
};

class ProgramErrors : public ::testing::TestWithParam<ErrorCase> {};
TEST_P(ProgramErrors, Message) { EXPECT_EQ(programErrors(GetParam().source), GetParam().expected); }

// Models: names, sizes, activations and their parameters, the loss.
INSTANTIATE_TEST_SUITE_P(
    Models, ProgramErrors,
    ::testing::Values(
        ErrorCase{"activation relu(x) = max(x, 0);\n"
                  "model m { input 4; dense a(3, rleu); dense b(2, foo); loss mse; }",
                  "test.nn:2:31: error: unknown activation 'rleu'; did you mean 'relu'?\n"
                  "  model m { input 4; dense a(3, rleu); dense b(2, foo); loss mse; }\n"
                  "                                ^~~~\n"
                  "test.nn:2:49: error: unknown activation 'foo': declare it (activation foo(x) = ...;) or import a file that does\n"
                  "  model m { input 4; dense a(3, rleu); dense b(2, foo); loss mse; }\n"
                  "                                                  ^~~\n"},
        ErrorCase{"model m { input 4; dense out(3, sigmoid); loss crossentropy; }",
                  "test.nn:1:48: error: unknown loss 'crossentropy'; did you mean 'cross_entropy'? (the losses are mse, l1, huber, bce, bce_with_logits and cross_entropy)\n"
                  "  model m { input 4; dense out(3, sigmoid); loss crossentropy; }\n"
                  "                                                 ^~~~~~~~~~~~\n"},
        ErrorCase{"model m { input 4; dense out(3, softmax: 2, tanh: 1); loss mse; }",
                  "test.nn:1:33: error: softmax normalises over all the units of layer 'out', so it cannot share the layer with other activations\n"
                  "  model m { input 4; dense out(3, softmax: 2, tanh: 1); loss mse; }\n"
                  "                                  ^~~~~~~\n"},
        ErrorCase{"model m { input 4; dense out(3, softmax(2)); loss mse; }",
                  "test.nn:1:33: error: softmax takes no arguments\n"
                  "  model m { input 4; dense out(3, softmax(2)); loss mse; }\n"
                  "                                  ^~~~~~~\n"},
        ErrorCase{"model m { input 4; dense out(3); loss hinge; }",
                  "test.nn:1:39: error: unknown loss 'hinge' (the losses are mse, l1, huber, bce, bce_with_logits and cross_entropy)\n"
                  "  model m { input 4; dense out(3); loss hinge; }\n"
                  "                                        ^~~~~\n"},
        ErrorCase{"model m { input 784; dense big(1e12, tanh); loss mse; }",
                  "test.nn:1:32: error: layer 'big' would have 785000000000000 parameters (784 inputs x 1000000000000 units + 1000000000000 biases); nnc allows at most 2147483648 (2^31) per layer\n"
                  "  model m { input 784; dense big(1e12, tanh); loss mse; }\n"
                  "                                 ^~~~\n"},
        ErrorCase{"model m { input 50000; dense a(50000); loss mse; }",
                  "test.nn:1:32: error: layer 'a' would have 2500050000 parameters (50000 inputs x 50000 units + 50000 biases); nnc allows at most 2147483648 (2^31) per layer\n"
                  "  model m { input 50000; dense a(50000); loss mse; }\n"
                  "                                 ^~~~~\n"},
        ErrorCase{"model m { input 40000; dense a(40000); dense b(40000); loss mse; }",
                  "test.nn:1:7: error: model 'm' would have 3200080000 parameters in all; nnc allows at most 2147483648 (2^31)\n"
                  "  model m { input 40000; dense a(40000); dense b(40000); loss mse; }\n"
                  "        ^\n"},
        ErrorCase{"model m { input 0; dense a(2.5); dense b(-3); loss mse; }",
                  "test.nn:1:17: error: the input size must be a positive integer, found 0\n"
                  "  model m { input 0; dense a(2.5); dense b(-3); loss mse; }\n"
                  "                  ^\n"
                  "test.nn:1:28: error: the size of layer 'a' must be a positive integer, found 2.5\n"
                  "  model m { input 0; dense a(2.5); dense b(-3); loss mse; }\n"
                  "                             ^~~\n"
                  "test.nn:1:42: error: the size of layer 'b' must be a positive integer, found -3\n"
                  "  model m { input 0; dense a(2.5); dense b(-3); loss mse; }\n"
                  "                                           ^~\n"},
        ErrorCase{"model m { input 1e999; dense a(1); loss mse; }",
                  "test.nn:1:17: error: number '1e999' is too large for a double\n"
                  "  model m { input 1e999; dense a(1); loss mse; }\n"
                  "                  ^~~~~\n"},
        ErrorCase{"activation relu(x) = max(x, 0);\n"
                  "model m { input 4; dense mix(256, relu: 128, tanh: 100); loss mse; }",
                  "test.nn:2:30: error: the units of the activations of layer 'mix' add up to 228, but the layer has 256\n"
                  "  model m { input 4; dense mix(256, relu: 128, tanh: 100); loss mse; }\n"
                  "                               ^~~\n"},
        ErrorCase{"model m { input 4; dense a(3, tanh: 2, sigmoid); loss mse; }",
                  "test.nn:1:40: error: layer 'a' has several activations, so each needs its number of units ('sigmoid: N')\n"
                  "  model m { input 4; dense a(3, tanh: 2, sigmoid); loss mse; }\n"
                  "                                         ^~~~~~~\n"},
        ErrorCase{"model m { input 4; dense a(3, tanh: 0, sigmoid: 3); loss mse; }",
                  "test.nn:1:37: error: the units of 'tanh' in layer 'a' must be a positive integer, found 0\n"
                  "  model m { input 4; dense a(3, tanh: 0, sigmoid: 3); loss mse; }\n"
                  "                                      ^\n"},
        ErrorCase{"model m { input 4; input 5; dense a(2); dense a(3); loss mse; loss mse; }",
                  "test.nn:1:26: error: model 'm' gives its input size twice\n"
                  "  model m { input 4; input 5; dense a(2); dense a(3); loss mse; loss mse; }\n"
                  "                           ^\n"
                  "test.nn:1:17: note: first given here\n"
                  "  model m { input 4; input 5; dense a(2); dense a(3); loss mse; loss mse; }\n"
                  "                  ^\n"
                  "test.nn:1:47: error: layer 'a' is defined twice in model 'm'\n"
                  "  model m { input 4; input 5; dense a(2); dense a(3); loss mse; loss mse; }\n"
                  "                                                ^\n"
                  "test.nn:1:35: note: first definition is here\n"
                  "  model m { input 4; input 5; dense a(2); dense a(3); loss mse; loss mse; }\n"
                  "                                    ^\n"
                  "test.nn:1:68: error: model 'm' gives its loss twice\n"
                  "  model m { input 4; input 5; dense a(2); dense a(3); loss mse; loss mse; }\n"
                  "                                                                     ^~~\n"
                  "test.nn:1:58: note: first given here\n"
                  "  model m { input 4; input 5; dense a(2); dense a(3); loss mse; loss mse; }\n"
                  "                                                           ^~~\n"},
        ErrorCase{"model m { input 1; dense a(1); loss mse; }\n"
                  "model m { input 2; dense a(1); loss mse; }",
                  "test.nn:2:7: error: model 'm' is defined twice\n"
                  "  model m { input 2; dense a(1); loss mse; }\n"
                  "        ^\n"
                  "test.nn:1:7: note: first definition is here\n"
                  "  model m { input 1; dense a(1); loss mse; }\n"
                  "        ^\n"},
        ErrorCase{"model m { dense a(2); }",
                  "test.nn:1:7: error: model 'm' has no input size; add one, e.g. input 784;\n"
                  "  model m { dense a(2); }\n"
                  "        ^\n"
                  "test.nn:1:7: error: model 'm' has no loss; add one, e.g. loss cross_entropy;\n"
                  "  model m { dense a(2); }\n"
                  "        ^\n"},
        ErrorCase{"model m { input 3; loss mse; }",
                  "test.nn:1:7: error: model 'm' has no layers; add one, e.g. dense out(10);\n"
                  "  model m { input 3; loss mse; }\n"
                  "        ^\n"},
        ErrorCase{"model m { input 4; dense a(3, max); dense b(3, tanh(2)); loss mse; }",
                  "test.nn:1:31: error: 'max' takes 2 arguments, so it cannot be a layer's activation (a function of the unit's input alone)\n"
                  "  model m { input 4; dense a(3, max); dense b(3, tanh(2)); loss mse; }\n"
                  "                                ^~~\n"
                  "test.nn:1:48: error: built-in function 'tanh' has no parameters to set\n"
                  "  model m { input 4; dense a(3, max); dense b(3, tanh(2)); loss mse; }\n"
                  "                                                 ^~~~\n"},
        ErrorCase{"model m { input 4; dense c(3, per_unit, tanh, per_unit); loss mse; }",
                  "test.nn:1:47: error: per_unit is given twice in layer 'c'\n"
                  "  model m { input 4; dense c(3, per_unit, tanh, per_unit); loss mse; }\n"
                  "                                                ^~~~~~~~\n"},
        ErrorCase{"activation lr(x; slope = 0.01) = where(x > 0, x, slope*x);\n"
                  "model m { input 4; dense a(3, lr(0.1, 2)); dense b(3, lr(slop = 1)); loss mse; }",
                  "test.nn:2:39: error: too many arguments to 'lr': it has 1 parameter\n"
                  "  model m { input 4; dense a(3, lr(0.1, 2)); dense b(3, lr(slop = 1)); loss mse; }\n"
                  "                                        ^\n"
                  "test.nn:2:58: error: 'lr' has no parameter named 'slop'; did you mean 'slope'?\n"
                  "  model m { input 4; dense a(3, lr(0.1, 2)); dense b(3, lr(slop = 1)); loss mse; }\n"
                  "                                                           ^~~~\n"},
        ErrorCase{"activation lr(x; slope = 0.01) = where(x > 0, x, slope*x);\n"
                  "model m { input 4; dense a(3, lr(slope = y)); dense b(3, lr(1, slope = 2)); loss mse; }",
                  "test.nn:2:42: error: unknown name 'y' (a parameter value may only use numbers, pi and built-in functions)\n"
                  "  model m { input 4; dense a(3, lr(slope = y)); dense b(3, lr(1, slope = 2)); loss mse; }\n"
                  "                                           ^\n"
                  "test.nn:2:64: error: parameter 'slope' of 'lr' is given twice\n"
                  "  model m { input 4; dense a(3, lr(slope = y)); dense b(3, lr(1, slope = 2)); loss mse; }\n"
                  "                                                                 ^~~~~\n"},
        ErrorCase{"activation lr(x; slope = 0.01) = where(x > 0, x, slope*x);\n"
                  "model m { input 4; dense a(3, lr(exp(1000))); loss mse; }",
                  "test.nn:2:34: error: the value of 'slope' is not a finite constant\n"
                  "  model m { input 4; dense a(3, lr(exp(1000))); loss mse; }\n"
                  "                                   ^~~\n"},
        ErrorCase{"activation relu(x) = max(x, 0);\n"
                  "model m { input 4; dense a(3, relu(1)); loss mse; }",
                  "test.nn:2:36: error: too many arguments to 'relu': it has no parameters\n"
                  "  model m { input 4; dense a(3, relu(1)); loss mse; }\n"
                  "                                     ^\n"},
        ErrorCase{"activation f(x) = y;\n"
                  "model m { input 4; dense a(3, f); loss mse; }",
                  "test.nn:1:19: error: unknown name 'y'; did you mean 'x'?\n"
                  "  activation f(x) = y;\n"
                  "                    ^\n"}));

// Train blocks: the model, settings, data sources, optimizers.
INSTANTIATE_TEST_SUITE_P(
    Trainings, ProgramErrors,
    ::testing::Values(
        ErrorCase{"model mlp { input 3; dense a(2); loss mse; }\n"
                  "train mpl { data = idx(\"a\", \"b\"); epoch = 3; batch = 0.5; epochs = -1; seed = -2; }",
                  "test.nn:2:7: error: unknown model 'mpl'; did you mean 'mlp'?\n"
                  "  train mpl { data = idx(\"a\", \"b\"); epoch = 3; batch = 0.5; epochs = -1; seed = -2; }\n"
                  "        ^~~\n"
                  "test.nn:2:35: error: unknown setting 'epoch'; did you mean 'epochs'?\n"
                  "  train mpl { data = idx(\"a\", \"b\"); epoch = 3; batch = 0.5; epochs = -1; seed = -2; }\n"
                  "                                    ^~~~~\n"
                  "test.nn:2:54: error: batch must be a positive integer, found 0.5\n"
                  "  train mpl { data = idx(\"a\", \"b\"); epoch = 3; batch = 0.5; epochs = -1; seed = -2; }\n"
                  "                                                       ^~~\n"
                  "test.nn:2:68: error: epochs must be a positive integer, found -1\n"
                  "  train mpl { data = idx(\"a\", \"b\"); epoch = 3; batch = 0.5; epochs = -1; seed = -2; }\n"
                  "                                                                     ^~\n"
                  "test.nn:2:79: error: seed must be a non-negative integer, found -2\n"
                  "  train mpl { data = idx(\"a\", \"b\"); epoch = 3; batch = 0.5; epochs = -1; seed = -2; }\n"
                  "                                                                                ^~\n"},
        ErrorCase{"model mlp { input 3; dense a(2); loss mse; }\n"
                  "train mlp { data = idx(\"a\", \"b\"); shuffle = 1; batch = \"big\"; epochs = 1e10; }",
                  "test.nn:2:35: error: unknown setting 'shuffle' (the settings are data, test, test_fraction, optimizer, schedule, batch, epochs, seed, clip_grad_norm, patience, bias_weight_decay, activation_lr and activation_weight_decay)\n"
                  "  train mlp { data = idx(\"a\", \"b\"); shuffle = 1; batch = \"big\"; epochs = 1e10; }\n"
                  "                                    ^~~~~~~\n"
                  "test.nn:2:56: error: batch must be a positive integer, found \"big\"\n"
                  "  train mlp { data = idx(\"a\", \"b\"); shuffle = 1; batch = \"big\"; epochs = 1e10; }\n"
                  "                                                         ^~~~~\n"
                  "test.nn:2:72: error: epochs must be at most 2147483648, found 1e10\n"
                  "  train mlp { data = idx(\"a\", \"b\"); shuffle = 1; batch = \"big\"; epochs = 1e10; }\n"
                  "                                                                         ^~~~\n"},
        ErrorCase{"train m { data = \"x\"; }",
                  "test.nn:1:7: error: unknown model 'm': this file defines no models\n"
                  "  train m { data = \"x\"; }\n"
                  "        ^\n"
                  "test.nn:1:18: error: data must be idx(IMAGES, LABELS) or csv(FILE, label = COLUMN), found \"x\"\n"
                  "  train m { data = \"x\"; }\n"
                  "                   ^~~\n"},
        ErrorCase{"model m { input 3; dense a(2); loss mse; }\n"
                  "train m { batch = 2; batch = 3; }",
                  "test.nn:2:22: error: 'batch' is set twice\n"
                  "  train m { batch = 2; batch = 3; }\n"
                  "                       ^~~~~\n"
                  "test.nn:2:11: note: first set here\n"
                  "  train m { batch = 2; batch = 3; }\n"
                  "            ^~~~~\n"
                  "test.nn:2:7: error: training of 'm' has no data; add it, e.g. data = idx(\"images.gz\", \"labels.gz\");\n"
                  "  train m { batch = 2; batch = 3; }\n"
                  "        ^\n"},
        ErrorCase{"model m { input 3; dense a(2); loss mse; }\n"
                  "train m { data = idz(\"a\", \"b\"); test = idx(\"a\"); }",
                  "test.nn:2:18: error: unknown data format 'idz'; did you mean 'idx'? (data is idx(IMAGES, LABELS) or csv(FILE, label = COLUMN))\n"
                  "  train m { data = idz(\"a\", \"b\"); test = idx(\"a\"); }\n"
                  "                   ^~~\n"
                  "test.nn:2:40: error: idx takes 2 files, images and labels: idx(IMAGES, LABELS); found 1\n"
                  "  train m { data = idz(\"a\", \"b\"); test = idx(\"a\"); }\n"
                  "                                         ^~~\n"},
        ErrorCase{"model m { input 3; dense a(2); loss mse; }\n"
                  "train m { data = idx(images = \"a\", 2); test = idx(\"a\", \"\"); }",
                  "test.nn:2:22: error: idx takes no named arguments: idx(IMAGES, LABELS)\n"
                  "  train m { data = idx(images = \"a\", 2); test = idx(\"a\", \"\"); }\n"
                  "                       ^~~~~~\n"
                  "test.nn:2:36: error: idx expects file names in quotes, found 2\n"
                  "  train m { data = idx(images = \"a\", 2); test = idx(\"a\", \"\"); }\n"
                  "                                     ^\n"
                  "test.nn:2:56: error: empty file name\n"
                  "  train m { data = idx(images = \"a\", 2); test = idx(\"a\", \"\"); }\n"
                  "                                                         ^~\n"},
        ErrorCase{"model m { input 3; dense a(2); loss mse; }\n"
                  "train m { data = csv(\"x.csv\"); test = csv(\"y.csv\", label = 1.5); test_fraction = 0.2; }",
                  "test.nn:2:60: error: label must be a non-negative integer, found 1.5\n"
                  "  train m { data = csv(\"x.csv\"); test = csv(\"y.csv\", label = 1.5); test_fraction = 0.2; }\n"
                  "                                                             ^~~\n"
                  "test.nn:2:66: error: give either test or test_fraction, not both\n"
                  "  train m { data = csv(\"x.csv\"); test = csv(\"y.csv\", label = 1.5); test_fraction = 0.2; }\n"
                  "                                                                   ^~~~~~~~~~~~~\n"},
        ErrorCase{"model m { input 3; dense a(2); loss mse; }\n"
                  "train m { data = csv(lable = 1); test = csv(label = 2); test_fraction = 1; }",
                  "test.nn:2:22: error: csv has no argument named 'lable'; did you mean 'label'?\n"
                  "  train m { data = csv(lable = 1); test = csv(label = 2); test_fraction = 1; }\n"
                  "                       ^~~~~\n"
                  "test.nn:2:41: error: csv needs a file: csv(\"file.csv\", label = COLUMN)\n"
                  "  train m { data = csv(lable = 1); test = csv(label = 2); test_fraction = 1; }\n"
                  "                                          ^~~\n"
                  "test.nn:2:73: error: test_fraction must be between 0 and 1 (exclusive), found 1\n"
                  "  train m { data = csv(lable = 1); test = csv(label = 2); test_fraction = 1; }\n"
                  "                                                                          ^\n"
                  "test.nn:2:57: error: give either test or test_fraction, not both\n"
                  "  train m { data = csv(lable = 1); test = csv(label = 2); test_fraction = 1; }\n"
                  "                                                          ^~~~~~~~~~~~~\n"},
        ErrorCase{"model m { input 3; dense a(2); loss mse; }\n"
                  "train m { data = idx(\"a\", \"b\"); optimizer = adma(lr = 1); }",
                  "test.nn:2:45: error: unknown optimizer 'adma'; did you mean 'adam'? (the optimizers are sgd, adam, adamw and rmsprop)\n"
                  "  train m { data = idx(\"a\", \"b\"); optimizer = adma(lr = 1); }\n"
                  "                                              ^~~~\n"},
        ErrorCase{"model m { input 3; dense a(2); loss mse; }\n"
                  "train m { data = idx(\"a\", \"b\"); optimizer = lbfgs; }",
                  "test.nn:2:45: error: unknown optimizer 'lbfgs' (the optimizers are sgd, adam, adamw and rmsprop)\n"
                  "  train m { data = idx(\"a\", \"b\"); optimizer = lbfgs; }\n"
                  "                                              ^~~~~\n"},
        // As torch.optim.SGD: Nesterov needs a momentum; nesterov is a flag.
        ErrorCase{"model m { input 3; dense a(2); loss mse; }\n"
                  "train m { data = idx(\"a\", \"b\"); optimizer = sgd(lr = 0.1, nesterov = 1); }",
                  "test.nn:2:45: error: sgd(nesterov = 1) needs a momentum above 0 (Nesterov's step looks ahead along it)\n"
                  "  train m { data = idx(\"a\", \"b\"); optimizer = sgd(lr = 0.1, nesterov = 1); }\n"
                  "                                              ^~~\n"},
        ErrorCase{"model m { input 3; dense a(2); loss mse; }\n"
                  "train m { data = idx(\"a\", \"b\"); optimizer = adam(lrr = 1, learning_rate = 2, lr = 0); }",
                  "test.nn:2:50: error: adam has no argument named 'lrr'; did you mean 'lr'?\n"
                  "  train m { data = idx(\"a\", \"b\"); optimizer = adam(lrr = 1, learning_rate = 2, lr = 0); }\n"
                  "                                                   ^~~\n"
                  "test.nn:2:59: error: adam has no argument named 'learning_rate' (it takes lr, beta1, beta2, eps and weight_decay)\n"
                  "  train m { data = idx(\"a\", \"b\"); optimizer = adam(lrr = 1, learning_rate = 2, lr = 0); }\n"
                  "                                                            ^~~~~~~~~~~~~\n"
                  "test.nn:2:83: error: lr must be positive, found 0\n"
                  "  train m { data = idx(\"a\", \"b\"); optimizer = adam(lrr = 1, learning_rate = 2, lr = 0); }\n"
                  "                                                                                    ^\n"},
        // Checked as float32 uses them too: 1e-320 is 0 there, 0.99999999999 is 1, 1e39 overflows.
        ErrorCase{"model m { input 3; dense a(2); loss mse; }\n"
                  "train m { data = idx(\"a\", \"b\"); optimizer = adam(lr = 1e-320, beta2 = 0.99999999999, eps = 1e39); }",
                  "test.nn:2:55: error: lr = 1e-320 is 0 in float32, the precision training runs in; it must be positive there\n"
                  "  train m { data = idx(\"a\", \"b\"); optimizer = adam(lr = 1e-320, beta2 = 0.99999999999, eps = 1e39); }\n"
                  "                                                        ^~~~~~\n"
                  "test.nn:2:71: error: beta2 = 0.99999999999 is 1 in float32, the precision training runs in; it must be at least 0 and less than 1 there\n"
                  "  train m { data = idx(\"a\", \"b\"); optimizer = adam(lr = 1e-320, beta2 = 0.99999999999, eps = 1e39); }\n"
                  "                                                                        ^~~~~~~~~~~~~\n"
                  "test.nn:2:92: error: eps = 1e39 is inf in float32, the precision training runs in; it must be finite there\n"
                  "  train m { data = idx(\"a\", \"b\"); optimizer = adam(lr = 1e-320, beta2 = 0.99999999999, eps = 1e39); }\n"
                  "                                                                                             ^~~~\n"},
        ErrorCase{"model m { input 3; dense a(2); loss mse; }\n"
                  "train m { data = idx(\"a\", \"b\"); optimizer = sgd(0.1, 1, -1, 4, 5); }",
                  "test.nn:2:54: error: momentum must be at least 0 and less than 1, found 1\n"
                  "  train m { data = idx(\"a\", \"b\"); optimizer = sgd(0.1, 1, -1, 4, 5); }\n"
                  "                                                       ^\n"
                  "test.nn:2:57: error: weight_decay must be at least 0, found -1\n"
                  "  train m { data = idx(\"a\", \"b\"); optimizer = sgd(0.1, 1, -1, 4, 5); }\n"
                  "                                                          ^~\n"
                  "test.nn:2:61: error: nesterov must be 0 or 1, found 4\n"
                  "  train m { data = idx(\"a\", \"b\"); optimizer = sgd(0.1, 1, -1, 4, 5); }\n"
                  "                                                              ^\n"
                  "test.nn:2:64: error: too many arguments to sgd: it takes lr, momentum, weight_decay and nesterov\n"
                  "  train m { data = idx(\"a\", \"b\"); optimizer = sgd(0.1, 1, -1, 4, 5); }\n"
                  "                                                                 ^\n"},
        ErrorCase{"model m { input 3; dense a(2); loss mse; }\n"
                  "train m { data = idx(\"a\", \"b\"); optimizer = sgd(0.1, lr = 0.2, momentum = \"x\"); }",
                  "test.nn:2:54: error: 'lr' of sgd is given twice\n"
                  "  train m { data = idx(\"a\", \"b\"); optimizer = sgd(0.1, lr = 0.2, momentum = \"x\"); }\n"
                  "                                                       ^~\n"
                  "test.nn:2:75: error: momentum must be a number, found \"x\"\n"
                  "  train m { data = idx(\"a\", \"b\"); optimizer = sgd(0.1, lr = 0.2, momentum = \"x\"); }\n"
                  "                                                                            ^~~\n"},
        ErrorCase{"model m { input 3; dense a(2); loss mse; }\n"
                  "train m { data = idx(\"a\", \"b\"); optimizer = 0.1; }",
                  "test.nn:2:45: error: optimizer must be sgd(...), adam(...), adamw(...) or rmsprop(...), found 0.1\n"
                  "  train m { data = idx(\"a\", \"b\"); optimizer = 0.1; }\n"
                  "                                              ^~~\n"},
        ErrorCase{"model m { input 3; dense a(2); loss mse; }\n"
                  "train m { epochs = 2; }",
                  "test.nn:2:7: error: training of 'm' has no data; add it, e.g. data = idx(\"images.gz\", \"labels.gz\");\n"
                  "  train m { epochs = 2; }\n"
                  "        ^\n"}));

// Syntax: misspelt keywords get suggestions; an error does not swallow the
// next statement.
INSTANTIATE_TEST_SUITE_P(
    Syntax, ProgramErrors,
    ::testing::Values(
        ErrorCase{"model m { input 4; dnse a(3); loss mse; }",
                  "test.nn:1:20: error: expected '}', 'input', 'dense', 'loss' or a value (NAME = ...), found 'dnse'; did you mean 'dense'?\n"
                  "  model m { input 4; dnse a(3); loss mse; }\n"
                  "                     ^~~~\n"},
        ErrorCase{"modle m { input 4; }",
                  "test.nn:1:1: error: expected a declaration (activation, import, model or train), found 'modle'; did you mean 'model'?\n"
                  "  modle m { input 4; }\n"
                  "  ^~~~~\n"},
        ErrorCase{"import activations.nn;",
                  "test.nn:1:8: error: expected a file name in quotes, found 'activations'\n"
                  "  import activations.nn;\n"
                  "         ^~~~~~~~~~~\n"},
        ErrorCase{"import \"a",
                  "test.nn:1:8: error: unterminated string: the closing '\"' is missing\n"
                  "  import \"a\n"
                  "         ^~\n"},
        ErrorCase{"model m { input 4; dense a(3, tanh) loss mse; }",
                  "test.nn:1:37: error: expected ';' before 'loss'\n"
                  "  model m { input 4; dense a(3, tanh) loss mse; }\n"
                  "                                      ^~~~\n"},
        ErrorCase{"activation f(x) = x +;\n"
                  "model m { input 4; dense a(3, f); loss mse; }",
                  "test.nn:1:22: error: expected an expression, found ';'\n"
                  "  activation f(x) = x +;\n"
                  "                       ^\n"},
        ErrorCase{"model mlp { input 3; dense a(2); loss mse; }\n"
                  "train mlp { data = idx(\"a\", \"b\"); batch = ; epochs = 1; seed = * ; }",
                  "test.nn:2:43: error: expected a value, found ';'\n"
                  "  train mlp { data = idx(\"a\", \"b\"); batch = ; epochs = 1; seed = * ; }\n"
                  "                                            ^\n"
                  "test.nn:2:64: error: expected a value, found '*'\n"
                  "  train mlp { data = idx(\"a\", \"b\"); batch = ; epochs = 1; seed = * ; }\n"
                  "                                                                 ^\n"}));

// Imports of text named test.nn start from the working directory.
INSTANTIATE_TEST_SUITE_P(
    Imports, ProgramErrors,
    ::testing::Values(
        ErrorCase{"import \"missing.nn\";\n"
                  "model m { input 4; dense a(3, relu); loss mse; }",
                  "test.nn:1:8: error: cannot open 'missing.nn': No such file or directory\n"
                  "  import \"missing.nn\";\n"
                  "         ^~~~~~~~~~~~\n"},
        ErrorCase{"import \"test.nn\";",
                  "test.nn:1:8: error: import cycle: test.nn -> test.nn\n"
                  "  import \"test.nn\";\n"
                  "         ^~~~~~~~~\n"}));

// Harmless mistakes are warnings: the program is still made.
INSTANTIATE_TEST_SUITE_P(
    Warnings, ProgramErrors,
    ::testing::Values(
        ErrorCase{"model m { input 4; dense a(3, tanh, per_unit); dense b(1, sigmoid); loss bce; }",
                  "test.nn:1:37: warning: per_unit has no effect: the activations of layer 'a' have no learnable parameters\n"
                  "  model m { input 4; dense a(3, tanh, per_unit); dense b(1, sigmoid); loss bce; }\n"
                  "                                      ^~~~~~~~\n"}));

TEST(ModelImports, ActivationsComeThroughImportsOfImports) {
  TempDir dir;
  dir.write("lib/base.nn", "activation base(x) = x + 1;\n");
  dir.write("lib/act.nn", "import \"base.nn\";  # next to act.nn\nactivation act(x) = 2 * base(x);\n");
  std::string main = dir.write("main.nn", "import \"lib/act.nn\";\nmodel m { input 2; dense a(3, act); dense b(1, base); loss mse; }\n");
  ir::ExprContext ctx;
  std::optional<Program> program = load(main, ctx);
  ASSERT_TRUE(program);
  ASSERT_EQ(program->activations.activations.size(), 2u);
  EXPECT_EQ(ir::print(program->models.at(0).layers.at(0).activations.at(0).body), "2*(x + 1)");
  EXPECT_EQ(ir::print(program->models.at(0).layers.at(1).activations.at(0).body), "x + 1");
  ASSERT_EQ(program->sources.size(), 3u);
  EXPECT_EQ(program->sources[1]->name(), dir.path() + "/lib/act.nn");
  EXPECT_EQ(program->sources[2]->name(), dir.path() + "/lib/base.nn");
}

TEST(ModelImports, AFileImportedTwiceIsReadOnce) {
  TempDir dir;
  dir.write("d.nn", "activation shared(x) = x;\n");
  dir.write("b.nn", "import \"d.nn\";\nactivation b(x) = shared(x);\n");
  dir.write("c.nn", "import \"./d.nn\";\nactivation c(x) = shared(x);\n");
  std::string main = dir.write("main.nn", "import \"b.nn\";\nimport \"c.nn\";\nimport \"d.nn\";\n"
                                          "model m { input 2; dense a(1, shared); loss mse; }\n");
  ir::ExprContext ctx;
  std::optional<Program> program = load(main, ctx);
  ASSERT_TRUE(program);
  EXPECT_EQ(program->sources.size(), 4u);
  EXPECT_EQ(program->activations.activations.size(), 3u);  // shared, b, c: shared once
}

TEST(ModelImports, CyclesAreReportedAtTheImportThatClosesThem) {
  TempDir dir;
  std::string d = dir.path();
  std::string a = dir.write("a.nn", "import \"b.nn\";\nmodel m { input 2; dense x(1, fb); loss mse; }\n");
  dir.write("b.nn", "import \"a.nn\";\nactivation fb(x) = x;\n");
  // Nothing else: b.nn and a.nn are not checked further without their imports.
  EXPECT_EQ(errorsOf(a), d + "/b.nn:1:8: error: import cycle: " + d + "/a.nn -> " + d + "/b.nn -> " + d +
                             "/a.nn\n"
                             "  import \"a.nn\";\n"
                             "         ^~~~~~\n");
  std::string self = dir.write("self.nn", "import \"self.nn\";\n");
  EXPECT_EQ(errorsOf(self), self + ":1:8: error: import cycle: " + self + " -> " + self +
                                "\n  import \"self.nn\";\n         ^~~~~~~~~\n");
}

TEST(ModelImports, ErrorsInAnImportedFileNameThatFile) {
  TempDir dir;
  std::string d = dir.path();
  dir.write("lib.nn", "activation f(x) = y;\nactivation g(x) = x +;\n");
  std::string main = dir.write("main.nn", "import \"lib.nn\";\nmodel m { input 2; dense a(1, f); loss mse; }\n");
  EXPECT_EQ(errorsOf(main), d + "/lib.nn:2:22: error: expected an expression, found ';'\n"
                                "  activation g(x) = x +;\n"
                                "                       ^\n");
  dir.write("lib.nn", "activation f(x) = y;\n");
  EXPECT_EQ(errorsOf(main), d + "/lib.nn:1:19: error: unknown name 'y'; did you mean 'x'?\n"
                                "  activation f(x) = y;\n"
                                "                    ^\n");
}

TEST(ModelImports, MissingFiles) {
  TempDir dir;
  std::string d = dir.path();
  std::string main = dir.write("main.nn", "import \"nope.nn\";\nimport \"lib\";\nmodel m { input 2; dense a(1); loss mse; }\n");
  fs::create_directories(d + "/lib");
  EXPECT_EQ(errorsOf(main), d + "/main.nn:1:8: error: cannot open '" + d + "/nope.nn': No such file or directory\n"
                                "  import \"nope.nn\";\n"
                                "         ^~~~~~~~~\n" +
                                d + "/main.nn:2:8: error: cannot open '" + d + "/lib': it is a directory\n"
                                "  import \"lib\";\n"
                                "         ^~~~~\n");
  EXPECT_EQ(errorsOf(d + "/absent.nn"), "nnc: error: cannot open '" + d + "/absent.nn': No such file or directory\n");
}

TEST(ModelImports, OneNameInTwoFilesIsAnError) {
  TempDir dir;
  std::string d = dir.path();
  dir.write("lib.nn", "activation relu(x) = max(x, 0);\n");
  std::string main = dir.write("main.nn", "import \"lib.nn\";\nactivation relu(x) = x;\n");
  EXPECT_EQ(errorsOf(main), d + "/main.nn:2:12: error: activation 'relu' is defined twice\n"
                                "  activation relu(x) = x;\n"
                                "             ^~~~\n" +
                                d + "/lib.nn:1:12: note: first definition is here\n"
                                "  activation relu(x) = max(x, 0);\n"
                                "             ^~~~\n");
}

TEST(ModelImports, ModelsOfImportedFilesAreNotImported) {
  TempDir dir;
  std::string d = dir.path();
  dir.write("lib.nn", "activation id(x) = x;\nmodel net { input 2; dense a(1); loss nonsense; }\n");
  std::string main = dir.write("main.nn", "import \"lib.nn\";\ntrain net { data = csv(\"d.csv\"); }\n");
  EXPECT_EQ(errorsOf(main), d + "/main.nn:2:7: error: unknown model 'net': it is in an imported file, and imports "
                                "bring in activations only\n"
                                "  train net { data = csv(\"d.csv\"); }\n"
                                "        ^~~\n");
}

// Limits apply per statement: a long model of short statements is fine.
TEST(ModelFrontend, InputLimitsApplyPerStatement) {
  std::string model = "model m {\n  input 4;\n";
  for (int i = 0; i < 1500; ++i) model += fmt::format("  dense l{}(2);\n", i);  // 9000 tokens in all
  model += "  loss mse;\n}\n";
  EXPECT_EQ(programErrors(model), "");
  std::string train = "model m { input 1; dense a(1); loss mse; }\ntrain m { data = csv(\"a\"";
  for (int i = 0; i < 3000; ++i) train += ", 1";
  train += "); }\n";
  EXPECT_NE(programErrors(train).find("test.nn:2:"), std::string::npos);
  EXPECT_NE(programErrors(train).find("formula too long: more than 5000 tokens"), std::string::npos);
}

}  // namespace
}  // namespace nnc::frontend
