// Which activations can die (-Wdead-units), decided from their formulas:
// the standard activations of examples/activations.nn and a few more.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "driver/DeadUnits.h"
#include "frontend/ModelSema.h"

namespace nnc::driver {
namespace {

TEST(DeadUnits, CanDieIsDecidedFromTheFormula) {
  const std::pair<const char*, bool> table[] = {
      {"relu", true},          {"step", true},          {"relu6", true},         {"squared_relu", true},
      {"shifted", true},       {"leaky_relu", false},   {"prelu", false},        {"prelu(0)", false},
      {"elu", false},          {"selu", false},         {"gelu", false},         {"gelu_tanh", false},
      {"swish", false},        {"silu", false},         {"mish", false},         {"softplus", false},
      {"sigmoid", false},      {"tanh", false},         {"identity", false},     {"sine", false},
      {"ncu", false},          {"softsign", false},     {"relu_minus_one", false}, {"dips_below_zero", false},
  };
  std::string layers;
  for (size_t i = 0; i < std::size(table); ++i) layers += fmt::format("  dense l{}(4, {});\n", i, table[i].first);
  std::string text = fmt::format(R"(import "{}/activations.nn";
# relu-like: 0 with slope 0 for negative inputs, never negative
activation relu6(x) = min(max(x, 0), 6);
activation squared_relu(x) = max(x, 0)^2;
activation shifted(x) = relu(x - 100);
# flat for negative inputs, but not at 0: an output of 0 is not a sign of death
activation relu_minus_one(x) = relu(x) - 1;
activation dips_below_zero(x) = where(x > 0, x - 1, 0);
model m {{
  input 2;
{}  loss mse;
}}
)",
                                 NNC_EXAMPLES_DIR, layers);
  ir::ExprContext ctx;
  Diagnostics diags;
  std::optional<frontend::Program> program = frontend::analyzeProgramText("test.nn", text, ctx, diags);
  ASSERT_TRUE(program) << diags.render();
  const frontend::ModelDef& model = program->models.at(0);
  ASSERT_EQ(model.layers.size(), std::size(table));
  for (size_t i = 0; i < std::size(table); ++i)
    EXPECT_EQ(canDie(model.layers[i].activations.at(0), ctx), table[i].second) << table[i].first;
}

}  // namespace
}  // namespace nnc::driver
