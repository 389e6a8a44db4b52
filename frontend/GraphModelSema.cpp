#include "frontend/GraphModelSema.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "frontend/DenseLayerSema.h"
#include "frontend/TensorOpSema.h"
#include "frontend/Sema.h"
#include "support/Spelling.h"

namespace nnc::frontend {

namespace {

std::string shapeText(int64_t width) { return fmt::format("[N, {}]", width); }

class GraphModelChecker {
public:
  GraphModelChecker(const ast::ModelDecl& decl, ModelDef& out, const ActivationScope& scope,
                    const SourceBuffer& source, ir::ExprContext& ctx, Diagnostics& diags)
      : decl_(decl), out_(out), scope_(scope), source_(source), ctx_(ctx), diags_(diags),
        layers_(scope, source, ctx, diags) {}

  bool run(const ast::LossDecl* loss) {
    size_t errorsBefore = diags_.errorCount();
    declareInputs();
    declareTarget();
    declareSharedLayers();
    declareValueNames();
    for (size_t i = 0; i < decl_.values.size(); ++i) {
      const ast::ValueDecl& value = decl_.values[i];
      statement_ = i;
      std::optional<size_t> index = valueOf(*value.value, value.name, value.nameRange);
      if (index) defined_[value.name] = *index;
      if (index && value.perUnit && (out_.values[*index].name != value.name || out_.values[*index].learnable.empty()))
        error(*value.perUnit, fmt::format("'per_unit' gives each unit of '{}' its own learnable parameters, but its "
                                          "formula has none (an activation with a learnable parameter: '{} = "
                                          "prelu(v), per_unit;')",
                                          value.name, value.name));
    }
    if (loss) checkLossValue(*loss);
    if (diags_.errorCount() != errorsBefore) return false;
    if (loss && !dependsOnParameters(out_.output)) {
      error(loss->valueRange, fmt::format("the loss reads '{}', which depends on no layer and no learnable "
                                          "parameter: model '{}' has nothing to train",
                                          loss->value, decl_.name));
      return false;
    }
    reportUnused();
    if (parameters_ > static_cast<double>(kMaxParameters)) {
      error(decl_.nameRange, fmt::format("model '{}' would have {} parameters in all; nnc allows at most {} (2^31)",
                                         decl_.name, parameters_, kMaxParameters));
      return false;
    }
    return true;
  }

private:
  void error(SourceRange range, std::string message) { diags_.error(&source_, range, std::move(message)); }
  void note(SourceRange range, std::string message) { diags_.note(&source_, range, std::move(message)); }

  // input NAME[SIZE]; or input NAME[C, H, W]; each input is a range of the
  // data's feature columns, in the order the inputs are declared (an image's
  // row by row, channel by channel, as IDX files and torch's NCHW hold it).
  void declareInputs() {
    if (decl_.namedInputs.empty())
      error(decl_.nameRange, fmt::format("model '{}' has no input; add one, e.g. input x[784];", decl_.name));
    for (const ast::InputDecl& input : decl_.namedInputs) {
      if (!claimName(input.name, input.nameRange)) continue;
      std::optional<double> size = declaredSize(input, "input", "features");
      if (!size) continue;
      ValueDef value = ValueDef::of(ValueDef::Kind::Input, input.name, input.nameRange, static_cast<int64_t>(*size));
      if (!input.imageSides.empty() && !imageShape(input, value)) continue;
      value.firstColumn = out_.inputSize;
      out_.inputSize += value.width;
      defined_[input.name] = add(std::move(value));
    }
  }

  // input NAME[C, H, W]: the value's image shape and width; false after an error.
  bool imageShape(const ast::InputDecl& input, ValueDef& value) {
    if (input.imageSides.size() != 2) {
      error(input.imageSides.back().range, fmt::format("input '{}' has {} sizes; an image has three: its channels, "
                                                       "height and width (input {}[1, 28, 28];)",
                                                       input.name, input.imageSides.size() + 1, input.name));
      failed_.insert(input.name);
      return false;
    }
    value.image = {value.width};
    double elements = static_cast<double>(value.width);
    for (const ast::NumberLiteral& side : input.imageSides) {
      std::optional<double> size = layers_.positiveInteger(side, fmt::format("the size of input '{}'", input.name));
      if (!size) {
        failed_.insert(input.name);
        return false;
      }
      elements *= *size;
      value.image.push_back(static_cast<int64_t>(*size));
    }
    if (elements > static_cast<double>(kMaxParameters)) {
      error(input.nameRange, fmt::format("input '{}' has {} elements per sample; nnc allows at most {} (2^31)",
                                         input.name, elements, kMaxParameters));
      failed_.insert(input.name);
      return false;
    }
    value.width = static_cast<int64_t>(elements);
    return true;
  }

  // The SIZE of `input NAME[SIZE];` or `target NAME[SIZE];` (`what`), a
  // positive integer that fits; empty after reporting it (the name then
  // counts as failed: its uses say nothing more).
  std::optional<double> declaredSize(const ast::InputDecl& decl, const char* what, const char* unit) {
    std::optional<double> size =
        layers_.positiveInteger(decl.size, fmt::format("the size of {} '{}'", what, decl.name));
    if (size && *size > static_cast<double>(kMaxParameters)) {
      error(decl.size.range,
            fmt::format("{} '{}' has {} {}; nnc allows at most {} (2^31)", what, decl.name, *size, unit, kMaxParameters));
      size.reset();
    }
    if (!size) failed_.insert(decl.name);
    return size;
  }

  // target NAME[SIZE]; the real-valued targets the loss compares with: the
  // data's last SIZE columns (or those from the train block's `label`).
  void declareTarget() {
    for (size_t i = 1; i < decl_.targets.size(); ++i) {
      error(decl_.targets[i].nameRange, fmt::format("model '{}' declares its targets twice", decl_.name));
      note(decl_.targets[0].nameRange, "first declared here");
    }
    if (decl_.targets.empty()) return;
    const ast::InputDecl& target = decl_.targets[0];
    if (!claimName(target.name, target.nameRange)) return;
    std::optional<double> size = declaredSize(target, "target", "columns");
    if (!size) return;
    target_ = &target;
    out_.targetSize = static_cast<int64_t>(*size);
  }

  // layer NAME = dense(UNITS, ...); its weights are made at its first
  // application, which fixes its input size.
  void declareSharedLayers() {
    for (const ast::LayerDecl& layer : decl_.sharedLayers) {
      if (!claimName(layer.name, layer.nameRange)) continue;
      // Its weights are counted at its first application, which fixes its
      // inputs; here only whether its size can fit at all.
      double uncounted = 0;
      std::optional<double> units = layers_.units(layer, layer.name, std::nullopt, uncounted);
      double written = layer.units.value;  // (a size that is not a positive integer was reported by units())
      if (!units && std::isfinite(written) && written == std::floor(written) &&
          written > static_cast<double>(kMaxParameters)) {
        error(layer.units.range, fmt::format("layer '{}' has {} units; nnc allows at most {} (2^31) parameters per "
                                             "layer",
                                             layer.name, layer.units.text, kMaxParameters));
      }
      std::optional<LayerDef> def = layers_.check(layer, layer.name, units, parameters_);
      if (!def) {
        failed_.insert(layer.name);
        continue;
      }
      out_.layers.push_back(std::move(*def));
      shared_[layer.name] = {out_.layers.size() - 1, std::nullopt, &layer};
    }
  }

  // Every value's name, so that a use before the definition can say where
  // the definition is.
  void declareValueNames() {
    for (size_t i = 0; i < decl_.values.size(); ++i) {
      const ast::ValueDecl& value = decl_.values[i];
      if (claimName(value.name, value.nameRange)) statementOf_[value.name] = i;
    }
  }

  bool claimName(const std::string& name, SourceRange range) {
    auto [first, inserted] = nameRanges_.emplace(name, range);
    if (inserted) userNames_.push_back(name);
    if (!inserted) {
      error(range, fmt::format("'{}' is defined twice in model '{}'", name, decl_.name));
      note(first->second, "first definition is here");
    }
    return inserted;
  }

  size_t add(ValueDef value) {
    out_.values.push_back(std::move(value));
    used_.push_back(false);
    return out_.values.size() - 1;
  }

  size_t use(size_t index) {
    used_[index] = true;
    return index;
  }

  // A name for a value the user did not name: a layer inside a formula
  // (`g = swiglu(dense(h, 256), dense(h, 256))` has layers g_dense1 and
  // g_dense2, whose weights are g_dense1.weight, ...).
  std::string generatedName(const std::string& kind) {
    const std::string& owner = decl_.values[statement_].name;
    for (;;) {
      std::string name = fmt::format("{}_{}{}", owner, kind, ++generated_[owner + kind]);
      if (!nameRanges_.count(name)) {
        nameRanges_.emplace(name, decl_.values[statement_].nameRange);
        return name;
      }
    }
  }

  // A generated name for the value an unnamed operand `e` computes: by
  // what it is (g_dense1, g_concat1, g_value1).
  std::string nameFor(const ast::Expr& e) {
    if (e.kind == ast::Expr::Kind::Dense) return generatedName("dense");
    if (e.kind == ast::Expr::Kind::Call && isGraphOp(e.text)) return generatedName(e.text);
    if (e.kind == ast::Expr::Kind::Call && shared_.count(e.text)) return generatedName(e.text);
    return generatedName("value");
  }

  // `name`, or for an unnamed operand (""), a generated one.
  std::string nameOr(const std::string& name, const ast::Expr& e) { return name.empty() ? nameFor(e) : name; }

  // The value `e` computes; a new value it makes is named `name` (or, if
  // that is "", gets a generated name). Empty after an error.
  std::optional<size_t> valueOf(const ast::Expr& e, const std::string& name, SourceRange range) {
    return isOperand(e) ? operand(e, name) : formula(e, name, range);
  }

  static bool isGraphOp(const std::string& name) {
    return name == "concat" || name == "slice" || name == "softmax" || name == "layernorm" || isTensorOp(name);
  }

  bool isModelName(const std::string& name) const {
    return defined_.count(name) || failed_.count(name) || shared_.count(name) || statementOf_.count(name) ||
           (target_ && name == target_->name);
  }

  // Whether `e` stands for a value of its own rather than for part of an
  // elementwise formula: a model's name, a dense layer, a shared layer's
  // application, concat(...), slice(...), softmax(...), layernorm(...).
  bool isOperand(const ast::Expr& e) const {
    switch (e.kind) {
      case ast::Expr::Kind::Dense: return true;
      case ast::Expr::Kind::Name: return isModelName(e.text);
      case ast::Expr::Kind::Call: return shared_.count(e.text) || failed_.count(e.text) || isGraphOp(e.text);
      case ast::Expr::Kind::Number:
      case ast::Expr::Kind::Unary:
      case ast::Expr::Kind::Binary: return false;
    }
    return false;
  }

  // The value of an operand (isOperand); empty after an error.
  std::optional<size_t> operand(const ast::Expr& e, const std::string& name) {
    if (e.kind == ast::Expr::Kind::Dense) return dense(e, name);
    if (e.kind == ast::Expr::Kind::Name) return namedValue(e);
    if (failed_.count(e.text)) return std::nullopt;  // a shared layer whose declaration failed, and said why
    if (shared_.count(e.text)) return applyShared(e, name);
    return graphOp(e, name);
  }

  // A model's name used as a value: the value, or empty after an error
  // (used before its definition, a layer or the targets named as a value).
  std::optional<size_t> namedValue(const ast::Expr& e) {
    if (auto found = defined_.find(e.text); found != defined_.end()) return use(found->second);
    if (failed_.count(e.text)) return std::nullopt;  // (reported)
    if (target_ && e.text == target_->name) {
      error(e.range, fmt::format("'{}' holds the targets: only the loss reads them (loss mse(out, {}))", e.text,
                                 e.text));
      return std::nullopt;
    }
    if (shared_.count(e.text)) {
      error(e.range, fmt::format("'{}' is a layer, not a value; apply it to one: {}(x)", e.text, e.text));
      return std::nullopt;
    }
    size_t statement = statementOf_.at(e.text);
    if (statement == statement_) {
      error(e.range, fmt::format("value '{}' is defined in terms of itself", e.text));
    } else if (statement > statement_) {
      error(e.range, fmt::format("'{}' is used before it is defined; a value must be defined before it is used "
                                 "(so that a model has no cycles)",
                                 e.text));
      note(decl_.values[statement].nameRange, "defined here");
    }
    // (An earlier statement that is not defined failed, and reported its own errors.)
    return std::nullopt;
  }

  // dense(INPUT, UNITS, ACTIVATIONS...)
  std::optional<size_t> dense(const ast::Expr& e, const std::string& wanted) {
    std::optional<size_t> input = valueOf(*e.operands[0], "", e.operands[0]->range);
    bool readable = input && features(*input, *e.operands[0], "a dense layer");
    std::optional<double> fanIn;
    if (readable) fanIn = static_cast<double>(out_.values[*input].width);
    std::string name = nameOr(wanted, e);
    std::optional<double> units = layers_.units(*e.layer, name, fanIn, parameters_);
    std::optional<LayerDef> layer = layers_.check(*e.layer, name, units, parameters_);
    if (!readable || !layer) return std::nullopt;
    out_.layers.push_back(std::move(*layer));
    ValueDef value = ValueDef::of(ValueDef::Kind::Dense, name, e.range, out_.layers.back().units, {use(*input)});
    value.layer = out_.layers.size() - 1;
    return add(std::move(value));
  }

  // NAME(VALUE) for a shared layer: the same weights at every application.
  std::optional<size_t> applyShared(const ast::Expr& e, const std::string& wanted) {
    SharedLayer& shared = shared_.at(e.text);
    shared.applied = true;
    if (e.operands.size() != 1 || !e.argumentNames[0].empty()) {
      error(e.range, fmt::format("layer '{}' takes one value, e.g. {}(x)", e.text, e.text));
      return std::nullopt;
    }
    std::optional<size_t> input = valueOf(*e.operands[0], "", e.operands[0]->range);
    if (!input || !features(*input, *e.operands[0], fmt::format("layer '{}'", e.text))) return std::nullopt;
    const LayerDef& layer = out_.layers[shared.layer];
    int64_t width = out_.values[*input].width;
    if (!shared.inputWidth) {
      shared.inputWidth = width;
      std::optional<double> counted = layers_.units(*shared.decl, layer.name, static_cast<double>(width), parameters_);
      if (!counted) return std::nullopt;
    } else if (*shared.inputWidth != width) {
      error(e.range, fmt::format("layer '{}' is applied to {} here, but to {} before; its weights fix the size of "
                                 "what it reads",
                                 e.text, shapeText(width), shapeText(*shared.inputWidth)));
      return std::nullopt;
    }
    ValueDef value = ValueDef::of(ValueDef::Kind::Dense, nameOr(wanted, e), e.range, layer.units, {use(*input)});
    value.layer = shared.layer;
    return add(std::move(value));
  }

  // Whether `value` (written as `e`) is features [N, F], as what `reader`
  // reads must be; reports an image.
  bool features(size_t value, const ast::Expr& e, const std::string& reader) {
    const ValueDef& v = out_.values[value];
    if (v.image.empty()) return true;
    error(e.range, fmt::format("{} reads features [N, F], but '{}' is an image {}; flatten it first: flatten({})",
                               reader, v.name, shapeText(v), v.name));
    return false;
  }

  // conv2d(x, ...), max_pool2d(x, ...), flatten(x), ... (frontend/TensorOpSema.h)
  std::optional<size_t> tensorOp(const ast::Expr& e, const std::string& wanted) {
    if (e.operands.empty() || !e.argumentNames[0].empty()) {
      error(e.range, fmt::format("'{}' reads a value first, e.g. {}(x, ...)", e.text, e.text));
      return std::nullopt;
    }
    std::optional<size_t> input = valueOf(*e.operands[0], "", e.operands[0]->range);
    if (!input) return std::nullopt;
    std::optional<ValueDef> value = checkTensorOp(e, out_.values[*input], parameters_, source_, ctx_, diags_);
    if (!value) return std::nullopt;
    if (value->kind == ValueDef::Kind::Embedding && dependsOnParameters(*input)) {
      error(e.operands[0]->range, fmt::format("embedding reads indices from the data, but '{}' is computed from "
                                              "trained parameters",
                                              out_.values[*input].name));
      return std::nullopt;
    }
    value->name = nameOr(wanted, e);
    value->operands = {use(*input)};
    return add(std::move(*value));
  }

  // concat(a, b, ...), slice(v, first, end), softmax(v), layernorm(v)
  std::optional<size_t> graphOp(const ast::Expr& e, const std::string& wanted) {
    if (isTensorOp(e.text)) return tensorOp(e, wanted);
    for (size_t i = 0; i < e.argumentNames.size(); ++i)
      if (!e.argumentNames[i].empty()) {
        error(e.argumentNameRanges[i], fmt::format("'{}' takes no named arguments", e.text));
        return std::nullopt;
      }
    size_t arity = e.text == "slice" ? 3 : e.text == "softmax" || e.text == "layernorm" ? 1 : 0;
    if (arity ? e.operands.size() != arity : e.operands.size() < 2) {
      std::string takes = e.text == "slice" ? "a value and the range of its features to keep: slice(v, 0, 128)"
                          : arity == 1      ? "one value"
                                            : "two or more values";
      error(e.range, fmt::format("'{}' takes {}, but {} argument{} given", e.text, takes, e.operands.size(),
                                 e.operands.size() == 1 ? " was" : "s were"));
      return std::nullopt;
    }
    if (e.text == "concat") {
      ValueDef value = ValueDef::of(ValueDef::Kind::Concat, "", e.range, 0);
      bool ok = true;
      for (const ast::ExprPtr& operand : e.operands) {
        std::optional<size_t> part = valueOf(*operand, "", operand->range);
        if (part && !features(*part, *operand, "concat")) part.reset();
        if (!part) {
          ok = false;
          continue;
        }
        value.operands.push_back(use(*part));
        value.width += out_.values[*part].width;
      }
      if (!ok) return std::nullopt;
      value.name = nameOr(wanted, e);
      return add(std::move(value));
    }
    std::optional<size_t> operand = valueOf(*e.operands[0], "", e.operands[0]->range);
    if (!operand || !features(*operand, *e.operands[0], fmt::format("'{}'", e.text))) return std::nullopt;
    int64_t width = out_.values[*operand].width;
    if (e.text == "softmax")
      return add(ValueDef::of(ValueDef::Kind::Softmax, nameOr(wanted, e), e.range, width, {use(*operand)}));
    if (e.text == "layernorm")
      return add(ValueDef::of(ValueDef::Kind::LayerNorm, nameOr(wanted, e), e.range, width, {use(*operand)}));
    std::optional<double> first = columnIndex(*e.operands[1], "the first feature of the slice");
    std::optional<double> end = columnIndex(*e.operands[2], "the end of the slice");
    if (!first || !end) return std::nullopt;
    if (!(*first < *end && *end <= static_cast<double>(width))) {
      error(e.range, fmt::format("slice({}, {}, {}) is not a range of {}'s {} features: it needs 0 <= first < end "
                                 "<= {}",
                                 out_.values[*operand].name, *first, *end, out_.values[*operand].name, width, width));
      return std::nullopt;
    }
    ValueDef value = ValueDef::of(ValueDef::Kind::Slice, nameOr(wanted, e), e.range,
                                  static_cast<int64_t>(*end - *first), {use(*operand)});
    value.firstColumn = static_cast<int64_t>(*first);
    return add(std::move(value));
  }

  std::optional<double> columnIndex(const ast::Expr& e, const std::string& what) {
    std::optional<double> value = analyzeConstant(e, what, source_, ctx_, diags_);
    if (!value) return std::nullopt;
    if (*value < 0 || *value != std::floor(*value)) {
      error(e.range, fmt::format("{} must be a whole number, at least 0; found {}", what, *value));
      return std::nullopt;
    }
    return value;
  }

  // An elementwise formula of values: `h + r`, `swiglu(a, b)`, `relu(h)`.
  std::optional<size_t> formula(const ast::Expr& e, const std::string& wanted, SourceRange range) {
    std::string name = nameOr(wanted, e);
    size_t errorsBefore = diags_.errorCount();
    std::vector<size_t> operands;
    std::map<const ast::Expr*, size_t> leaves;  // the tensor operands written in `e`
    bool operandFailed = false;                 // (its errors are reported)
    TensorOperandResolver resolve = [&](const ast::Expr& leaf) -> std::optional<std::string> {
      if (!isOperand(leaf)) return std::nullopt;
      std::optional<size_t> value = operand(leaf, "");
      if (!value) {
        operandFailed = true;
        return "?";  // the formula is dropped
      }
      leaves[&leaf] = *value;
      if (std::find(operands.begin(), operands.end(), *value) == operands.end()) operands.push_back(*value);
      return out_.values[*value].name;
    };
    FormulaResult result = analyzeTensorFormula(e, source_, &scope_.activations, fmt::format("value '{}'", name),
                                                userNames_, resolve, ctx_, diags_);
    if (diags_.errorCount() != errorsBefore || !result.expr || operandFailed) return std::nullopt;
    shapeOf(e, leaves);
    if (diags_.errorCount() != errorsBefore) return std::nullopt;
    if (operands.empty()) {
      error(range, fmt::format("value '{}' is a constant: it depends on no input or value of the model", name));
      return std::nullopt;
    }
    bool alias = result.expr->op() == ir::Op::Var && operands.size() == 1 &&
                 result.expr->name() == out_.values[operands[0]].name;
    if (alias) return operands[0];  // `y = h` names h again
    ValueDef value = ValueDef::of(ValueDef::Kind::Formula, name, e.range, out_.values[operands[0]].width, operands);
    value.image = out_.values[operands[0]].image;
    for (size_t operand : operands) value.vars.push_back(out_.values[operand].name);
    value.formula = result.expr;
    // One call of a declared activation on values: exporters name the
    // formula after it (an ONNX function `prelu`).
    bool oneCall = e.kind == ast::Expr::Kind::Call && scope_.activations.activation(e.text) &&
                   std::all_of(e.operands.begin(), e.operands.end(),
                               [&](const ast::ExprPtr& argument) { return leaves.count(argument.get()) > 0; });
    if (oneCall) value.activation = e.text;
    // `NAME = f(v), per_unit;`: the statement's own formula learns one of
    // each parameter per unit (an image's channel, else a feature).
    const ast::ValueDecl& statement = decl_.values[statement_];
    bool perUnit = statement.perUnit && name == statement.name;
    for (const ParameterDef& p : result.liftedParameters) value.learnable.push_back({p.name, p.defaultValue, perUnit});
    double units = perUnit ? static_cast<double>(value.image.empty() ? value.width : value.image[0]) : 1;
    parameters_ += units * static_cast<double>(value.learnable.size());
    return add(std::move(value));
  }

  // The value whose shape a formula's part has (nullptr: a scalar),
  // reporting where two of different shapes meet.
  const ValueDef* shapeOf(const ast::Expr& e, const std::map<const ast::Expr*, size_t>& leaves) {
    if (auto leaf = leaves.find(&e); leaf != leaves.end()) return &out_.values[leaf->second];
    std::vector<const ValueDef*> shapes;
    for (const ast::ExprPtr& operand : e.operands) shapes.push_back(shapeOf(*operand, leaves));
    const ValueDef* common = nullptr;
    for (const ValueDef* shape : shapes) {
      if (!shape) continue;
      if (common && shape->shape() != common->shape()) {
        std::string what = e.kind == ast::Expr::Kind::Binary ? fmt::format("'{}'", ir::opInfo(e.op).spelling)
                                                             : fmt::format("'{}'", e.text);
        error(e.range, fmt::format("{} combines values of different shapes, {} and {}; elementwise operations need "
                                   "equal shapes",
                                   what, shapeText(*common), shapeText(*shape)));
        return common;
      }
      common = shape;
    }
    return common;
  }

  // loss KIND(VALUE);
  void checkLossValue(const ast::LossDecl& loss) {
    if (loss.value.empty()) {
      error(loss.kindRange, fmt::format("say which value the loss reads, e.g. loss {}(out);", loss.kind));
      return;
    }
    if (auto found = defined_.find(loss.value); found != defined_.end()) {
      out_.output = use(found->second);
      const ValueDef& value = out_.values[out_.output];
      if (!value.image.empty()) {
        error(loss.valueRange, fmt::format("the loss reads '{}', an image {}; it reads features [N, C]: flatten it or "
                                           "pool it (global_avg_pool({}))",
                                           value.name, shapeText(value), value.name));
        return;
      }
      checkLossTarget(loss);
      return;
    }
    if (statementOf_.count(loss.value) || failed_.count(loss.value)) return;  // its definition failed, and said why
    std::vector<std::string> names;
    for (const auto& [known, _] : defined_) names.push_back(known);
    std::string message = fmt::format("unknown value '{}'", loss.value);
    if (auto suggestion = closestSpelling(loss.value, names)) message += fmt::format("; did you mean '{}'?", *suggestion);
    error(loss.valueRange, message);
  }

  // loss KIND(VALUE, TARGET): the declared targets, as wide as the value.
  void checkLossTarget(const ast::LossDecl& loss) {
    if (loss.target.empty()) {
      if (target_)
        error(loss.kindRange, fmt::format("say which targets the loss compares '{}' with: loss {}({}, {});",
                                          loss.value, loss.kind, loss.value, target_->name));
      return;
    }
    if (failed_.count(loss.target)) return;  // (reported)
    if (!target_ || loss.target != target_->name) {
      std::string message = fmt::format("'{}' is not the model's targets", loss.target);
      message += target_ ? fmt::format("; they are '{}'", target_->name)
                         : fmt::format("; declare them: target {}[N];", loss.target);
      error(loss.targetRange, message);
      return;
    }
    int64_t width = out_.values[out_.output].width;
    if (width != out_.targetSize)
      error(loss.valueRange, fmt::format("the loss compares '{}' ({}) with the targets '{}' ({}); they need the "
                                         "same size",
                                         loss.value, shapeText(width), loss.target, shapeText(out_.targetSize)));
  }

  // Values come after their operands, so one pass in order decides it.
  bool dependsOnParameters(size_t value) const {
    std::vector<bool> depends(out_.values.size(), false);
    for (size_t i = 0; i <= value; ++i) {
      const ValueDef& v = out_.values[i];
      depends[i] = v.kind == ValueDef::Kind::Dense || v.kind == ValueDef::Kind::Conv2d ||
                   v.kind == ValueDef::Kind::LayerNorm || v.kind == ValueDef::Kind::BatchNorm ||
                   v.kind == ValueDef::Kind::Embedding || !v.learnable.empty();
      for (size_t operand : v.operands) depends[i] = depends[i] || depends[operand];
    }
    return depends[value];
  }

  // In the order written (inputs first); generated values are always used.
  void reportUnused() {
    for (const ast::LayerDecl& layer : decl_.sharedLayers)
      if (auto found = shared_.find(layer.name); found != shared_.end() && !found->second.applied)
        diags_.warning(&source_, layer.nameRange, fmt::format("layer '{}' is never applied", layer.name));
    for (size_t i = 0; i < out_.values.size(); ++i) {
      const std::string& name = out_.values[i].name;
      auto named = defined_.find(name);
      if (used_[i] || named == defined_.end() || named->second != i) continue;
      diags_.warning(&source_, nameRanges_.at(name),
                     fmt::format("value '{}' is never used: nothing the loss reads depends on it", name));
    }
  }

  const ast::ModelDecl& decl_;
  ModelDef& out_;
  const ActivationScope& scope_;
  const SourceBuffer& source_;
  ir::ExprContext& ctx_;
  Diagnostics& diags_;
  DenseLayerChecker layers_;
  double parameters_ = 0;
  size_t statement_ = 0;                          // the value being checked
  std::map<std::string, SourceRange> nameRanges_;  // every name taken: inputs, values, generated
  std::vector<std::string> userNames_;            // the names written: inputs, layers, values
  std::set<std::string> failed_;                  // inputs and layers whose declarations failed
  const ast::InputDecl* target_ = nullptr;        // target NAME[SIZE], if declared (and valid)
  std::map<std::string, size_t> statementOf_;     // value name -> its statement
  std::map<std::string, size_t> defined_;         // name -> value, once checked
  std::map<std::string, int> generated_;
  std::vector<bool> used_;                        // per value: read by another, or by the loss
  struct SharedLayer {
    size_t layer;                         // in out_.layers
    std::optional<int64_t> inputWidth;    // fixed by its first application
    const ast::LayerDecl* decl;
    bool applied = false;
  };
  std::map<std::string, SharedLayer> shared_;  // layer NAME = dense(...);
};

}  // namespace

std::optional<ModelDef> checkGraphModel(const ast::ModelDecl& decl, ModelDef out, const ast::LossDecl* loss,
                                        const ActivationScope& scope, const SourceBuffer& source,
                                        ir::ExprContext& ctx, Diagnostics& diags) {
  if (!GraphModelChecker(decl, out, scope, source, ctx, diags).run(loss)) return std::nullopt;
  return out;
}

}  // namespace nnc::frontend
