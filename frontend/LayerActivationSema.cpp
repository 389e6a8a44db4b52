#include "frontend/LayerActivationSema.h"

#include <algorithm>

#include <fmt/format.h>

#include "frontend/Sema.h"
#include "support/Spelling.h"

namespace nnc::frontend {

namespace {

class LayerActivationResolver {
public:
  LayerActivationResolver(const ActivationScope& scope, const SourceBuffer& source, ir::ExprContext& ctx,
                          Diagnostics& diags)
      : scope_(scope), source_(source), ctx_(ctx), diags_(diags) {}

  std::optional<LayerActivation> resolve(const ast::Expr& use, bool perUnit) {
    if (const ActivationDef* def = scope_.activations.activation(use.text)) {
      if (!def->otherInputs.empty()) {
        error(use.range, fmt::format("'{}' takes {} inputs, so it cannot be a layer's activation (a function of the "
                                     "unit's input alone); apply it to values: g = {}(a, b);",
                                     use.text, def->otherInputs.size() + 1, use.text));
        return std::nullopt;
      }
      return bind(use, *def, perUnit);
    }
    std::optional<ir::Op> builtin = use.text == "pow" ? std::optional(ir::Op::Pow) : ir::functionNamed(use.text);
    if (builtin) return builtinActivation(use, *builtin);
    reportUnknown(use);
    return std::nullopt;
  }

private:
  void error(SourceRange range, std::string message) { diags_.error(&source_, range, std::move(message)); }

  // tanh, sigmoid, softplus, erf, ...: the function of the unit's input.
  std::optional<LayerActivation> builtinActivation(const ast::Expr& use, ir::Op op) {
    const ir::OpInfo& info = ir::opInfo(op);
    if (info.arity != 1) {
      error(use.range, fmt::format("'{}' takes {} arguments, so it cannot be a layer's activation (a function of "
                                   "the unit's input alone)",
                                   use.text, info.arity));
      return std::nullopt;
    }
    if (!use.operands.empty()) {
      error(use.range, fmt::format("built-in function '{}' has no parameters to set", use.text));
      return std::nullopt;
    }
    static const std::string kInput = "x";  // (not assigned from a literal: g++ 12 warns falsely, -Wrestrict)
    LayerActivation out;
    out.name = use.text;
    out.input = kInput;
    out.body = ctx_.make(op, {ctx_.var(out.input)});
    out.range = use.range;
    return out;
  }

  void reportUnknown(const ast::Expr& use) {
    const std::vector<std::string>& broken = scope_.withErrors;
    if (std::find(broken.begin(), broken.end(), use.text) != broken.end()) return;  // its errors say enough
    std::vector<std::string> candidates;
    for (const ActivationDef& a : scope_.activations.activations) candidates.push_back(a.name);
    for (const ir::OpInfo* info : ir::functionOps())
      if (info->arity == 1) candidates.push_back(info->spelling);
    if (auto suggestion = closestSpelling(use.text, candidates)) {
      error(use.range, fmt::format("unknown activation '{}'; did you mean '{}'?", use.text, *suggestion));
      return;
    }
    error(use.range, fmt::format("unknown activation '{}': declare it (activation {}(x) = ...;) or import a file "
                                 "that does",
                                 use.text, use.text));
  }

  // Matches the arguments to the parameters (by position, or by name, as in
  // a call) and substitutes the values of the non-learnable ones.
  std::optional<LayerActivation> bind(const ast::Expr& use, const ActivationDef& def, bool perUnit) {
    size_t errorsBefore = diags_.errorCount();
    std::vector<std::optional<double>> values(def.parameters.size());
    std::vector<bool> given(def.parameters.size(), false);
    size_t positional = 0;
    for (size_t i = 0; i < use.operands.size(); ++i) {
      std::optional<size_t> index = parameterIndex(use, def, i, positional);
      if (!index) continue;
      if (given[*index]) {
        error(use.argumentNames[i].empty() ? use.operands[i]->range : use.argumentNameRanges[i],
              fmt::format("parameter '{}' of '{}' is given twice", def.parameters[*index].name, def.name));
        continue;
      }
      given[*index] = true;
      values[*index] = analyzeConstant(*use.operands[i], fmt::format("the value of '{}'", def.parameters[*index].name),
                                       source_, ctx_, diags_);
    }
    if (diags_.errorCount() != errorsBefore) return std::nullopt;

    LayerActivation out;
    out.name = def.name;
    out.input = def.input;
    out.range = use.range;
    std::vector<ir::Binding> bindings;
    for (size_t i = 0; i < def.parameters.size(); ++i) {
      const ParameterDef& p = def.parameters[i];
      double value = values[i].value_or(p.defaultValue);
      if (p.learnable) out.learnable.push_back({p.name, value, perUnit});
      else bindings.push_back({p.name, ctx_.constant(value)});
    }
    out.body = ir::substitute(ctx_, def.body, bindings);
    return out;
  }

  // The parameter argument `i` sets, or empty after reporting why none.
  std::optional<size_t> parameterIndex(const ast::Expr& use, const ActivationDef& def, size_t i, size_t& positional) {
    const std::string& name = use.argumentNames[i];
    if (name.empty()) {
      if (positional < def.parameters.size()) return positional++;
      error(use.operands[i]->range,
            def.parameters.empty()
                ? fmt::format("too many arguments to '{}': it has no parameters", def.name)
                : fmt::format("too many arguments to '{}': it has {} parameter{}", def.name, def.parameters.size(),
                              def.parameters.size() == 1 ? "" : "s"));
      return std::nullopt;
    }
    for (size_t p = 0; p < def.parameters.size(); ++p)
      if (def.parameters[p].name == name) return p;
    std::vector<std::string> names;
    for (const ParameterDef& p : def.parameters) names.push_back(p.name);
    std::string message = fmt::format("'{}' has no parameter named '{}'", def.name, name);
    if (auto suggestion = closestSpelling(name, names)) message += fmt::format("; did you mean '{}'?", *suggestion);
    error(use.argumentNameRanges[i], message);
    return std::nullopt;
  }

  const ActivationScope& scope_;
  const SourceBuffer& source_;
  ir::ExprContext& ctx_;
  Diagnostics& diags_;
};

}  // namespace

std::optional<LayerActivation> resolveLayerActivation(const ast::Expr& use, bool perUnit, const ActivationScope& scope,
                                                      const SourceBuffer& source, ir::ExprContext& ctx,
                                                      Diagnostics& diags) {
  return LayerActivationResolver(scope, source, ctx, diags).resolve(use, perUnit);
}

}  // namespace nnc::frontend
