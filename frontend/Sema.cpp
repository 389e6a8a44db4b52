#include "frontend/Sema.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numbers>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "ir/Simplify.h"
#include "support/Spelling.h"

namespace nnc::frontend {

namespace {

// Where names in a formula resolve to.
struct Scope {
  std::string input;                 // the variable; empty: none (a default value)
  std::vector<std::string> otherInputs;  // an activation's further inputs
  // Non-null: resolves a name or call to a Var first (a model's values and
  // layers in a formula over tensors); null if it is not one of them.
  const TensorOperandResolver* tensorOperand = nullptr;
  std::vector<std::string> parameters;
  std::vector<FreeName>* freeNames = nullptr;  // non-null: unknown names become parameters
  ActivationDef* owner = nullptr;    // receives learnable parameters of inlined calls
  // Learnable parameters lifted into owner: name -> "callee.parameter".
  std::map<std::string, std::string> lifted;
  // Without an input, the formula is a constant; this says which in errors.
  std::string constantKind = "a default value";
};

class Sema {
public:
  Sema(const SourceBuffer& source, ir::ExprContext& ctx, Diagnostics& diags)
      : source_(source), ctx_(ctx), diags_(diags) {}

  Module analyzeFile(const ast::File& file, const Module* imported) {
    library_ = imported;
    for (const ast::ActivationDecl& decl : file.activations) {
      std::optional<ir::Op> builtin = decl.name == "pow" ? std::optional(ir::Op::Pow) : ir::functionNamed(decl.name);
      if (builtin && !reexportsBuiltin(decl)) {
        std::string message = fmt::format("'{}' is a built-in function and cannot be redefined", decl.name);
        if (ir::opInfo(*builtin).arity == 1)
          message += fmt::format(" (only re-exported: activation {}({}) = {}({});)", decl.name, decl.input,
                                 decl.name, decl.input);
        error(decl.nameRange, message);
        continue;
      }
      auto [slot, inserted] = declarations_.emplace(decl.name, Declaration{&decl, State::NotStarted, std::nullopt});
      if (!inserted) {
        error(decl.nameRange, fmt::format("activation '{}' is defined twice", decl.name));
        diags_.note(&source_, slot->second.decl->nameRange, "first definition is here");
      }
    }
    for (const ast::ActivationDecl& decl : file.activations) {
      auto found = declarations_.find(decl.name);
      if (found != declarations_.end() && found->second.decl == &decl) define(found->second);
    }
    for (const ast::ActivationDecl& decl : file.activations) {
      auto found = declarations_.find(decl.name);
      if (found != declarations_.end() && found->second.decl == &decl && found->second.def)
        module_.activations.push_back(*found->second.def);
    }
    return std::move(module_);
  }

  FormulaResult analyzeFormula(const ast::Expr& formula, const Module* library, const std::string& variable) {
    library_ = library;
    FormulaResult result;
    ActivationDef formulaOwner{"the formula", variable, {}, {}, nullptr, formula.range};
    Scope scope;
    scope.input = variable;
    scope.freeNames = &result.freeNames;
    lowerInto(result, formula, scope, formulaOwner);
    return result;
  }

  FormulaResult analyzeTensorFormula(const ast::Expr& formula, const Module* library, const std::string& owner,
                                     const std::vector<std::string>& valueNames,
                                     const TensorOperandResolver& resolve) {
    library_ = library;
    FormulaResult result;
    ActivationDef formulaOwner{owner, "", {}, {}, nullptr, formula.range};
    Scope scope;
    scope.otherInputs = valueNames;
    scope.tensorOperand = &resolve;
    lowerInto(result, formula, scope, formulaOwner);
    return result;
  }

private:
  // Lowers a formula of its own (not an activation's body) into `result`:
  // its Expr if it had no errors, and the learnable parameters of the
  // activations it calls, which `owner` collects.
  void lowerInto(FormulaResult& result, const ast::Expr& formula, Scope& scope, ActivationDef& owner) {
    scope.owner = &owner;
    size_t errorsBefore = diags_.errorCount();
    ir::ExprRef e = lower(formula, scope);
    if (diags_.errorCount() == errorsBefore) result.expr = e;
    result.liftedParameters = std::move(owner.parameters);
  }

  enum class State { NotStarted, InProgress, Done };
  struct Declaration {
    const ast::ActivationDecl* decl;
    State state = State::NotStarted;
    std::optional<ActivationDef> def;  // empty if it has errors
  };

  // `activation tanh(x) = tanh(x);` names a built-in as an activation of
  // the file; in its body the name still means the built-in.
  static bool reexportsBuiltin(const ast::ActivationDecl& decl) {
    const ast::Expr& body = *decl.body;
    return ir::functionNamed(decl.name) && decl.parameters.empty() && body.kind == ast::Expr::Kind::Call &&
           body.text == decl.name && body.operands.size() == 1 && body.argumentNames[0].empty() &&
           body.operands[0]->kind == ast::Expr::Kind::Name && body.operands[0]->text == decl.input;
  }

  void error(SourceRange range, std::string message) { diags_.error(&source_, range, std::move(message)); }

  // Checks one activation (and, first, those it calls).
  void define(Declaration& d) {
    if (d.state != State::NotStarted) return;
    d.state = State::InProgress;
    callStack_.push_back(d.decl->name);
    const ast::ActivationDecl& decl = *d.decl;
    size_t errorsBefore = diags_.errorCount();

    ActivationDef def;
    def.name = decl.name;
    def.input = decl.input;
    def.nameRange = decl.nameRange;
    Scope scope;
    scope.input = decl.input;
    scope.owner = &def;
    if (decl.input == "pi") error(decl.inputRange, "'pi' is a constant and cannot name the input");
    for (const auto& [other, range] : decl.otherInputs) {
      bool taken = other == decl.input || std::find(def.otherInputs.begin(), def.otherInputs.end(), other) !=
                                              def.otherInputs.end();
      if (other == "pi")
        error(range, "'pi' is a constant and cannot name an input");
      else if (taken)
        error(range, fmt::format("input '{}' is already defined in '{}'", other, decl.name));
      else
        def.otherInputs.push_back(other);
    }
    scope.otherInputs = def.otherInputs;
    for (const ast::Parameter& p : decl.parameters) {
      if (p.name == "pi") {
        error(p.range, "'pi' is a built-in constant and cannot name a parameter");
        continue;
      }
      bool isInput = p.name == decl.input ||
                     std::find(def.otherInputs.begin(), def.otherInputs.end(), p.name) != def.otherInputs.end();
      if (isInput || def.parameter(p.name)) {
        error(p.range, fmt::format("parameter '{}' is already defined in '{}'", p.name, decl.name));
        continue;
      }
      std::optional<double> value = constantValue(*p.defaultValue, p.name);
      def.parameters.push_back({p.name, value.value_or(0), p.learnable, p.range});
      scope.parameters.push_back(p.name);
    }
    def.body = lower(*decl.body, scope);

    callStack_.pop_back();
    d.state = State::Done;
    if (diags_.errorCount() == errorsBefore) d.def = std::move(def);
  }

  // A parameter default must be a constant expression (`sqrt(2/pi)` is fine).
  std::optional<double> constantValue(const ast::Expr& e, const std::string& parameter) {
    return constant(e, fmt::format("default value of '{}'", parameter), "a default value");
  }

  // `what` names the value in errors ("default value of 'c'"); `kind` says
  // what it is in general ("a default value").
  std::optional<double> constant(const ast::Expr& e, const std::string& what, const std::string& kind) {
    Scope constantsOnly;
    constantsOnly.constantKind = kind;
    size_t errorsBefore = diags_.errorCount();
    ir::ExprRef value = ir::simplify(ctx_, lower(e, constantsOnly));
    if (diags_.errorCount() != errorsBefore) return std::nullopt;
    if (!value->isConst()) {
      error(e.range, fmt::format("{} is not a finite constant", what));
      return std::nullopt;
    }
    return value->value();
  }

public:
  // A value that becomes a layer's parameter must be finite (`exp(1000)` folds to inf).
  std::optional<double> analyzeConstant(const ast::Expr& e, const std::string& what) {
    std::optional<double> value = constant(e, what, "a parameter value");
    if (value && !std::isfinite(*value)) {
      error(e.range, fmt::format("{} is not a finite constant", what));
      return std::nullopt;
    }
    return value;
  }

private:

  ir::ExprRef lower(const ast::Expr& e, Scope& scope) {
    switch (e.kind) {
      case ast::Expr::Kind::Number:
        if (std::isinf(e.number)) {
          error(e.range, fmt::format("number '{}' is too large for a double", e.text));
          return ctx_.constant(0);
        }
        return ctx_.constant(e.number);
      case ast::Expr::Kind::Name: return lowerName(e, scope);
      case ast::Expr::Kind::Unary: return ctx_.make(ir::Op::Neg, {lower(*e.operands[0], scope)});
      case ast::Expr::Kind::Binary: {
        ir::ExprRef lhs = lower(*e.operands[0], scope);
        ir::ExprRef rhs = lower(*e.operands[1], scope);
        return ctx_.make(e.op, {lhs, rhs});
      }
      case ast::Expr::Kind::Call:
      case ast::Expr::Kind::Dense: return lowerCall(e, scope);
    }
    return ctx_.constant(0);
  }

  ir::ExprRef lowerName(const ast::Expr& e, Scope& scope) {
    const std::string& name = e.text;
    if (scope.tensorOperand)
      if (std::optional<std::string> var = (*scope.tensorOperand)(e)) return ctx_.var(*var);
    if (name == scope.input) return ctx_.var(name);
    // (In a formula of values, the resolver above decides every model name;
    // the names are in otherInputs for suggestions only.)
    for (const std::string& other : scope.otherInputs)
      if (other == name && !scope.tensorOperand) return ctx_.var(name);
    for (const std::string& p : scope.parameters)
      if (p == name) return ctx_.var(name);
    if (name == "pi") return ctx_.constant(std::numbers::pi);
    if (isFunction(name)) {
      error(e.range, fmt::format("'{}' is a function; call it as {}(...)", name, name));
      return ctx_.constant(0);
    }
    if (scope.freeNames) {
      bool seen = false;
      for (const FreeName& f : *scope.freeNames) seen |= f.name == name;
      if (!seen) scope.freeNames->push_back({name, e.range});
      return ctx_.var(name);
    }
    std::vector<std::string> candidates = scope.parameters;
    if (!scope.input.empty()) candidates.push_back(scope.input);
    candidates.insert(candidates.end(), scope.otherInputs.begin(), scope.otherInputs.end());
    candidates.push_back("pi");
    bool constantsOnly = scope.input.empty() && !scope.tensorOperand;
    std::string message = constantsOnly
                              ? fmt::format("unknown name '{}' ({} may only use numbers, pi and built-in functions)",
                                            name, scope.constantKind)
                              : fmt::format("unknown name '{}'", name);
    if (auto suggestion = closestSpelling(name, candidates))
      message += fmt::format("; did you mean '{}'?", *suggestion);
    error(e.range, message);
    return ctx_.constant(0);
  }

  bool isFunction(const std::string& name) {
    return ir::functionNamed(name) || name == "pow" || declarations_.count(name) ||
           (library_ && library_->activation(name));
  }

  ir::ExprRef lowerCall(const ast::Expr& e, Scope& scope) {
    const std::string& name = e.text;
    if (scope.tensorOperand)
      if (std::optional<std::string> var = (*scope.tensorOperand)(e)) return ctx_.var(*var);
    if (e.kind == ast::Expr::Kind::Dense) {
      error(e.range, "a dense layer can only be applied in a model's values (h = dense(x, 256, relu);)");
      return ctx_.constant(0);
    }
    std::optional<ir::Op> builtin = name == "pow" ? std::optional(ir::Op::Pow) : ir::functionNamed(name);
    if (builtin) return lowerBuiltinCall(e, *builtin, scope);
    if (auto found = declarations_.find(name); found != declarations_.end()) {
      Declaration& callee = found->second;
      if (callee.state == State::InProgress) {
        std::string cycle;
        auto start = std::find(callStack_.begin(), callStack_.end(), name);
        for (auto it = start; it != callStack_.end(); ++it) cycle += *it + " -> ";
        error(e.range, fmt::format("activation '{}' calls itself ({}{}); activations cannot be recursive",
                                   name, cycle, name));
        return ctx_.constant(0);
      }
      define(callee);
      if (!callee.def) {  // its own errors are already reported
        lowerArguments(e, scope);
        return ctx_.constant(0);
      }
      return inlineActivation(e, *callee.def, scope);
    }
    if (library_) {
      if (const ActivationDef* def = library_->activation(name)) return inlineActivation(e, *def, scope);
    }
    std::vector<std::string> candidates{"pow"};
    for (const ir::OpInfo* info : ir::functionOps()) candidates.push_back(info->spelling);
    for (auto& [declared, _] : declarations_) candidates.push_back(declared);
    if (library_)
      for (const ActivationDef& a : library_->activations) candidates.push_back(a.name);
    std::string message = fmt::format("unknown function '{}'", name);
    if (auto suggestion = closestSpelling(name, candidates))
      message += fmt::format("; did you mean '{}'?", *suggestion);
    error(e.range, message);
    lowerArguments(e, scope);
    return ctx_.constant(0);
  }

  // Checks arguments of a call that cannot be lowered, for their own errors.
  void lowerArguments(const ast::Expr& e, Scope& scope) {
    for (const ast::ExprPtr& argument : e.operands) lower(*argument, scope);
  }

  ir::ExprRef lowerBuiltinCall(const ast::Expr& e, ir::Op op, Scope& scope) {
    const ir::OpInfo& info = ir::opInfo(op);
    for (size_t i = 0; i < e.argumentNames.size(); ++i) {
      if (!e.argumentNames[i].empty()) {
        error(e.argumentNameRanges[i],
              fmt::format("built-in function '{}' takes no named arguments", e.text));
        return ctx_.constant(0);
      }
    }
    if (static_cast<int>(e.operands.size()) != info.arity) {
      error(e.range, fmt::format("'{}' takes {} argument{}, but {} {} given", e.text, info.arity,
                                 info.arity == 1 ? "" : "s", e.operands.size(),
                                 e.operands.size() == 1 ? "was" : "were"));
      lowerArguments(e, scope);
      return ctx_.constant(0);
    }
    std::array<ir::ExprRef, 3> operands{};
    for (size_t i = 0; i < e.operands.size(); ++i) operands[i] = lower(*e.operands[i], scope);
    return ctx_.make(op, std::span<const ir::ExprRef>(operands.data(), e.operands.size()));
  }

  // NAME(input, p1, p2, name = value): substitutes the arguments into the
  // callee's body. Parameters not passed take their defaults, except
  // learnable ones inside an activation, which become learnable parameters
  // of the caller (so `my(x) = 2*prelu(x)` still learns prelu's slope).
  ir::ExprRef inlineActivation(const ast::Expr& e, const ActivationDef& callee, Scope& scope) {
    size_t errorsBefore = diags_.errorCount();
    std::vector<std::optional<ir::ExprRef>> parameterValues(callee.parameters.size());
    size_t inputCount = 1 + callee.otherInputs.size();
    std::vector<ir::ExprRef> inputs;
    size_t positional = 0;
    for (size_t i = 0; i < e.operands.size(); ++i) {
      ir::ExprRef value = lower(*e.operands[i], scope);
      const std::string& argumentName = e.argumentNames[i];
      if (argumentName.empty()) {
        if (positional < inputCount) {
          inputs.push_back(value);
        } else if (positional - inputCount < callee.parameters.size()) {
          parameterValues[positional - inputCount] = value;
        } else {
          error(e.operands[i]->range,
                fmt::format("too many arguments to '{}': it takes {} and {} parameter{}", callee.name,
                            inputCount == 1 ? "an input" : fmt::format("{} inputs", inputCount),
                            callee.parameters.size(), callee.parameters.size() == 1 ? "" : "s"));
        }
        ++positional;
        continue;
      }
      size_t index = 0;
      while (index < callee.parameters.size() && callee.parameters[index].name != argumentName) ++index;
      if (index == callee.parameters.size()) {
        std::vector<std::string> names;
        for (const ParameterDef& p : callee.parameters) names.push_back(p.name);
        std::string message = fmt::format("'{}' has no parameter named '{}'", callee.name, argumentName);
        if (auto suggestion = closestSpelling(argumentName, names))
          message += fmt::format("; did you mean '{}'?", *suggestion);
        error(e.argumentNameRanges[i], message);
      } else if (parameterValues[index]) {
        error(e.argumentNameRanges[i], fmt::format("parameter '{}' of '{}' is given twice", argumentName, callee.name));
      } else {
        parameterValues[index] = value;
      }
    }
    if (inputs.empty())
      error(e.range, fmt::format("'{}' needs an input argument, e.g. {}(x)", callee.name, callee.name));
    else if (inputs.size() < inputCount)
      error(e.range, fmt::format("'{}' takes {} inputs ({}), but {} {} given", callee.name, inputCount,
                                 fmt::join(inputNames(callee), ", "), inputs.size(), inputs.size() == 1 ? "was" : "were"));
    if (diags_.errorCount() != errorsBefore) return ctx_.constant(0);

    std::vector<ir::Binding> bindings{{callee.input, inputs[0]}};
    for (size_t i = 0; i < callee.otherInputs.size(); ++i) bindings.push_back({callee.otherInputs[i], inputs[i + 1]});
    for (size_t i = 0; i < callee.parameters.size(); ++i) {
      const ParameterDef& p = callee.parameters[i];
      ir::ExprRef value = parameterValues[i] ? *parameterValues[i] : nullptr;
      if (!value && p.learnable && scope.owner) value = liftLearnable(e, callee, p, scope);
      if (!value) value = ctx_.constant(p.defaultValue);
      bindings.push_back({p.name, value});
    }
    ir::ExprRef inlined = ir::substitute(ctx_, callee.body, bindings);
    if (inlined->height() > kMaxInlinedHeight) {
      error(e.range, fmt::format("this call of '{}' nests the formula {} deep once the activations it calls are "
                                 "written out; nnc allows at most {}",
                                 callee.name, inlined->height(), kMaxInlinedHeight));
      return ctx_.constant(0);
    }
    return inlined;
  }

  static std::vector<std::string> inputNames(const ActivationDef& def) {
    std::vector<std::string> names{def.input};
    names.insert(names.end(), def.otherInputs.begin(), def.otherInputs.end());
    return names;
  }

  ir::ExprRef liftLearnable(const ast::Expr& call, const ActivationDef& callee, const ParameterDef& p, Scope& scope) {
    std::string origin = callee.name + "." + p.name;
    if (auto lifted = scope.lifted.find(p.name); lifted != scope.lifted.end()) {
      if (lifted->second == origin) return ctx_.var(p.name);
    } else if (p.name != scope.input && !scope.owner->parameter(p.name) &&
               std::find(scope.otherInputs.begin(), scope.otherInputs.end(), p.name) == scope.otherInputs.end()) {
      scope.owner->parameters.push_back({p.name, p.defaultValue, true, p.range});
      scope.parameters.push_back(p.name);
      scope.lifted.emplace(p.name, origin);
      return ctx_.var(p.name);
    }
    error(call.range, fmt::format("learnable parameter '{}' of '{}' clashes with a name in '{}'; pass it "
                                  "explicitly, e.g. {}(..., {} = ...)",
                                  p.name, callee.name, scope.owner->name, callee.name, p.name));
    return ctx_.constant(p.defaultValue);
  }

  const SourceBuffer& source_;
  ir::ExprContext& ctx_;
  Diagnostics& diags_;
  const Module* library_ = nullptr;
  std::map<std::string, Declaration> declarations_;
  std::vector<std::string> callStack_;
  Module module_;
};

}  // namespace

Module analyzeFile(const ast::File& file, const SourceBuffer& source, ir::ExprContext& ctx, Diagnostics& diags) {
  return Sema(source, ctx, diags).analyzeFile(file, nullptr);
}

Module analyzeFile(const ast::File& file, const SourceBuffer& source, const Module& imported, ir::ExprContext& ctx,
                   Diagnostics& diags) {
  return Sema(source, ctx, diags).analyzeFile(file, &imported);
}

std::optional<double> analyzeConstant(const ast::Expr& e, const std::string& what, const SourceBuffer& source,
                                      ir::ExprContext& ctx, Diagnostics& diags) {
  return Sema(source, ctx, diags).analyzeConstant(e, what);
}

FormulaResult analyzeFormula(const ast::Expr& formula, const SourceBuffer& source, const Module* library,
                             const std::string& variable, ir::ExprContext& ctx, Diagnostics& diags) {
  return Sema(source, ctx, diags).analyzeFormula(formula, library, variable);
}

FormulaResult analyzeTensorFormula(const ast::Expr& formula, const SourceBuffer& source, const Module* library,
                                   const std::string& owner, const std::vector<std::string>& valueNames,
                                   const TensorOperandResolver& resolve, ir::ExprContext& ctx, Diagnostics& diags) {
  return Sema(source, ctx, diags).analyzeTensorFormula(formula, library, owner, valueNames, resolve);
}

ir::ExprRef atParameterDefaults(ir::ExprContext& ctx, const FormulaResult& result) {
  std::vector<ir::Binding> defaults;
  for (const ParameterDef& p : result.liftedParameters) defaults.push_back({p.name, ctx.constant(p.defaultValue)});
  return ir::substitute(ctx, result.expr, defaults);
}

}  // namespace nnc::frontend
