#pragma once
// Evaluates formulas in double precision: the oracle that the JIT and the
// derivatives are tested against. Each shared node is computed once.
#include <span>
#include <string>
#include <vector>

#include "ir/Expr.h"

namespace nnc::ir {

class Interpreter {
public:
  // `inputs` names the Vars, in the order their values are passed to run().
  // Every Var in `outputs` must be named there (see freeVariables()).
  Interpreter(std::span<const ExprRef> outputs, std::vector<std::string> inputs);

  // Writes one value per output.
  void run(std::span<const double> inputValues, std::span<double> results) const;
  double run1(std::span<const double> inputValues) const;

private:
  struct Step {
    Op op;
    double value;             // Const
    int input = -1;           // Var: index into inputValues
    std::array<int, 3> args;  // indices of earlier steps
  };
  std::vector<Step> steps_;
  std::vector<int> outputSteps_;
  mutable std::vector<double> scratch_;
};

// Names of the Vars in `e`, sorted.
std::vector<std::string> freeVariables(ExprRef e);

}  // namespace nnc::ir
