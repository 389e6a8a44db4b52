#pragma once
// The AST: what the user wrote, owned, with source ranges, free of ANTLR
// types. Built by Parser.cpp, checked and lowered to the Expr IR by Sema.cpp.
#include <memory>
#include <string>
#include <vector>

#include "ir/Expr.h"
#include "support/SourceBuffer.h"

namespace nnc::ast {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
  enum class Kind { Number, Name, Unary, Binary, Call };
  Kind kind;
  SourceRange range;        // the number, name, operator or callee name
  double number = 0;        // Number (inf if too large for a double)
  std::string text;         // Number: as written; Name and Call: the name
  ir::Op op = ir::Op::Add;  // Unary (Neg) and Binary: the operator
  std::vector<ExprPtr> operands;     // Unary: 1, Binary: 2, Call: the arguments
  std::vector<std::string> argumentNames;  // Call: "" for positional arguments
  std::vector<SourceRange> argumentNameRanges;
};

struct Parameter {
  std::string name;
  SourceRange range;
  bool learnable = false;
  ExprPtr defaultValue;
};

// activation NAME(INPUT; PARAMETERS) = BODY;
struct ActivationDecl {
  std::string name;
  SourceRange nameRange;
  std::string input;
  SourceRange inputRange;
  std::vector<Parameter> parameters;
  ExprPtr body;
};

struct File {
  std::vector<ActivationDecl> activations;
};

}  // namespace nnc::ast
