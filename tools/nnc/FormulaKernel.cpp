#include "tools/nnc/FormulaKernel.h"

#include <fmt/format.h>

#include "ir/Diff.h"
#include "runtime/AlignedBuffer.h"

namespace nnc::cli {

std::optional<FormulaKernel> FormulaKernel::compile(backend::FormulaJIT& jit, ir::ExprContext& ctx,
                                                    ir::ExprRef formula, const std::string& variable, int order,
                                                    std::string& error) {
  ir::Derivatives derivatives = ir::derivatives(ctx, formula, variable, order);
  if (!derivatives.error.empty()) {
    error = derivatives.error;
    return std::nullopt;
  }
  backend::KernelSpec spec;
  spec.outputs = derivatives.orders;
  spec.inputs = {variable};
  spec.type = backend::ElementType::F64;
  backend::KernelResult compiled = jit.compile(spec);
  if (!compiled.kernel) {
    error = compiled.error;
    return std::nullopt;
  }
  FormulaKernel result;
  result.outputs_ = std::move(derivatives.orders);
  result.kernel_ = std::move(compiled.kernel);
  return result;
}

std::vector<std::vector<double>> FormulaKernel::evaluate(const std::vector<double>& xs) const {
  runtime::AlignedBuffer<double> x(xs.size());
  std::copy(xs.begin(), xs.end(), x.data());
  std::vector<runtime::AlignedBuffer<double>> outputs;
  std::vector<double*> outputPointers;
  for (size_t k = 0; k < outputs_.size(); ++k) {
    outputs.emplace_back(xs.size());
    outputPointers.push_back(outputs.back().data());
  }
  const double* inputs[] = {x.data()};
  int64_t n = static_cast<int64_t>(xs.size());
  kernel_->run(backend::KernelArgs<double>{1, n, n, inputs, nullptr, outputPointers.data(), nullptr});
  std::vector<std::vector<double>> values;
  for (const runtime::AlignedBuffer<double>& o : outputs) values.emplace_back(o.data(), o.data() + xs.size());
  return values;
}

std::string derivativeLabel(const std::string& name, const std::string& variable, size_t order) {
  if (order <= 2) return fmt::format("{}{}({})", name, std::string(order, '\''), variable);
  return fmt::format("{}^({})({})", name, order, variable);
}

}  // namespace nnc::cli
