// Parsing and checking: the AST's structure, lowering to the Expr IR, and
// the exact text of every kind of error (library code returns diagnostics;
// nothing is printed).
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "ir/Printer.h"
#include "TestSupport.h"

namespace nnc::frontend {
namespace {

std::string printed(const std::string& formula) {
  ir::ExprContext ctx;
  ir::ExprRef e = test::parseExpr(ctx, formula);
  return e ? ir::print(e) : "<error>";
}

TEST(Parser, PrecedenceAndAssociativity) {
  EXPECT_EQ(printed("-x^2"), "-x^2");          // ^ binds tighter than unary minus
  EXPECT_EQ(printed("(-x)^2"), "(-x)^2");
  EXPECT_EQ(printed("2^3^x"), "2^3^x");        // right-associative
  EXPECT_EQ(printed("(2^3)^x"), "(2^3)^x");
  EXPECT_EQ(printed("x^-2"), "x^-2");
  EXPECT_EQ(printed("a - (b - c)"), "a - (b - c)");
  EXPECT_EQ(printed("a - b - c"), "a - b - c");
  EXPECT_EQ(printed("a/(b*c)"), "a/(b*c)");
  EXPECT_EQ(printed("a*b/c"), "a*b/c");
  EXPECT_EQ(printed("1 + 2*3"), "1 + 2*3");
  EXPECT_EQ(printed("(1 + 2)*3"), "(1 + 2)*3");
  EXPECT_EQ(printed("x*(-y)"), "x*(-y)");
  EXPECT_EQ(printed("where(x + 1 > 2*y, x, 0)"), "where(x + 1 > 2*y, x, 0)");
  EXPECT_EQ(printed("(x > 1)*x"), "(x > 1)*x");
  EXPECT_EQ(printed("+x"), "x");
  EXPECT_EQ(printed("pi"), "pi");
  EXPECT_EQ(printed("1e-3 + .5 + 2.5E+4"), "0.001 + 0.5 + 25000");
  EXPECT_EQ(printed("pow(x, 3)"), "x^3");
}

TEST(Parser, PrintedFormulasParseBackToTheSameExpr) {
  ir::ExprContext ctx;
  for (const char* text : {"-x^2 + (-x)^3 - x^-1", "a - (b - c)/(d*e)", "2^3^x", "where(x < 0, -x, x*(x > 1))",
                           "max(-x, 0) - min(x, -1)", "-(-x)", "x*1e+20", "1/(x + 1) - -2*x"}) {
    ir::ExprRef e = test::parseExpr(ctx, text);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(test::parseExpr(ctx, ir::print(e)), e) << text << " printed as " << ir::print(e);
  }
}

TEST(Sema, ActivationsInlineTheirCallees) {
  ir::ExprContext ctx;
  Module module = test::loadModule(ctx, R"(
    activation swish(x; learnable beta = 1.0) = x * sigmoid(beta * x);
    activation silu(t) = swish(t, beta = 1);
    activation swish2(z) = swish(z, 2);
    activation twice(x) = 2 * later(x);        # declared below: order does not matter
    activation later(u) = u + 1;
    activation double_prelu(x) = 2 * prelu(x) + prelu(-x);
    activation prelu(x; learnable a = 0.25) = where(x > 0, x, a * x);
  )");
  ASSERT_EQ(module.activations.size(), 7u);
  EXPECT_EQ(ir::print(module.activation("silu")->body), "t*sigmoid(1*t)");
  EXPECT_EQ(ir::print(module.activation("swish2")->body), "z*sigmoid(2*z)");
  EXPECT_EQ(ir::print(module.activation("twice")->body), "2*(x + 1)");
  // prelu's learnable slope becomes one learnable parameter of the caller.
  const ActivationDef* doubled = module.activation("double_prelu");
  ASSERT_EQ(doubled->parameters.size(), 1u);
  EXPECT_EQ(doubled->parameters[0].name, "a");
  EXPECT_TRUE(doubled->parameters[0].learnable);
  EXPECT_EQ(doubled->parameters[0].defaultValue, 0.25);
  EXPECT_EQ(ir::print(doubled->body), "2*where(x > 0, x, a*x) + where(-x > 0, -x, a*(-x))");
  EXPECT_EQ(module.activation("swish")->parameters[0].learnable, true);
}

TEST(Sema, ParameterDefaultsAreConstantExpressions) {
  ir::ExprContext ctx;
  Module module = test::loadModule(ctx, "activation g(x; c = sqrt(2 / pi), d = -1e-3) = c*x + d;");
  ASSERT_EQ(module.activations.size(), 1u);
  EXPECT_DOUBLE_EQ(module.activations[0].parameters[0].defaultValue, std::sqrt(2 / std::numbers::pi));
  EXPECT_DOUBLE_EQ(module.activations[0].parameters[1].defaultValue, -1e-3);
}

TEST(Sema, BuiltinsCanBeReexported) {
  ir::ExprContext ctx;
  Module module = test::loadModule(ctx, "activation tanh(x) = tanh(x);\nactivation f(x) = 2*tanh(x);");
  ASSERT_EQ(module.activations.size(), 2u);
  EXPECT_EQ(ir::print(module.activation("f")->body), "2*tanh(x)");
}

struct ErrorCase {
  const char* source;
  const char* expected;  // the whole rendered diagnostics
};

class FormulaErrors : public ::testing::TestWithParam<ErrorCase> {};
TEST_P(FormulaErrors, Message) { EXPECT_EQ(test::formulaErrors(GetParam().source), GetParam().expected); }

INSTANTIATE_TEST_SUITE_P(
    Catalogue, FormulaErrors,
    ::testing::Values(
        ErrorCase{"x*sigmod(x)",
                  "<formula>:1:3: error: unknown function 'sigmod'; did you mean 'sigmoid'?\n  x*sigmod(x)\n    ^~~~~~\n"},
        ErrorCase{"(x + 1", "<formula>:1:7: error: expected ')' before end of input\n  (x + 1\n        ^\n"},
        ErrorCase{"x + 1)", "<formula>:1:6: error: expected end of input, found ')'\n  x + 1)\n       ^\n"},
        ErrorCase{"", "<formula>:1:1: error: expected an expression, found end of input\n  \n  ^\n"},
        ErrorCase{"x +", "<formula>:1:4: error: expected an expression, found end of input\n  x +\n     ^\n"},
        ErrorCase{"max(x)", "<formula>:1:1: error: 'max' takes 2 arguments, but 1 was given\n  max(x)\n  ^~~\n"},
        ErrorCase{"exp(x, 2)", "<formula>:1:1: error: 'exp' takes 1 argument, but 2 were given\n  exp(x, 2)\n  ^~~\n"},
        ErrorCase{"exp(y = x)",
                  "<formula>:1:5: error: built-in function 'exp' takes no named arguments\n  exp(y = x)\n      ^\n"},
        ErrorCase{"sigmoid + 1",
                  "<formula>:1:1: error: 'sigmoid' is a function; call it as sigmoid(...)\n  sigmoid + 1\n  ^~~~~~~\n"},
        ErrorCase{"1e999 * x", "<formula>:1:1: error: number '1e999' is too large for a double\n  1e999 * x\n  ^~~~~\n"},
        ErrorCase{"x @ 2", "<formula>:1:3: error: unexpected character '@'\n  x @ 2\n    ^\n"},
        ErrorCase{"1e999 + 2e999",
                  "<formula>:1:1: error: number '1e999' is too large for a double\n  1e999 + 2e999\n  ^~~~~\n"
                  "<formula>:1:9: error: number '2e999' is too large for a double\n  1e999 + 2e999\n"
                  "          ^~~~~\n"},
        ErrorCase{"x < 1 < 2", "<formula>:1:7: error: expected end of input, found '<'\n  x < 1 < 2\n        ^\n"},
        ErrorCase{"exq(x) + sinhh(x)",
                  "<formula>:1:1: error: unknown function 'exq'; did you mean 'exp'?\n  exq(x) + sinhh(x)\n  ^~~\n"
                  "<formula>:1:10: error: unknown function 'sinhh'; did you mean 'sinh'?\n  exq(x) + sinhh(x)\n"
                  "           ^~~~~\n"}));

class FileErrors : public ::testing::TestWithParam<ErrorCase> {};
TEST_P(FileErrors, Message) { EXPECT_EQ(test::fileErrors(GetParam().source), GetParam().expected); }

INSTANTIATE_TEST_SUITE_P(
    Catalogue, FileErrors,
    ::testing::Values(
        ErrorCase{"activation f(x) = x + y;",
                  "test.nn:1:23: error: unknown name 'y'; did you mean 'x'?\n  activation f(x) = x + y;\n"
                  "                        ^\n"},
        ErrorCase{"activation f(x; slope = 1) = x * slop;",
                  "test.nn:1:34: error: unknown name 'slop'; did you mean 'slope'?\n"
                  "  activation f(x; slope = 1) = x * slop;\n                                   ^~~~\n"},
        ErrorCase{"activation a(x) = b(x);\nactivation b(x) = a(x);",
                  "test.nn:2:19: error: activation 'a' calls itself (a -> b -> a); activations cannot be "
                  "recursive\n  activation b(x) = a(x);\n                    ^\n"},
        ErrorCase{"activation f(x) = x;\nactivation f(x) = 2*x;",
                  "test.nn:2:12: error: activation 'f' is defined twice\n  activation f(x) = 2*x;\n"
                  "             ^\ntest.nn:1:12: note: first definition is here\n  activation f(x) = x;\n"
                  "             ^\n"},
        ErrorCase{"activation exp(x) = x;",
                  "test.nn:1:12: error: 'exp' is a built-in function and cannot be redefined (only re-exported: "
                  "activation exp(x) = exp(x);)\n  activation exp(x) = x;\n             ^~~\n"},
        ErrorCase{"activation f(x; c = x) = c*x;",
                  "test.nn:1:21: error: unknown name 'x' (a default value may only use numbers, pi and built-in functions)\n"
                  "  activation f(x; c = x) = c*x;\n                      ^\n"},
        ErrorCase{"activation f(x; c = 1, c = 2) = c*x;",
                  "test.nn:1:24: error: parameter 'c' is already defined in 'f'\n"
                  "  activation f(x; c = 1, c = 2) = c*x;\n                         ^\n"},
        ErrorCase{"activation s(x; beta = 1) = x*beta;\nactivation f(x) = s(x, bta = 2);",
                  "test.nn:2:24: error: 's' has no parameter named 'bta'; did you mean 'beta'?\n"
                  "  activation f(x) = s(x, bta = 2);\n                         ^~~\n"},
        ErrorCase{"activation s(x; beta = 1) = x*beta;\nactivation f(x) = s(x, 1, 2);",
                  "test.nn:2:27: error: too many arguments to 's': it takes an input and 1 parameter\n"
                  "  activation f(x) = s(x, 1, 2);\n                            ^\n"},
        ErrorCase{"activation s(x; beta = 1) = x*beta;\nactivation f(x) = s(x, 2, beta = 3);",
                  "test.nn:2:27: error: parameter 'beta' of 's' is given twice\n"
                  "  activation f(x) = s(x, 2, beta = 3);\n                            ^~~~\n"},
        ErrorCase{"activation f(x) = x\nactivation g(x) = x;",
                  "test.nn:2:1: error: expected ';' before 'activation'\n  activation g(x) = x;\n  ^~~~~~~~~~\n"},
        ErrorCase{"activation f(x) = sigmod(x);\nactivation g(x) = x + z;",
                  "test.nn:1:19: error: unknown function 'sigmod'; did you mean 'sigmoid'?\n"
                  "  activation f(x) = sigmod(x);\n                    ^~~~~~\n"
                  "test.nn:2:23: error: unknown name 'z'; did you mean 'x'?\n  activation g(x) = x + z;\n"
                  "                        ^\n"},
        ErrorCase{"activation f(x) = x*1e999;\nactivation g(x) = tahn(x);",
                  "test.nn:1:21: error: number '1e999' is too large for a double\n"
                  "  activation f(x) = x*1e999;\n                      ^~~~~\n"
                  "test.nn:2:19: error: unknown function 'tahn'; did you mean 'tanh'?\n"
                  "  activation g(x) = tahn(x);\n                    ^~~~\n"},
        ErrorCase{"activation f(x) = x; /* not closed",
                  "test.nn:1:22: error: unterminated /* comment\n  activation f(x) = x; /* not closed\n"
                  "                       ^~~~~~~~~~~~~\n"},
        ErrorCase{"activation f(x; a) = a*x;",
                  "test.nn:1:18: error: expected '=', found ')'\n  activation f(x; a) = a*x;\n                   ^\n"},
        ErrorCase{"activation f(x; pi = 1) = pi*x;",
                  "test.nn:1:17: error: 'pi' is a built-in constant and cannot name a parameter\n"
                  "  activation f(x; pi = 1) = pi*x;\n                  ^~\n"},
        ErrorCase{"activation max(x) = x;",
                  "test.nn:1:12: error: 'max' is a built-in function and cannot be redefined\n"
                  "  activation max(x) = x;\n             ^~~\n"},
        ErrorCase{"activation f(x) = x;\n\xff", "test.nn:2:1: error: invalid UTF-8 byte 0xff; nnc reads UTF-8 text\n  ?\n  ^\n"}));

TEST(Parser, RefusesInputThatWouldExhaustTheStack) {
  std::string deep = std::string(300, '(') + "x" + std::string(300, ')');
  EXPECT_NE(test::formulaErrors(deep).find("expression nested more than 200 deep"), std::string::npos);
  std::string longSum = "x";
  for (int i = 0; i < 6000; ++i) longSum += "+x";
  EXPECT_NE(test::formulaErrors(longSum).find("formula too long: more than 5000 tokens"), std::string::npos);
  EXPECT_NE(test::formulaErrors(std::string(300, '-') + "x").find("nested more than 200 deep"), std::string::npos);
  std::string tower = "x";
  for (int i = 0; i < 300; ++i) tower += "^x";
  EXPECT_NE(test::formulaErrors(tower).find("nested more than 200 deep"), std::string::npos);
  // Just under the limits is fine.
  EXPECT_EQ(test::formulaErrors(std::string(150, '(') + "x" + std::string(150, ')')), "");
}

}  // namespace
}  // namespace nnc::frontend
