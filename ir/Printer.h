#pragma once
// Prints formulas in the input syntax with the fewest parentheses that keep
// the structure, so printed output parses back to the same Expr.
#include <string>

#include "ir/Expr.h"

namespace nnc::ir {

std::string print(ExprRef e);
// How a constant prints: shortest text that reads back exactly; `pi` for pi.
std::string printNumber(double value);

}  // namespace nnc::ir
