#include "tools/nnc/FormulaInput.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "frontend/ModelSema.h"
#include "frontend/Parser.h"
#include "frontend/Sema.h"
#include "support/Spelling.h"

namespace nnc::cli {

std::vector<OptionSpec> formulaOptions() {
  return {
      {"file", "F.nn", "read activations from a .nn file"},
      {"act", "NAME", "use the activation NAME from --file"},
      {"param", "NAME=VALUE", "bind a parameter (repeatable)", true},
      {"wrt", "NAME", "differentiate with respect to NAME (default: the variable)"},
      {"order", "N", "differentiate N times (default 1 for grad, 0 for eval)"},
  };
}

namespace {

// --param NAME=VALUE, applied to the formula's parameters.
bool bindParameters(const ParsedOptions& options, FormulaInput& input, Diagnostics& diags) {
  size_t errorsBefore = diags.errorCount();
  for (const std::string& binding : options.all("param")) {
    size_t equals = binding.find('=');
    if (equals == std::string::npos || equals == 0) {
      diags.error(fmt::format("--param needs NAME=VALUE, not '{}'", binding));
      continue;
    }
    std::string name = binding.substr(0, equals);
    std::optional<double> value = parseReal(fmt::format("--param {}", name), binding.substr(equals + 1), diags);
    if (!value) continue;
    auto found = std::find_if(input.parameters.begin(), input.parameters.end(),
                              [&](const FormulaParameter& p) { return p.name == name; });
    if (name == input.variable) {
      diags.error(fmt::format("--param {}: '{}' is the formula's variable, not a parameter (nnc eval takes "
                              "its values from --at)", name, name));
      continue;
    }
    if (found == input.parameters.end()) {
      std::vector<std::string> names;
      for (const FormulaParameter& p : input.parameters) names.push_back(p.name);
      std::string message = fmt::format("--param {}: the formula has no parameter '{}'", name, name);
      if (auto suggestion = closestSpelling(name, names)) message += fmt::format("; did you mean '{}'?", *suggestion);
      else if (names.empty()) message += " (it has none)";
      diags.error(message);
      continue;
    }
    if (found->boundOnCommandLine) {
      diags.error(fmt::format("--param {} is given more than once", name));
      continue;
    }
    found->value = *value;
    found->boundOnCommandLine = true;
  }
  return diags.errorCount() == errorsBefore;
}

}  // namespace

std::optional<FormulaInput> loadFormula(const ParsedOptions& options, ir::ExprContext& ctx, Diagnostics& diags) {
  FormulaInput input;
  const std::vector<std::string>& positional = options.positional();
  std::optional<std::string> activationName = options.get("act");
  std::optional<std::string> path = options.get("file");
  if (positional.size() > 1) {
    diags.error(fmt::format("expected one formula, got {} arguments; quote the formula, e.g. 'x * sigmoid(x)'",
                            positional.size()));
    return std::nullopt;
  }
  if (activationName && !positional.empty()) {
    diags.error("give either a formula or --act NAME, not both");
    return std::nullopt;
  }
  if (activationName && !path) {
    diags.error("--act needs --file to say where the activation is defined");
    return std::nullopt;
  }
  if (!activationName && positional.empty()) {
    diags.error("no formula given: pass one, e.g. 'x * sigmoid(x)', or use --file F.nn --act NAME");
    return std::nullopt;
  }

  // A file's activations include those it imports.
  frontend::Module module;
  if (path) {
    std::error_code code;
    if (std::filesystem::is_directory(*path, code)) {
      diags.error(fmt::format("cannot read '{}': it is a directory", *path));
      return std::nullopt;
    }
    std::optional<frontend::Program> program = frontend::analyzeProgram(*path, ctx, diags);
    if (!program || diags.hasErrors()) return std::nullopt;
    module = std::move(program->activations);
    input.fileSources = std::move(program->sources);
  }

  if (activationName) {
    const frontend::ActivationDef* def = module.activation(*activationName);
    if (!def) {
      std::vector<std::string> names;
      for (const frontend::ActivationDef& a : module.activations) names.push_back(a.name);
      std::string message = fmt::format("'{}' defines no activation '{}'", *path, *activationName);
      if (auto suggestion = closestSpelling(*activationName, names)) message += fmt::format("; did you mean '{}'?", *suggestion);
      diags.error(message);
      return std::nullopt;
    }
    input.formulaSource = input.fileSources.empty() ? nullptr : input.fileSources.front().get();
    input.expr = def->body;
    input.variable = def->input;
    input.otherVariables = def->otherInputs;
    for (const frontend::ParameterDef& p : def->parameters) input.parameters.push_back({p.name, p.defaultValue, p.range});
  } else {
    input.sources.push_back(std::make_unique<SourceBuffer>("<formula>", positional[0]));
    input.formulaSource = input.sources.back().get();
    ast::ExprPtr formula = frontend::parseFormula(*input.formulaSource, diags);
    if (!formula) return std::nullopt;
    frontend::FormulaResult result = frontend::analyzeFormula(*formula, *input.formulaSource,
                                                              path ? &module : nullptr, "x", ctx, diags);
    if (!result.expr) return std::nullopt;
    input.expr = result.expr;
    for (const frontend::ParameterDef& p : result.liftedParameters)
      input.parameters.push_back({p.name, p.defaultValue, p.range});
    for (const frontend::FreeName& f : result.freeNames)
      if (!input.parameter(f.name)) input.parameters.push_back({f.name, std::nullopt, f.range});
  }
  if (!bindParameters(options, input, diags)) return std::nullopt;
  return input;
}

namespace {

std::optional<std::string> differentiationVariable(const ParsedOptions& options, const FormulaInput& input,
                                                   Diagnostics& diags) {
  std::optional<std::string> wrt = options.get("wrt");
  if (!wrt || *wrt == input.variable) return input.variable;
  const std::vector<std::string>& others = input.otherVariables;
  if (std::find(others.begin(), others.end(), *wrt) != others.end()) return *wrt;
  if (!input.parameter(*wrt)) {
    std::vector<std::string> names{input.variable};
    names.insert(names.end(), others.begin(), others.end());
    for (const FormulaParameter& p : input.parameters) names.push_back(p.name);
    std::string message = fmt::format("--wrt {}: the formula has no variable or parameter '{}'", *wrt, *wrt);
    if (auto suggestion = closestSpelling(*wrt, names)) message += fmt::format("; did you mean '{}'?", *suggestion);
    diags.error(message);
    return std::nullopt;
  }
  return *wrt;
}

}  // namespace

FormulaRequest parseFormulaRequest(const std::string& command, const std::vector<OptionSpec>& specs,
                                   const std::vector<std::string>& args, long defaultOrder, ir::ExprContext& ctx,
                                   Diagnostics& diags) {
  FormulaRequest request;
  request.options = parseOptions(command, specs, args, diags);
  if (!request.options || request.wantsHelp()) return request;
  request.input = loadFormula(*request.options, ctx, diags);
  if (request.input) request.variable = differentiationVariable(*request.options, *request.input, diags);
  request.order = defaultOrder;
  if (auto text = request.options->get("order")) request.order = parseInteger("order", *text, 0, 64, diags);
  return request;
}

}  // namespace nnc::cli
