#pragma once
// Helpers shared by the unit tests: parse formulas and files the way the
// CLI does, failing the test with the rendered diagnostics if they are bad.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "frontend/Parser.h"
#include "frontend/Sema.h"
#include "ir/Expr.h"

namespace nnc::test {

// A formula in x; free names become parameters. Null (and a test failure)
// if it does not parse.
inline ir::ExprRef parseExpr(ir::ExprContext& ctx, const std::string& text,
                             const frontend::Module* library = nullptr) {
  SourceBuffer source("<formula>", text);
  Diagnostics diags;
  ast::ExprPtr ast = frontend::parseFormula(source, diags);
  if (!ast) {
    ADD_FAILURE() << "cannot parse '" << text << "':\n" << diags.render();
    return nullptr;
  }
  frontend::FormulaResult result = frontend::analyzeFormula(*ast, source, library, "x", ctx, diags);
  if (!result.expr) ADD_FAILURE() << "cannot check '" << text << "':\n" << diags.render();
  return result.expr;
}

// Diagnostics for a formula that should be rejected.
inline std::string formulaErrors(const std::string& text) {
  ir::ExprContext ctx;
  SourceBuffer source("<formula>", text);
  Diagnostics diags;
  if (ast::ExprPtr ast = frontend::parseFormula(source, diags))
    frontend::analyzeFormula(*ast, source, nullptr, "x", ctx, diags);
  return diags.render();
}

// Diagnostics for .nn file text.
inline std::string fileErrors(const std::string& text) {
  ir::ExprContext ctx;
  SourceBuffer source("test.nn", text);
  Diagnostics diags;
  if (auto file = frontend::parseFile(source, diags)) frontend::analyzeFile(*file, source, ctx, diags);
  return diags.render();
}

inline frontend::Module loadModule(ir::ExprContext& ctx, const std::string& text, const std::string& name = "test.nn") {
  SourceBuffer source(name, text);
  Diagnostics diags;
  auto file = frontend::parseFile(source, diags);
  frontend::Module module;
  if (file) module = frontend::analyzeFile(*file, source, ctx, diags);
  if (diags.hasErrors()) ADD_FAILURE() << diags.render();
  return module;
}

inline std::string readExample(const std::string& name) {
  std::ifstream in(std::string(NNC_EXAMPLES_DIR) + "/" + name);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

inline frontend::Module loadActivations(ir::ExprContext& ctx) {
  return loadModule(ctx, readExample("activations.nn"), "activations.nn");
}

}  // namespace nnc::test
