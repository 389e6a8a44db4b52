#include "frontend/AstPrinter.h"

#include <fmt/format.h>

#include "ir/Expr.h"

namespace nnc::frontend {

namespace {

class AstPrinter {
public:
  std::string print(const ast::File& file) {
    for (const ast::ImportDecl& import : file.imports) line(0, import.range, fmt::format("import \"{}\"", import.path));
    for (const ast::ActivationDecl& decl : file.activations) activation(decl);
    for (const ast::ModelDecl& decl : file.models) model(decl);
    for (const ast::TrainDecl& decl : file.trainings) training(decl);
    return out_;
  }

private:
  void line(int depth, SourceRange range, const std::string& text) {
    out_ += fmt::format("{}{} <{}:{}>\n", std::string(static_cast<size_t>(depth) * 2, ' '), text, range.begin.line,
                        range.begin.column);
  }

  void activation(const ast::ActivationDecl& decl) {
    std::string inputs = decl.input;
    for (const auto& [other, range] : decl.otherInputs) inputs += ", " + other;
    line(0, decl.nameRange, fmt::format("activation {} (input{} {})", decl.name, decl.otherInputs.empty() ? "" : "s",
                                        inputs));
    for (const ast::Parameter& p : decl.parameters) {
      line(1, p.range, fmt::format("{}parameter {}", p.learnable ? "learnable " : "", p.name));
      if (p.defaultValue) expr(2, *p.defaultValue);
    }
    if (decl.body) expr(1, *decl.body);
  }

  void expr(int depth, const ast::Expr& e) {
    switch (e.kind) {
      case ast::Expr::Kind::Number: line(depth, e.range, "number " + e.text); return;
      case ast::Expr::Kind::Name: line(depth, e.range, "name " + e.text); return;
      case ast::Expr::Kind::Unary:
      case ast::Expr::Kind::Binary: line(depth, e.range, fmt::format("operator {}", ir::opInfo(e.op).spelling)); break;
      case ast::Expr::Kind::Call: line(depth, e.range, "call " + e.text); break;
      case ast::Expr::Kind::Dense:
        line(depth, e.range, fmt::format("dense (units {})", e.layer->units.text));
        expr(depth + 1, *e.operands[0]);
        layerOptions(depth + 1, *e.layer);
        return;
    }
    for (size_t i = 0; i < e.operands.size(); ++i) {
      if (i < e.argumentNames.size() && !e.argumentNames[i].empty())
        line(depth + 1, e.argumentNameRanges[i], "argument " + e.argumentNames[i]);
      expr(depth + (i < e.argumentNames.size() && !e.argumentNames[i].empty() ? 2 : 1), *e.operands[i]);
    }
  }

  void model(const ast::ModelDecl& decl) {
    line(0, decl.nameRange, "model " + decl.name);
    for (const ast::NumberLiteral& input : decl.inputs) line(1, input.range, "input " + input.text);
    for (const ast::InputDecl& input : decl.namedInputs)
      line(1, input.nameRange, fmt::format("input {} (size {})", input.name, input.size.text));
    for (const ast::InputDecl& target : decl.targets)
      line(1, target.nameRange, fmt::format("target {} (size {})", target.name, target.size.text));
    for (const ast::LayerDecl& layer : decl.layers) {
      line(1, layer.nameRange, fmt::format("dense {} (units {})", layer.name, layer.units.text));
      layerOptions(2, layer);
    }
    for (const ast::LayerDecl& layer : decl.sharedLayers) {
      line(1, layer.nameRange, fmt::format("layer {} = dense (units {})", layer.name, layer.units.text));
      layerOptions(2, layer);
    }
    for (const ast::ValueDecl& value : decl.values) {
      line(1, value.nameRange, "value " + value.name);
      expr(2, *value.value);
    }
    for (const ast::LossDecl& loss : decl.losses)
      line(1, loss.kindRange, "loss " + loss.kind + (loss.value.empty() ? "" : " of " + loss.value) +
                                  (loss.target.empty() ? "" : " against " + loss.target));
  }

  void layerOptions(int depth, const ast::LayerDecl& layer) {
    for (const ast::LayerActivationUse& use : layer.activations) {
      if (use.units) line(depth, use.units->range, "units " + use.units->text);
      expr(use.units ? depth + 1 : depth, *use.call);
    }
    for (SourceRange flag : layer.perUnitFlags) line(depth, flag, "per_unit");
  }

  void training(const ast::TrainDecl& decl) {
    line(0, decl.range, "train " + decl.model);
    for (const ast::Setting& setting : decl.settings) {
      line(1, setting.keyRange, "setting " + setting.key);
      value(2, setting.value);
    }
  }

  void value(int depth, const ast::SettingValue& v) {
    switch (v.kind) {
      case ast::SettingValue::Kind::Number: line(depth, v.range, "number " + v.number.text); return;
      case ast::SettingValue::Kind::String: line(depth, v.range, fmt::format("string \"{}\"", v.text)); return;
      case ast::SettingValue::Kind::Call: line(depth, v.range, "call " + v.text); break;
    }
    for (const ast::SettingArgument& argument : v.arguments) {
      if (!argument.name.empty()) line(depth + 1, argument.nameRange, "argument " + argument.name);
      value(depth + (argument.name.empty() ? 1 : 2), argument.value);
    }
  }

  std::string out_;
};

}  // namespace

std::string printAst(const ast::File& file) { return AstPrinter().print(file); }

}  // namespace nnc::frontend
