#pragma once
// What a checked .nn file defines, in Expr IR form.
#include <string>
#include <string_view>
#include <vector>

#include "ir/Expr.h"
#include "support/SourceBuffer.h"

namespace nnc::frontend {

struct ParameterDef {
  std::string name;
  double defaultValue = 0;
  bool learnable = false;
  SourceRange range;
};

// activation NAME(INPUT, OTHER_INPUTS; PARAMETERS) = BODY, with calls to
// other activations inlined: `body` mentions only Var(input), the other
// inputs and Var(parameter). An activation of several inputs is a gate
// (swiglu(a, b) = swish(a) * b): it applies to values, not as a layer's.
struct ActivationDef {
  std::string name;
  std::string input;
  std::vector<std::string> otherInputs;
  std::vector<ParameterDef> parameters;
  ir::ExprRef body = nullptr;
  SourceRange nameRange;

  const ParameterDef* parameter(std::string_view n) const {
    for (const ParameterDef& p : parameters)
      if (p.name == n) return &p;
    return nullptr;
  }
};

struct Module {
  std::vector<ActivationDef> activations;

  const ActivationDef* activation(std::string_view name) const {
    for (const ActivationDef& a : activations)
      if (a.name == name) return &a;
    return nullptr;
  }
};

}  // namespace nnc::frontend
