#pragma once
// Formulas (the Expr IR) as ONNX nodes of opset 17. Each op becomes the
// primitive ops that compute nnc's definition of it (ir/Semantics.h), not
// merely ONNX's op of the same name where the two differ: max and min keep
// a NaN in their first operand, where() takes any non-zero number as true,
// a comparison is 1 or 0 in arithmetic, expm1 and log1p stay accurate near
// 0 (opset 17 has neither), and sigmoid and softplus keep their tails.
#include <map>
#include <string>
#include <unordered_map>

#include "interop/OnnxNodes.h"
#include "ir/Expr.h"

namespace nnc::interop {

class FormulaLowering {
public:
  // `tensors`: the tensor that holds each variable of the formulas.
  FormulaLowering(OnnxNodeList& nodes, std::map<std::string, std::string> tensors)
      : nodes_(nodes), tensors_(std::move(tensors)) {}

  // The float32 tensor that holds `formula`'s value, computed by nodes
  // added to the list (shared subformulas once). A variable without a
  // tensor is an internal error (std::logic_error).
  // `name`, if given and free, names that tensor when the formula's last
  // node makes it.
  std::string lower(ir::ExprRef formula, const std::string& name = "");

private:
  // A lowered subformula: comparisons give ONNX booleans, which become
  // floats only where arithmetic reads them.
  struct Lowered {
    std::string tensor;
    bool boolean = false;
  };
  Lowered lowerNode(ir::ExprRef e);
  std::string asFloat(const Lowered& value);
  std::string asBool(const Lowered& value);
  std::string op(const char* type, std::vector<std::string> inputs);
  std::string expm1(const std::string& x);
  std::string log1p(const std::string& x);
  std::string sigmoid(const std::string& u);
  std::string softplus(const std::string& u);

  OnnxNodeList& nodes_;
  std::map<std::string, std::string> tensors_;
  std::unordered_map<ir::ExprRef, Lowered> lowered_;
  std::map<std::string, std::string> castToFloat_;  // a comparison's tensor -> its 1/0 floats
};

}  // namespace nnc::interop
