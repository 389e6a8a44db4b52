// nnc eval: evaluate a formula and its derivatives at points, through the JIT.
#include <cmath>

#include <fmt/format.h>

#include "backend/FormulaJIT.h"
#include "ir/Diff.h"
#include "runtime/AlignedBuffer.h"
#include "tools/nnc/Commands.h"
#include "tools/nnc/FormulaInput.h"
#include "tools/nnc/NumberFormat.h"

namespace nnc::cli {

namespace {

const char* kUsage =
    "usage: nnc eval FORMULA --at=V1,V2,... [--order N] [--f64] [--param NAME=VALUE]...\n"
    "       nnc eval --file F.nn --act NAME --at=... [options]\n"
    "       nnc eval FORMULA --emit=llvm [--order N]\n"
    "\n"
    "Evaluates FORMULA and its first N derivatives at each point with JIT-compiled\n"
    "native code (float32 unless --f64). Prints one line per point: the point,\n"
    "then f, f', ..., f^(N), with 9 significant digits.\n\n";

std::vector<OptionSpec> evalOptions() {
  std::vector<OptionSpec> specs = formulaOptions();
  specs.push_back({"at", "V1,V2,...", "the points to evaluate at"});
  specs.push_back({"f64", "", "compute in double precision"});
  specs.push_back({"emit", "llvm", "print the optimised LLVM IR of the kernel instead"});
  specs.push_back({"help", "", "show this help"});
  return specs;
}

std::optional<std::vector<double>> parsePoints(const std::string& text, Diagnostics& diags) {
  if (text.empty()) {
    diags.error("--at needs at least one point, e.g. --at=-1,0,1");
    return std::nullopt;
  }
  std::vector<double> points;
  size_t errorsBefore = diags.errorCount();
  size_t start = 0;
  while (true) {
    size_t comma = text.find(',', start);
    std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (auto value = parseReal("--at", item, diags)) points.push_back(*value);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (diags.errorCount() != errorsBefore) return std::nullopt;
  return points;
}

template <typename T>
std::vector<std::vector<double>> evaluate(const backend::Kernel& kernel, const std::vector<double>& points,
                                          const std::vector<double>& parameterValues, size_t outputCount) {
  runtime::AlignedBuffer<T> x(points.size());
  for (size_t i = 0; i < points.size(); ++i) x[i] = static_cast<T>(points[i]);
  std::vector<T> params(parameterValues.begin(), parameterValues.end());
  std::vector<runtime::AlignedBuffer<T>> outputs;
  std::vector<T*> outputPointers;
  for (size_t k = 0; k < outputCount; ++k) {
    outputs.emplace_back(points.size());
    outputPointers.push_back(outputs.back().data());
  }
  std::vector<const T*> parameterPointers;
  for (const T& p : params) parameterPointers.push_back(&p);
  const T* inputs[] = {x.data()};
  int64_t n = static_cast<int64_t>(points.size());
  kernel.run(backend::KernelArgs<T>{1, n, n, inputs, parameterPointers.data(), outputPointers.data(), nullptr});
  std::vector<std::vector<double>> rows(points.size());
  for (size_t i = 0; i < points.size(); ++i)
    for (size_t k = 0; k < outputCount; ++k) rows[i].push_back(static_cast<double>(outputs[k][i]));
  return rows;
}

}  // namespace

int runEval(const Args& args, std::ostream& out, std::ostream& err) {
  Diagnostics diags;
  ir::ExprContext ctx;
  std::vector<OptionSpec> specs = evalOptions();
  FormulaRequest request = parseFormulaRequest("eval", specs, args, 0, ctx, diags);
  if (request.wantsHelp()) {
    out << kUsage << formatOptionsHelp(specs);
    return 0;
  }
  if (request.input && !request.input->otherVariables.empty())
    diags.error(fmt::format("'{}' is a gate of {} inputs; nnc eval evaluates functions of one input (nnc grad "
                            "differentiates it in each)",
                            request.options->get("act").value_or("the activation"),
                            request.input->otherVariables.size() + 1));
  std::optional<std::vector<double>> points;
  bool emitLLVM = false;
  if (request.options) {
    std::optional<std::string> emit = request.options->get("emit");
    if (emit) {
      if (*emit == "llvm") emitLLVM = true;
      else diags.error(fmt::format("--emit={} is not supported by eval; use --emit=llvm", *emit));
    }
    if (auto at = request.options->get("at")) points = parsePoints(*at, diags);
    else if (!emit) diags.error("nothing to evaluate: give points with --at=V1,V2,...");
  }
  std::vector<double> parameterValues;
  std::vector<std::string> parameterNames;
  if (request.input) {
    for (const FormulaParameter& p : request.input->parameters) {
      if (!p.value) {
        diags.error(request.input->formulaSource, p.range,
                    fmt::format("parameter '{}' has no value; bind it with --param {}=VALUE", p.name, p.name));
        continue;
      }
      parameterNames.push_back(p.name);
      parameterValues.push_back(*p.value);
    }
  }
  if (diags.hasErrors() || !request.complete()) {
    return failWith(err, diags);
  }
  FormulaInput& input = *request.input;

  ir::Derivatives derivatives = ir::derivatives(ctx, input.expr, *request.variable, static_cast<int>(*request.order));
  if (!derivatives.error.empty()) {
    diags.error(derivatives.error);
    return failWith(err, diags);
  }
  backend::KernelSpec spec;
  spec.outputs = derivatives.orders;
  spec.inputs = {input.variable};
  for (const std::string& name : parameterNames) spec.parameters.push_back({name});
  spec.type = request.options->has("f64") ? backend::ElementType::F64 : backend::ElementType::F32;

  std::string error;
  std::unique_ptr<backend::FormulaJIT> jit = backend::FormulaJIT::create(error);
  if (!jit) {
    diags.error(error);
    return failWith(err, diags);
  }
  backend::KernelResult compiled = jit->compile(spec);
  if (!compiled.kernel) {
    diags.error(compiled.error);
    return failWith(err, diags);
  }
  if (emitLLVM) {
    out << compiled.kernel->llvmIR();
    return 0;
  }
  std::vector<std::vector<double>> rows =
      spec.type == backend::ElementType::F32
          ? evaluate<float>(*compiled.kernel, *points, parameterValues, spec.outputs.size())
          : evaluate<double>(*compiled.kernel, *points, parameterValues, spec.outputs.size());
  for (size_t i = 0; i < points->size(); ++i) {
    std::string line = formatNumber((*points)[i]);
    for (double v : rows[i]) {
      line += ' ';
      line += formatNumber(v);
    }
    out << line << "\n";
  }
  return 0;
}

}  // namespace nnc::cli
