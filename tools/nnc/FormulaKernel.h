#pragma once
// A formula of one variable and its derivatives, JIT-compiled into one
// double-precision kernel and evaluated at points: what the REPL and
// `nnc plot` draw and print. Parameters must already be bound (substituted).
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backend/FormulaJIT.h"
#include "ir/Expr.h"

namespace nnc::cli {

class FormulaKernel {
public:
  // Compiles `formula` and its derivatives up to `order` in `variable`;
  // nullopt and `error` set when differentiating or compiling fails.
  static std::optional<FormulaKernel> compile(backend::FormulaJIT& jit, ir::ExprContext& ctx, ir::ExprRef formula,
                                              const std::string& variable, int order, std::string& error);

  // values[k][i]: derivative k at xs[i].
  std::vector<std::vector<double>> evaluate(const std::vector<double>& xs) const;
  double evaluate(double x, size_t k = 0) const { return evaluate(std::vector<double>{x})[k][0]; }

  // The simplified formulas: [0] the formula, [k] its k-th derivative.
  const std::vector<ir::ExprRef>& outputs() const { return outputs_; }
  const backend::Kernel& kernel() const { return *kernel_; }

private:
  std::vector<ir::ExprRef> outputs_;
  std::shared_ptr<backend::Kernel> kernel_;
};

// The name of a derivative for labels: f(x), f'(x), f''(x), f^(3)(x).
std::string derivativeLabel(const std::string& name, const std::string& variable, size_t order);

}  // namespace nnc::cli
