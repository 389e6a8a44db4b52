// Derivative rules (one table line per op) and the finite-difference oracle:
// every example activation's derivatives, with respect to x and to each
// parameter, against central differences of the double interpreter.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "ir/Diff.h"
#include "ir/Interpreter.h"
#include "ir/Printer.h"
#include "ir/Simplify.h"
#include "TestSupport.h"

namespace nnc::ir {
namespace {

struct Rule {
  const char* f;
  const char* derivative;  // d/dx, simplified and printed
};

class DerivativeRules : public ::testing::TestWithParam<Rule> {};

TEST_P(DerivativeRules, Derive) {
  ExprContext ctx;
  ExprRef f = test::parseExpr(ctx, GetParam().f);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(print(derivatives(ctx, f, "x", 1).orders.at(1)), GetParam().derivative) << GetParam().f;
}

INSTANTIATE_TEST_SUITE_P(
    Table, DerivativeRules,
    ::testing::Values(
        Rule{"3", "0"}, Rule{"x", "1"}, Rule{"y", "0"}, Rule{"x + y", "1"}, Rule{"x - y", "1"},
        Rule{"-x", "-1"}, Rule{"x*y", "y"}, Rule{"x/y", "1/y"}, Rule{"y/x", "-y/x^2"},
        Rule{"x^3", "3*x^2"}, Rule{"x^y", "y*x^(y - 1)"}, Rule{"2^x", "0.6931471805599453*2^x"},
        Rule{"x^x", "x^x*(log(x) + x/x)"} /* x/x kept: x may be 0 */, Rule{"pow(x, 2)", "2*x"},
        Rule{"exp(x)", "exp(x)"}, Rule{"expm1(x)", "exp(x)"}, Rule{"log(x)", "1/x"},
        Rule{"log1p(x)", "1/(x + 1)"}, Rule{"sqrt(x)", "0.5/sqrt(x)"}, Rule{"abs(x)", "sign(x)"},
        Rule{"sign(x)", "0"}, Rule{"sin(x)", "cos(x)"}, Rule{"cos(x)", "-sin(x)"},
        Rule{"tanh(x)", "1 - tanh(x)^2"}, Rule{"sinh(x)", "cosh(x)"}, Rule{"cosh(x)", "sinh(x)"},
        Rule{"erf(x)", "1.1283791670955126*exp(-x^2)"}, Rule{"sigmoid(x)", "sigmoid(x)*(1 - sigmoid(x))"},
        Rule{"softplus(x)", "sigmoid(x)"}, Rule{"max(x, 0)", "x > 0"}, Rule{"min(x, 0)", "x < 0"},
        Rule{"max(x, 2*x)", "where(x > 2*x, 1, 2)"}, Rule{"where(x > 1, x^2, 3*x)", "where(x > 1, 2*x, 3)"},
        Rule{"x < 1", "0"}, Rule{"x*sigmoid(x)", "sigmoid(x) + x*sigmoid(x)*(1 - sigmoid(x))"},
        Rule{"sin(x^2)", "2*x*cos(x^2)"}, Rule{"exp(2*x)", "2*exp(2*x)"}, Rule{"x^-3", "-3/x^4"},
        Rule{"(x + 1)^-2", "-2/(x + 1)^3"}, Rule{"1/x", "-1/x^2"}));

TEST(Diff, HighOrdersOfNegativePowersStayCompact) {
  // d^n/dx^n 1/x = (-1)^n n! / x^(n+1): exponents must add, not pile up.
  ExprContext ctx;
  Derivatives d = derivatives(ctx, test::parseExpr(ctx, "1/x"), "x", 10);
  ASSERT_TRUE(d.error.empty());
  EXPECT_EQ(print(d.orders[10]), "3628800/x^11");
  std::vector<std::string> x{"x"};
  EXPECT_DOUBLE_EQ(Interpreter(std::span(&d.orders[8], 1), x).run1(std::vector<double>{2.0}), 40320.0 / 512);
}

TEST(Diff, HigherOrders) {
  ExprContext ctx;
  ExprRef f = test::parseExpr(ctx, "x - x^3");
  Derivatives d = derivatives(ctx, f, "x", 4);
  ASSERT_TRUE(d.error.empty());
  ASSERT_EQ(d.orders.size(), 5u);
  EXPECT_EQ(print(d.orders[1]), "1 - 3*x^2");
  EXPECT_EQ(print(d.orders[2]), "-6*x");
  EXPECT_EQ(print(d.orders[3]), "-6");
  EXPECT_EQ(print(d.orders[4]), "0");
}

TEST(Diff, SharesForwardSubexpressions) {
  // The derivative reuses the formula's own sigmoid node: one node, not a copy.
  ExprContext ctx;
  ExprRef f = test::parseExpr(ctx, "x*sigmoid(x)");
  ExprRef d = derivatives(ctx, f, "x", 1).orders[1];
  ExprRef sigmoid = f->operand(1);
  ASSERT_EQ(sigmoid->op(), Op::Sigmoid);
  EXPECT_EQ(d->operand(0), sigmoid);
}

TEST(Diff, RefusesDerivativesPastTheNodeLimit) {
  ExprContext ctx;
  ExprRef f = test::parseExpr(ctx, "exp(sin(x)*cos(x))*tanh(x^2)");
  Derivatives d = derivatives(ctx, f, "x", 12, {.maxNodes = 300});
  EXPECT_NE(d.error.find("more than the limit of 300"), std::string::npos) << d.error;
  EXPECT_LT(d.orders.size(), 13u);
}

// x^x's derivatives grow about 2.8 times per order: the order that growth
// puts past the limit is refused before it is built (order 15 was built,
// 486700 nodes, and refused after 11 s).
TEST(Diff, RefusesAnOrderItsGrowthPutsPastTheLimit) {
  ExprContext ctx;
  Derivatives d = derivatives(ctx, test::parseExpr(ctx, "x^x"), "x", 64);
  EXPECT_EQ(d.orders.size(), 15u);  // orders 0 to 14
  EXPECT_EQ(d.error.rfind("derivative of order 15 would have about ", 0), 0u) << d.error;
  EXPECT_NE(d.error.find("more than the limit of 200000"), std::string::npos) << d.error;
}

// ---- finite differences -------------------------------------------------

// Central difference of `f` in `var` at the given values, with a step
// relative to the point (Richardson-extrapolated for accuracy).
double centralDifference(const Interpreter& f, std::vector<double> values, size_t var) {
  double x = values[var];
  double h = 1e-3 * std::max(1.0, std::abs(x));
  auto at = [&](double offset) {
    values[var] = x + offset;
    return f.run1(values);
  };
  double d1 = (at(h) - at(-h)) / (2 * h);
  double d2 = (at(h / 2) - at(-h / 2)) / h;
  return (4 * d2 - d1) / 3;
}

// A point where no kink of relu/step/where/abs lies within the FD stencil.
bool nearKink(double x) { return std::abs(x) < 0.01; }

TEST(Diff, ExampleActivationsMatchFiniteDifferences) {
  ExprContext ctx;
  frontend::Module module = test::loadActivations(ctx);
  ASSERT_GE(module.activations.size(), 18u);
  std::mt19937 random(1234);
  std::uniform_real_distribution<double> uniform(-6, 6);
  for (const frontend::ActivationDef& act : module.activations) {
    std::vector<std::string> inputs{act.input};
    for (const frontend::ParameterDef& p : act.parameters) inputs.push_back(p.name);
    for (const std::string& var : inputs) {
      Derivatives d = derivatives(ctx, act.body, var, 2);
      ASSERT_TRUE(d.error.empty()) << act.name;
      size_t varIndex = std::find(inputs.begin(), inputs.end(), var) - inputs.begin();
      for (int order = 1; order <= 2; ++order) {
        Interpreter lower(std::span(&d.orders[order - 1], 1), inputs);
        Interpreter derivative(std::span(&d.orders[order], 1), inputs);
        for (int sample = 0; sample < 200; ++sample) {
          std::vector<double> values{uniform(random)};
          for (const frontend::ParameterDef& p : act.parameters) values.push_back(p.defaultValue + 0.1);
          if (nearKink(values[0])) continue;
          double expected = centralDifference(lower, values, varIndex);
          double actual = derivative.run1(values);
          EXPECT_NEAR(actual, expected, 1e-6 * std::max(1.0, std::abs(expected)))
              << act.name << ": d^" << order << "/d" << var << "^" << order << " = " << print(d.orders[order])
              << " at x=" << values[0];
        }
      }
    }
  }
}

TEST(Diff, ConventionsAtKinks) {
  // Documented in docs/language.md: slope 0 at relu's kink, abs'(0) = 0,
  // step' = 0, nothing through where's condition.
  ExprContext ctx;
  frontend::Module module = test::loadActivations(ctx);
  auto slopeAtZero = [&](const char* name) {
    const frontend::ActivationDef* act = module.activation(name);
    ExprRef d = derivatives(ctx, act->body, "x", 1).orders[1];
    std::vector<std::string> inputs{"x"};
    std::vector<double> values{0.0};
    for (const frontend::ParameterDef& p : act->parameters) {
      inputs.push_back(p.name);
      values.push_back(p.defaultValue);
    }
    return Interpreter(std::span(&d, 1), inputs).run1(values);
  };
  EXPECT_EQ(slopeAtZero("relu"), 0);
  EXPECT_EQ(slopeAtZero("step"), 0);
  EXPECT_EQ(slopeAtZero("leaky_relu"), 0.01);
  EXPECT_EQ(slopeAtZero("prelu"), 0.25);
  ExprRef abs = test::parseExpr(ctx, "abs(x)");
  ExprRef dabs = derivatives(ctx, abs, "x", 1).orders[1];
  std::vector<std::string> x{"x"};
  EXPECT_EQ(Interpreter(std::span(&dabs, 1), x).run1(std::vector<double>{0.0}), 0);
}

}  // namespace
}  // namespace nnc::ir
