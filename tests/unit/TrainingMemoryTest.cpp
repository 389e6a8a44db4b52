// nnc train's memory estimate: parameters with their gradients and
// optimiser state, and a batch's activations; a model over the limit is
// refused with the bytes it needs.
#include <gtest/gtest.h>

#include "driver/TrainingMemory.h"
#include "frontend/ModelSema.h"

namespace nnc::driver {
namespace {

struct Loaded {
  ir::ExprContext ctx;
  frontend::Program program;
};

std::unique_ptr<Loaded> load(const std::string& text) {
  auto loaded = std::make_unique<Loaded>();
  Diagnostics diags;
  std::optional<frontend::Program> program = frontend::analyzeProgramText("test.nn", text, loaded->ctx, diags);
  EXPECT_TRUE(program) << diags.render();
  if (program) loaded->program = std::move(*program);
  return loaded;
}

TEST(TrainingMemory, CountsParametersOptimiserStateAndActivations) {
  auto loaded = load(R"(
activation prelu(x; learnable a = 0.25) = max(x, 0) + a * min(x, 0);
model m { input 10; dense h(20, prelu, per_unit); dense out(5); loss cross_entropy; }
train m { data = csv("d.csv"); batch = 8; optimizer = adam(lr = 0.1); }
)");
  const frontend::ModelDef& model = loaded->program.models.at(0);
  frontend::TrainingDef training = loaded->program.trainings.at(0);
  // 10*20 + 20 + 20 slopes + 20*5 + 5 = 345 parameters; Adam: value,
  // gradient and two moments, float32.
  TrainingMemory adam = estimateTrainingMemory(model, training);
  EXPECT_EQ(adam.parameterBytes, 345.0 * 4 * 4);
  // A batch of 8 through 10 + 20 + 5 units, three copies.
  EXPECT_EQ(adam.activationBytes, 8.0 * 35 * 4 * 3);
  training.optimizer.kind = frontend::OptimizerDef::Kind::SGD;
  EXPECT_EQ(estimateTrainingMemory(model, training).parameterBytes, 345.0 * 4 * 2);
  training.optimizer.momentum = 0.9;
  EXPECT_EQ(estimateTrainingMemory(model, training).parameterBytes, 345.0 * 4 * 3);
}

TEST(TrainingMemory, RefusesAModelOverTheLimit) {
  auto loaded = load(R"(
model m { input 1000; dense h(1000); dense out(10); loss cross_entropy; }
train m { data = csv("d.csv"); batch = 100; }
)");
  const frontend::ModelDef& model = loaded->program.models.at(0);
  const frontend::TrainingDef& training = loaded->program.trainings.at(0);
  Diagnostics diags;
  EXPECT_TRUE(checkTrainingMemory(model, training, 1 << 30, nullptr, diags));
  EXPECT_FALSE(diags.hasErrors());
  // 1011010 parameters * 16 bytes + 100 * 2010 units * 12 bytes.
  EXPECT_FALSE(checkTrainingMemory(model, training, 1 << 20, nullptr, diags));
  EXPECT_EQ(diags.render(),
            "nnc: error: training model 'm' needs about 18588160 bytes (17.7 MiB) of memory: 15.4 MiB for the "
            "parameters, their gradients and the optimiser's state, 2.3 MiB for the activations of a batch of 100; "
            "this machine has 1.0 MiB\n");
}

TEST(TrainingMemory, KnowsThePhysicalMemory) {
  std::optional<double> bytes = physicalMemoryBytes();
  ASSERT_TRUE(bytes);
  EXPECT_GT(*bytes, 1 << 20);
}

}  // namespace
}  // namespace nnc::driver
