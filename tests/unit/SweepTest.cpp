// nnc sweep's parts that decide its figures: the variants planned from the
// command line (mixes split by share of each layer's units) and the
// permutation test of the report.
#include <fstream>

#include <gtest/gtest.h>

#include "driver/ActivationVariants.h"
#include "driver/SweepReport.h"
#include "frontend/ModelSema.h"

namespace nnc::driver {
namespace {

class SweepTest : public ::testing::Test {
protected:
  const frontend::ModelDef& model() {
    const char* text = R"(
activation relu(x) = max(x, 0);
activation tanh2(x) = tanh(x);
model m {
  input 4;
  dense a(10, relu);
  dense b(128, relu);
  dense out(2);
  loss cross_entropy;
}
)";
    program_ = frontend::analyzeProgramText("m.nn", text, exprs_, diags_);
    EXPECT_TRUE(program_) << diags_.render();
    return program_->models.at(0);
  }
  std::string options(const ActivationVariant& v, const std::string& layer) {
    for (const auto& [name, text] : v.layers)
      if (name == layer) return text;
    return "(none)";
  }

  ir::ExprContext exprs_;
  Diagnostics diags_;
  std::optional<frontend::Program> program_;
};

TEST_F(SweepTest, MixesAreSharesOfEachLayersUnits) {
  VariantRequest request;
  request.mixes = {"relu:128+tanh2:128", "relu:1+tanh2:2"};
  std::optional<std::vector<ActivationVariant>> variants = planVariants(model(), request, diags_);
  ASSERT_TRUE(variants) << diags_.render();
  ASSERT_EQ(variants->size(), 2u);
  // The hidden layers (not the one the loss reads), half and half.
  EXPECT_EQ(options((*variants)[0], "a"), "relu: 5, tanh2: 5");
  EXPECT_EQ(options((*variants)[0], "b"), "relu: 64, tanh2: 64");
  EXPECT_EQ(options((*variants)[0], "out"), "(none)");
  // 10 units in shares 1:2 are 3.33 and 6.67: the larger remainder rounds up.
  EXPECT_EQ(options((*variants)[1], "a"), "relu: 3, tanh2: 7");
  EXPECT_EQ(options((*variants)[1], "b"), "relu: 43, tanh2: 85");
}

TEST_F(SweepTest, FormulasBecomeActivationsAndVariantsApplyToTheModel) {
  VariantRequest request;
  request.activations = {"tanh2", "x*sigmoid(1.702*x)"};
  request.perLayer = {{"tanh2", "relu"}};
  const frontend::ModelDef& m = model();
  std::optional<std::vector<ActivationVariant>> variants = planVariants(m, request, diags_);
  ASSERT_TRUE(variants) << diags_.render();
  ASSERT_EQ(variants->size(), 3u);
  EXPECT_EQ((*variants)[1].declarations, std::vector<std::string>{"activation sweep_f1(x) = x*sigmoid(1.702*x);"});
  EXPECT_EQ((*variants)[2].name, "tanh2/relu");
  driver::LoadedProgram loaded;
  // applyVariant imports the program's file: analyse the variants against
  // one on disk.
  std::string path = ::testing::TempDir() + "sweep-model.nn";
  {
    std::ofstream file(path);
    file << "activation relu(x) = max(x, 0);\nactivation tanh2(x) = tanh(x);\n";
  }
  loaded.program.sources.push_back(std::make_shared<SourceBuffer>(path, ""));
  std::optional<frontend::ModelDef> changed = applyVariant(m, (*variants)[2], loaded, diags_);
  ASSERT_TRUE(changed) << diags_.render();
  EXPECT_EQ(changed->layers[0].activations.at(0).name, "tanh2");
  EXPECT_EQ(changed->layers[1].activations.at(0).name, "relu");
  EXPECT_TRUE(changed->layers[2].activations.empty());
}

TEST(SweepStatistics, PermutationTestIsExactForFewSeeds) {
  // {1, 2} against {3, 4}: of the 6 ways to split {1, 2, 3, 4} in two
  // pairs, 2 ({1, 2} | {3, 4} and its mirror) differ by as much.
  EXPECT_DOUBLE_EQ(permutationPValue({1, 2}, {3, 4}), 2.0 / 6);
  EXPECT_DOUBLE_EQ(permutationPValue({0.8, 0.8}, {0.8, 0.8}), 1.0);
  // Five seeds each, all of one above all of the other: 2 of C(10, 5) = 252.
  EXPECT_DOUBLE_EQ(permutationPValue({0.90, 0.91, 0.92, 0.93, 0.94}, {0.80, 0.81, 0.82, 0.83, 0.84}), 2.0 / 252);
  // 12 each is past the exact limit (C(24, 12) = 2.7 million): sampled.
  std::vector<double> high, low;
  for (int i = 0; i < 12; ++i) {
    high.push_back(0.9 + 0.001 * i);
    low.push_back(0.8 + 0.001 * i);
  }
  EXPECT_LT(permutationPValue(high, low), 0.001);
  EXPECT_EQ(permutationPValue(high, low), permutationPValue(high, low));  // a fixed seed
}

}  // namespace
}  // namespace nnc::driver
