#include "interop/OnnxFormulas.h"

#include <stdexcept>

namespace nnc::interop {

std::string FormulaLowering::lower(ir::ExprRef formula, const std::string& name) {
  std::string tensor = asFloat(lowerNode(formula));
  if (name.empty() || !nodes_.renameLast(tensor, name)) return tensor;
  // Later formulas may read the same subformula: they find the new name.
  for (auto& [expr, lowered] : lowered_)
    if (lowered.tensor == tensor) lowered.tensor = name;
  for (auto& [comparison, cast] : castToFloat_)
    if (cast == tensor) cast = name;
  return name;
}

std::string FormulaLowering::op(const char* type, std::vector<std::string> inputs) {
  return OnnxNodeList::output(nodes_.add(type, inputs));
}

std::string FormulaLowering::asFloat(const Lowered& value) {
  if (!value.boolean) return value.tensor;
  auto [it, added] = castToFloat_.try_emplace(value.tensor);
  if (!added) return it->second;
  onnx::NodeProto& cast = nodes_.add("Cast", {value.tensor});
  setAttribute(cast, "to", int64_t{onnx::TensorProto::FLOAT});
  return it->second = OnnxNodeList::output(cast);
}

// where(c, ...) takes c as true when it is not 0 (a NaN is true).
std::string FormulaLowering::asBool(const Lowered& value) {
  if (value.boolean) return value.tensor;
  return op("Not", {op("Equal", {value.tensor, nodes_.constant(0.0f)})});
}

// expm1(x) = e^x - 1. Near 0, where e^x - 1 loses its digits, Kahan's
// (u - 1) * x / log(u) with u = e^x recovers them (u == 1: x itself).
std::string FormulaLowering::expm1(const std::string& x) {
  std::string u = op("Exp", {x});
  std::string uMinusOne = op("Sub", {u, nodes_.constant(1.0f)});
  std::string kahan = op("Div", {op("Mul", {uMinusOne, x}), op("Log", {u})});
  std::string nearZero = op("Where", {op("Equal", {u, nodes_.constant(1.0f)}), x, kahan});
  return op("Where", {op("Less", {op("Abs", {x}), nodes_.constant(0.5f)}), nearZero, uMinusOne});
}

// log1p(x) = log(1 + x); near 0, log(u) * x / (u - 1) with u = 1 + x.
std::string FormulaLowering::log1p(const std::string& x) {
  std::string u = op("Add", {nodes_.constant(1.0f), x});
  std::string logU = op("Log", {u});
  std::string kahan = op("Div", {op("Mul", {logU, x}), op("Sub", {u, nodes_.constant(1.0f)})});
  std::string nearZero = op("Where", {op("Equal", {u, nodes_.constant(1.0f)}), x, kahan});
  return op("Where", {op("Less", {op("Abs", {x}), nodes_.constant(0.5f)}), nearZero, logU});
}

// sigmoid(u) = 1 / (1 + e^-u) for u >= 0, else e^u / (1 + e^u): e^-|u|
// never overflows, and the tail keeps its digits (ONNX Runtime's Sigmoid
// gives 0 for sigmoid(-35) = 6.3e-16).
std::string FormulaLowering::sigmoid(const std::string& u) {
  std::string e = op("Exp", {op("Neg", {op("Abs", {u})})});
  std::string ofMagnitude = op("Reciprocal", {op("Add", {nodes_.constant(1.0f), e})});
  return op("Where", {op("GreaterOrEqual", {u, nodes_.constant(0.0f)}), ofMagnitude, op("Mul", {e, ofMagnitude})});
}

// softplus(u) = max(u, 0) + log1p(e^-|u|): no overflow, and the tail
// (softplus(-35) = 6.3e-16) is not rounded to 0 as log(1 + e^u) is.
std::string FormulaLowering::softplus(const std::string& u) {
  std::string zero = nodes_.constant(0.0f);
  std::string positivePart = op("Where", {op("Less", {u, zero}), zero, u});
  return op("Add", {positivePart, log1p(op("Exp", {op("Neg", {op("Abs", {u})})}))});
}

FormulaLowering::Lowered FormulaLowering::lowerNode(ir::ExprRef e) {
  if (auto it = lowered_.find(e); it != lowered_.end()) return it->second;
  std::vector<Lowered> operands;
  for (ir::ExprRef operand : e->operands()) operands.push_back(lowerNode(operand));
  auto number = [&](size_t i) { return asFloat(operands[i]); };
  auto unary = [&](const char* type) { return Lowered{op(type, {number(0)})}; };
  auto binary = [&](const char* type) { return Lowered{op(type, {number(0), number(1)})}; };
  auto compare = [&](const char* type) { return Lowered{op(type, {number(0), number(1)}), true}; };
  Lowered result;
  switch (e->op()) {
    case ir::Op::Const: result = {nodes_.constant(static_cast<float>(e->value()))}; break;
    case ir::Op::Var: {
      auto it = tensors_.find(e->name());
      if (it == tensors_.end()) throw std::logic_error("ONNX export: no tensor holds the formula's variable " + e->name());
      result = {it->second};
      break;
    }
    case ir::Op::Add: result = binary("Add"); break;
    case ir::Op::Sub: result = binary("Sub"); break;
    case ir::Op::Mul: result = binary("Mul"); break;
    case ir::Op::Div: result = binary("Div"); break;
    case ir::Op::Pow: result = binary("Pow"); break;
    case ir::Op::Neg: result = unary("Neg"); break;
    case ir::Op::Lt: result = compare("Less"); break;
    case ir::Op::Le: result = compare("LessOrEqual"); break;
    case ir::Op::Gt: result = compare("Greater"); break;
    case ir::Op::Ge: result = compare("GreaterOrEqual"); break;
    case ir::Op::Eq: result = compare("Equal"); break;
    case ir::Op::Ne: result = {op("Not", {op("Equal", {number(0), number(1)})}), true}; break;
    case ir::Op::Exp: result = unary("Exp"); break;
    case ir::Op::Expm1: result = {expm1(number(0))}; break;
    case ir::Op::Log: result = unary("Log"); break;
    case ir::Op::Log1p: result = {log1p(number(0))}; break;
    case ir::Op::Sqrt: result = unary("Sqrt"); break;
    case ir::Op::Abs: result = unary("Abs"); break;
    case ir::Op::Sign: result = unary("Sign"); break;
    case ir::Op::Sin: result = unary("Sin"); break;
    case ir::Op::Cos: result = unary("Cos"); break;
    case ir::Op::Tanh: result = unary("Tanh"); break;
    case ir::Op::Sinh: result = unary("Sinh"); break;
    case ir::Op::Cosh: result = unary("Cosh"); break;
    case ir::Op::Erf: result = unary("Erf"); break;
    case ir::Op::Sigmoid: result = {sigmoid(number(0))}; break;
    case ir::Op::Softplus: result = {softplus(number(0))}; break;
    // max(a, b) = a < b ? b : a, min(a, b) = b < a ? b : a.
    case ir::Op::Max: {
      std::string a = number(0), b = number(1);
      result = {op("Where", {op("Less", {a, b}), b, a})};
      break;
    }
    case ir::Op::Min: {
      std::string a = number(0), b = number(1);
      result = {op("Where", {op("Less", {b, a}), b, a})};
      break;
    }
    case ir::Op::Where: {
      std::string condition = asBool(operands[0]);
      result = {op("Where", {condition, number(1), number(2)})};
      break;
    }
  }
  return lowered_[e] = result;
}

}  // namespace nnc::interop
