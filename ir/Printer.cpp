#include "ir/Printer.h"

#include <cmath>
#include <numbers>

#include <fmt/format.h>

namespace nnc::ir {

namespace {

constexpr int kUnaryPrecedence = 3;
constexpr int kPowPrecedence = 4;
constexpr int kAtomPrecedence = 5;

bool isNegativeConst(ExprRef e) { return e->isConst() && e->value() < 0; }
bool printsAsUnaryMinus(ExprRef e) { return e->op() == Op::Neg || isNegativeConst(e); }

int precedence(ExprRef e) {
  if (isNegativeConst(e)) return kUnaryPrecedence;
  return e->info().precedence;
}

class Printer {
public:
  std::string print(ExprRef e) {
    switch (e->info().kind) {
      case OpKind::Leaf:
        return e->isConst() ? printNumber(e->value()) : e->name();
      case OpKind::Prefix: {
        // `-(-x)` rather than `--x`, which reads like a decrement.
        ExprRef a = e->operand(0);
        bool parens = precedence(a) < kUnaryPrecedence || printsAsUnaryMinus(a);
        return e->info().spelling + wrap(a, parens);
      }
      case OpKind::Compare: {
        std::string lhs = wrap(e->operand(0), precedence(e->operand(0)) <= 0);
        std::string rhs = wrap(e->operand(1), precedence(e->operand(1)) <= 0);
        return fmt::format("{} {} {}", lhs, e->info().spelling, rhs);
      }
      case OpKind::Infix:
        return printInfix(e);
      case OpKind::Function: {
        std::string out = std::string(e->info().spelling) + "(";
        for (size_t i = 0; i < e->numOperands(); ++i) {
          if (i) out += ", ";
          out += print(e->operand(i));
        }
        return out + ")";
      }
    }
    return "?";
  }

private:
  std::string wrap(ExprRef e, bool parens) {
    if (!parens) return print(e);
    // Appending (not "(" + ...) sidesteps a GCC 12 -Wrestrict false positive.
    std::string out = "(";
    out += print(e);
    out += ')';
    return out;
  }

  std::string printInfix(ExprRef e) {
    ExprRef a = e->operand(0), b = e->operand(1);
    int p = e->info().precedence;
    if (e->op() == Op::Pow) {
      // Right-associative; the base must be an atom (`(-x)^2`, `(x^2)^3`),
      // the exponent may be any unary expression (`x^-2`, `x^y^z`).
      bool baseParens = precedence(a) < kAtomPrecedence;
      bool exponentParens = precedence(b) < kUnaryPrecedence;
      return wrap(a, baseParens) + "^" + wrap(b, exponentParens);
    }
    // Left-associative: an equal-precedence right operand keeps its
    // parentheses so `a - (b - c)` and `a/(b*c)` survive a round trip.
    bool lhsParens = precedence(a) < p;
    bool rhsParens = precedence(b) <= p || printsAsUnaryMinus(b);
    const char* spelling = e->info().spelling;
    bool spaced = p == 1;  // `a + b`, but `a*b`
    return wrap(a, lhsParens) + (spaced ? fmt::format(" {} ", spelling) : spelling) +
           wrap(b, rhsParens);
  }
};

}  // namespace

std::string printNumber(double value) {
  if (value == std::numbers::pi) return "pi";
  if (std::isnan(value)) return "(0/0)";
  if (std::isinf(value)) return value > 0 ? "(1/0)" : "(-1/0)";
  return fmt::format("{}", value);
}

std::string print(ExprRef e) { return Printer().print(e); }

}  // namespace nnc::ir
