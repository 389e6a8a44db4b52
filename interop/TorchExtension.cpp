#include "interop/TorchExtension.h"

#include <cctype>
#include <cmath>
#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "backend/AotCompiler.h"
#include "ir/Diff.h"
#include "ir/Printer.h"
#include "ir/Simplify.h"

namespace nnc::interop {

namespace {

// The variable the backward kernels read dy from: no .nn name has a '.'.
constexpr const char* kGradient = "nnc.dy";

// One activation as the extension sees it: its inputs, its learnable
// parameters, and its formula with the others' values put in.
struct ExportedActivation {
  const frontend::ActivationDef* def;
  std::vector<std::string> inputs;
  std::vector<const frontend::ParameterDef*> learnable;
  ir::ExprRef body;
  ir::ExprRef forward;
  std::vector<ir::ExprRef> inputGradients, parameterGradients;  // dy * the derivative
};

std::optional<ExportedActivation> prepare(ir::ExprContext& ctx, const frontend::ActivationDef& def,
                                          Diagnostics& diags) {
  ExportedActivation a{&def, {def.input}, {}, nullptr, nullptr, {}, {}};
  a.inputs.insert(a.inputs.end(), def.otherInputs.begin(), def.otherInputs.end());
  std::vector<ir::Binding> constants;
  for (const frontend::ParameterDef& p : def.parameters) {
    if (p.learnable) a.learnable.push_back(&p);
    else constants.push_back({p.name, ctx.constant(p.defaultValue)});
  }
  a.body = ir::copyInto(ctx, def.body);
  a.forward = ir::simplify(ctx, ir::substitute(ctx, a.body, constants));
  ir::ExprRef dy = ctx.var(kGradient);
  auto gradient = [&](const std::string& var) -> ir::ExprRef {
    ir::Derivatives d = ir::derivatives(ctx, a.forward, var, 1);
    if (!d.error.empty()) {
      diags.error(fmt::format("activation '{}': its derivative in {}: {}", def.name, var, d.error));
      return nullptr;
    }
    return ir::simplify(ctx, ctx.make(ir::Op::Mul, {dy, d.orders[1]}));
  };
  for (const std::string& input : a.inputs) a.inputGradients.push_back(gradient(input));
  for (const frontend::ParameterDef* p : a.learnable) a.parameterGradients.push_back(gradient(p->name));
  if (diags.hasErrors()) return std::nullopt;
  return a;
}

const char* typeName(backend::ElementType type) { return type == backend::ElementType::F32 ? "f32" : "f64"; }
const char* cType(backend::ElementType type) { return type == backend::ElementType::F32 ? "float" : "double"; }

std::string kernelName(const std::string& extension, const ExportedActivation& a, bool backward,
                       backend::ElementType type, bool perUnit) {
  // An activation without parameters has one kernel for both layouts.
  bool unit = perUnit && !a.learnable.empty();
  return fmt::format("{}_{}_{}_{}_{}", extension, a.def->name, backward ? "backward" : "forward", typeName(type),
                     unit ? "unit" : "layer");
}

// Every kernel of an activation, once each (one without parameters has
// one kernel for both layouts).
struct KernelVariant {
  std::string name;
  bool backward, perUnit;
  backend::ElementType type;
};
std::vector<KernelVariant> kernelVariants(const std::string& extension, const ExportedActivation& a) {
  std::vector<KernelVariant> variants;
  for (backend::ElementType type : {backend::ElementType::F32, backend::ElementType::F64})
    for (bool backward : {false, true})
      for (bool perUnit : {false, true}) {
        std::string name = kernelName(extension, a, backward, type, perUnit);
        bool seen = std::any_of(variants.begin(), variants.end(), [&](const KernelVariant& v) { return v.name == name; });
        if (!seen) variants.push_back({name, backward, perUnit, type});
      }
  return variants;
}

backend::KernelSpec kernelSpec(const ExportedActivation& a, bool backward, backend::ElementType type, bool perUnit) {
  backend::KernelSpec spec;
  spec.type = type;
  spec.inputs = a.inputs;
  for (const frontend::ParameterDef* p : a.learnable) spec.parameters.push_back({p->name, perUnit});
  if (!backward) {
    spec.outputs = {a.forward};
    return spec;
  }
  spec.inputs.push_back(kGradient);
  spec.outputs = a.inputGradients;
  spec.columnSums = a.parameterGradients;
  return spec;
}

std::vector<std::string> operandNames(const ExportedActivation& a) {
  std::vector<std::string> names = a.inputs;
  for (const frontend::ParameterDef* p : a.learnable) names.push_back(p->name);
  return names;
}

// The extern "C" declarations of an activation's kernels and their table.
std::string kernelTable(const std::string& extension, const ExportedActivation& a) {
  std::string out = "extern \"C\" {\n";
  for (const KernelVariant& v : kernelVariants(extension, a))
    out += fmt::format("void {}(int64_t, int64_t, int64_t, const {t}* const*, const {t}* const*, {t}* const*, "
                       "{t}* const*);\n", v.name, fmt::arg("t", cType(v.type)));
  out += "}\n\nnamespace {\n\n";
  auto kernels = [&](bool backward, backend::ElementType type) {
    return fmt::format("{{{}, {}}}", kernelName(extension, a, backward, type, false),
                       kernelName(extension, a, backward, type, true));
  };
  const std::string& act = a.def->name;
  out += fmt::format("const nnc_torch::Activation {}_kernels{{\"{}\", {}, {}, {}, {}, {}, {}}};\n\n", act, act,
                     a.inputs.size(), a.learnable.size(), kernels(false, backend::ElementType::F32),
                     kernels(true, backend::ElementType::F32), kernels(false, backend::ElementType::F64),
                     kernels(true, backend::ElementType::F64));
  return out;
}

// `names` split into the activation's inputs and its parameters, each as
// the braced list nnc_torch::forward and backward take.
std::pair<std::string, std::string> bracedOperands(const ExportedActivation& a, const std::vector<std::string>& names) {
  auto firstParameter = names.begin() + static_cast<long>(a.inputs.size());
  return {fmt::format("{{{}}}", fmt::join(names.begin(), firstParameter, ", ")),
          fmt::format("{{{}}}", fmt::join(firstParameter, names.end(), ", "))};
}

// The CPU operators (forward, backward) and the autograd function that
// saves only the operands.
std::string operators(const ExportedActivation& a) {
  const std::string& act = a.def->name;
  std::vector<std::string> operands = operandNames(a), declarations, saved, picks;
  for (size_t i = 0; i < operands.size(); ++i) {
    declarations.push_back("const at::Tensor& " + operands[i]);
    saved.push_back(fmt::format("saved[{}]", i));
    picks.push_back(fmt::format("g[{}]", i));
  }
  auto [inputs, params] = bracedOperands(a, operands);
  auto [savedInputs, savedParams] = bracedOperands(a, saved);
  std::vector<std::string> tensors(operands.size(), "at::Tensor");
  std::string results = tensors.size() == 1 ? "at::Tensor" : fmt::format("std::tuple<{}>", fmt::join(tensors, ", "));
  return fmt::format(
      "at::Tensor {act}_cpu({decl}) {{ return nnc_torch::forward({act}_kernels, {in}, {par}); }}\n\n"
      "{results} {act}_backward_cpu({decl}, const at::Tensor& grad) {{\n"
      "  std::vector<at::Tensor> g = nnc_torch::backward({act}_kernels, {in}, {par}, grad);\n"
      "  return {{{picks}}};\n}}\n\n"
      "struct {act}_function : torch::autograd::Function<{act}_function> {{\n"
      "  static at::Tensor forward(torch::autograd::AutogradContext* ctx, {decl}) {{\n"
      "    ctx->save_for_backward({{{ops}}});  // the operands only: backward recomputes the activation\n"
      "    return {act}_cpu({ops});\n"
      "  }}\n"
      "  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,\n"
      "                                                 torch::autograd::variable_list grads) {{\n"
      "    torch::autograd::variable_list saved = ctx->get_saved_variables();\n"
      "    return nnc_torch::backward({act}_kernels, {si}, {sp}, grads[0]);\n"
      "  }}\n"
      "}};\n\n"
      "at::Tensor {act}_autograd({decl}) {{ return {act}_function::apply({ops}); }}\n\n"
      "}}  // namespace\n\n",
      fmt::arg("act", act), fmt::arg("decl", fmt::join(declarations, ", ")), fmt::arg("in", inputs),
      fmt::arg("par", params), fmt::arg("results", results), fmt::arg("picks", fmt::join(picks, ", ")),
      fmt::arg("ops", fmt::join(operands, ", ")), fmt::arg("si", savedInputs), fmt::arg("sp", savedParams));
}

std::string schemaOf(const ExportedActivation& a, bool backward) {
  std::vector<std::string> arguments;
  for (const std::string& name : operandNames(a)) arguments.push_back("Tensor " + name);
  if (!backward) return fmt::format("{}({}) -> Tensor", a.def->name, fmt::join(arguments, ", "));
  arguments.push_back("Tensor grad");
  std::vector<std::string> results(operandNames(a).size(), "Tensor");
  return fmt::format("{}_backward({}) -> ({})", a.def->name, fmt::join(arguments, ", "), fmt::join(results, ", "));
}

std::string cppSource(const std::string& extension, const std::vector<ExportedActivation>& activations) {
  std::string out = fmt::format(
      "// Generated by nnc torch: {} as PyTorch operators (torch.ops.{}). Do not edit;\n"
      "// the kernels are in {}_kernels.o, compiled ahead of time by nnc.\n"
      "#include \"nnc_torch_ops.h\"\n\n",
      extension, extension, extension);
  for (const ExportedActivation& a : activations) out += kernelTable(extension, a) + operators(a);
  out += fmt::format("TORCH_LIBRARY({}, m) {{\n", extension);
  for (const ExportedActivation& a : activations)
    out += fmt::format("  m.def(\"{}\");\n  m.def(\"{}\");\n", schemaOf(a, false), schemaOf(a, true));
  out += fmt::format("}}\n\nTORCH_LIBRARY_IMPL({}, CPU, m) {{\n", extension);
  for (const ExportedActivation& a : activations)
    out += fmt::format("  m.impl(\"{0}\", {0}_cpu);\n  m.impl(\"{0}_backward\", {0}_backward_cpu);\n", a.def->name);
  out += fmt::format("}}\n\nTORCH_LIBRARY_IMPL({}, Autograd, m) {{\n", extension);
  for (const ExportedActivation& a : activations) out += fmt::format("  m.impl(\"{0}\", {0}_autograd);\n", a.def->name);
  out += "}\n";
  return out;
}

std::string className(const std::string& activation) {
  std::string name;
  bool upper = true;
  for (char c : activation) {
    if (c == '_') {
      upper = true;
      continue;
    }
    name += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    upper = false;
  }
  return name;
}

// A Python float literal that reads back as `value` ("1.0", not "1").
std::string pythonNumber(double value) {
  if (std::isnan(value)) return "float(\"nan\")";
  if (std::isinf(value)) return value > 0 ? "float(\"inf\")" : "-float(\"inf\")";
  std::string text = fmt::format("{}", value);
  if (text.find_first_of(".e") == std::string::npos) text += ".0";
  return text;
}

std::string pythonModule(const std::string& extension, const std::vector<ExportedActivation>& activations) {
  std::string out = fmt::format(
      "\"\"\"nnc activations as PyTorch operators. Generated by `nnc torch`: do not edit.\n\n"
      "Each activation is an operator, torch.ops.{0}.NAME, running nnc's kernels,\n"
      "compiled ahead of time for the CPU: one loop forward, and one backward that\n"
      "recomputes the activation from its input (autograd saves only the inputs and\n"
      "the parameters). float32 and float64. A module per activation holds its\n"
      "learnable parameters, one value per layer or one per unit (of the input's\n"
      "last dimension).\n\n"
      "The C++ part is built against the PyTorch that imports it, on first import,\n"
      "into build/ beside this file (torch.utils.cpp_extension; it needs a C++\n"
      "compiler, ninja and PyTorch's headers).\n"
      "\"\"\"\n"
      "import os\n\n"
      "import torch\n"
      "import torch.utils.cpp_extension\n\n"
      "_HERE = os.path.dirname(os.path.abspath(__file__))\n"
      "# ATen's parallel_for is inline: with PyTorch's OpenMP backend it runs on\n"
      "# several threads only when the extension is compiled with OpenMP too.\n"
      "_PARALLEL = [\"-fopenmp\"] if \"OpenMP\" in torch.__config__.parallel_info() else []\n"
      "os.makedirs(os.path.join(_HERE, \"build\"), exist_ok=True)\n"
      "torch.utils.cpp_extension.load(\n"
      "    name=\"{0}\",\n"
      "    sources=[os.path.join(_HERE, \"{0}.cpp\")],\n"
      "    extra_ldflags=[os.path.join(_HERE, \"{0}_kernels.o\"), \"-lmvec\", \"-lm\"] + _PARALLEL,\n"
      "    extra_cflags=[\"-O2\"] + _PARALLEL,\n"
      "    build_directory=os.path.join(_HERE, \"build\"),\n"
      "    is_python_module=False,\n"
      ")\n"
      "ops = torch.ops.{0}\n",
      extension);
  for (const ExportedActivation& a : activations) {
    std::vector<std::string> signature = a.inputs;
    std::string formula = ir::print(a.def->body);
    std::vector<std::string> parameterText;
    for (const frontend::ParameterDef& p : a.def->parameters)
      parameterText.push_back(fmt::format("{}{} = {}", p.learnable ? "learnable " : "", p.name,
                                          pythonNumber(p.defaultValue)));
    std::string header = fmt::format("{}({}{}{}) = {}", a.def->name, fmt::join(a.inputs, ", "),
                                     parameterText.empty() ? "" : "; ", fmt::join(parameterText, ", "), formula);
    out += fmt::format("\n\nclass {}(torch.nn.Module):\n    \"\"\"{}", className(a.def->name), header);
    std::vector<std::string> operands = a.inputs;
    if (!a.learnable.empty()) {
      out += "\n\n    units: None for one value of each learnable parameter per layer, or the\n"
             "    size of the input's last dimension for one value per unit.\n    \"\"\"\n\n"
             "    def __init__(self, units=None):\n        super().__init__()\n"
             "        shape = () if units is None else (units,)\n";
      for (const frontend::ParameterDef* p : a.learnable) {
        out += fmt::format("        self.{} = torch.nn.Parameter(torch.full(shape, {}))\n", p->name,
                           pythonNumber(p->defaultValue));
        operands.push_back("self." + p->name);
      }
    } else {
      out += "\"\"\"\n";
    }
    out += fmt::format("\n    def forward(self, {}):\n        return ops.{}({})\n", fmt::join(a.inputs, ", "),
                       a.def->name, fmt::join(operands, ", "));
  }
  return out;
}

}  // namespace

std::optional<TorchExtension> generateTorchExtension(const TorchExtensionRequest& request, Diagnostics& diags) {
  ir::ExprContext ctx;
  std::vector<ExportedActivation> activations;
  for (const frontend::ActivationDef* def : request.activations)
    if (std::optional<ExportedActivation> a = prepare(ctx, *def, diags)) activations.push_back(std::move(*a));
  if (diags.hasErrors()) return std::nullopt;
  std::vector<std::pair<std::string, backend::KernelSpec>> kernels;
  for (const ExportedActivation& a : activations)
    for (const KernelVariant& v : kernelVariants(request.name, a))
      kernels.emplace_back(v.name, kernelSpec(a, v.backward, v.type, v.perUnit));
  std::string error;
  std::string object = backend::compileKernels(kernels, request.targetCpu, backend::AotFormat::Object, error);
  if (!error.empty()) {
    diags.error(error);
    return std::nullopt;
  }
  TorchExtension extension;
  extension.files.emplace_back(request.name + "_kernels.o", std::move(object));
  extension.files.emplace_back(request.name + ".cpp", cppSource(request.name, activations));
  extension.files.emplace_back(request.name + ".py", pythonModule(request.name, activations));
  extension.files.emplace_back("nnc_torch_ops.h", kTorchOpsHeader);
  return extension;
}

}  // namespace nnc::interop
