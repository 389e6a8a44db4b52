#include "ir/Interpreter.h"

#include <algorithm>
#include <cassert>
#include <set>
#include <unordered_map>

#include "ir/Semantics.h"

namespace nnc::ir {

Interpreter::Interpreter(std::span<const ExprRef> outputs, std::vector<std::string> inputs) {
  std::unordered_map<ExprRef, int> stepOf;
  // Iterative post-order so deep formulas cannot exhaust the stack.
  for (ExprRef root : outputs) {
    std::vector<std::pair<ExprRef, bool>> stack{{root, false}};
    while (!stack.empty()) {
      auto [e, operandsDone] = stack.back();
      stack.pop_back();
      if (stepOf.count(e)) continue;
      if (!operandsDone) {
        stack.push_back({e, true});
        for (ExprRef operand : e->operands()) stack.push_back({operand, false});
        continue;
      }
      Step step{e->op(), e->isConst() ? e->value() : 0, -1, {-1, -1, -1}};
      if (e->isVar()) {
        auto found = std::find(inputs.begin(), inputs.end(), e->name());
        assert(found != inputs.end() && "unbound variable in Interpreter");
        step.input = static_cast<int>(found - inputs.begin());
      }
      for (size_t i = 0; i < e->numOperands(); ++i) step.args[i] = stepOf.at(e->operand(i));
      stepOf[e] = static_cast<int>(steps_.size());
      steps_.push_back(step);
    }
    outputSteps_.push_back(stepOf.at(root));
  }
  scratch_.resize(steps_.size());
}

void Interpreter::run(std::span<const double> inputValues, std::span<double> results) const {
  for (size_t i = 0; i < steps_.size(); ++i) {
    const Step& s = steps_[i];
    if (s.op == Op::Const) {
      scratch_[i] = s.value;
    } else if (s.op == Op::Var) {
      scratch_[i] = inputValues[s.input];
    } else {
      double args[3];
      for (int k = 0; k < 3; ++k) args[k] = s.args[k] >= 0 ? scratch_[s.args[k]] : 0;
      scratch_[i] = applyOp(s.op, args);
    }
  }
  for (size_t k = 0; k < outputSteps_.size() && k < results.size(); ++k)
    results[k] = scratch_[outputSteps_[k]];
}

double Interpreter::run1(std::span<const double> inputValues) const {
  double result = 0;
  run(inputValues, {&result, 1});
  return result;
}

std::vector<std::string> freeVariables(ExprRef root) {
  std::set<std::string> names;
  std::set<ExprRef> seen;
  std::vector<ExprRef> stack{root};
  while (!stack.empty()) {
    ExprRef e = stack.back();
    stack.pop_back();
    if (!seen.insert(e).second) continue;
    if (e->isVar()) names.insert(e->name());
    for (ExprRef operand : e->operands()) stack.push_back(operand);
  }
  return {names.begin(), names.end()};
}

}  // namespace nnc::ir
