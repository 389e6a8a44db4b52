#pragma once
// The AST: what the user wrote, owned, with source ranges, free of ANTLR
// types. Built by Parser.cpp; checked and lowered to the Expr IR by Sema.cpp
// (activations) and ModelSema.cpp (imports, models and train blocks).
#include <memory>
#include <optional>
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

// import "PATH";
struct ImportDecl {
  std::string path;    // as written, without the quotes
  SourceRange range;   // the quoted path
};

// A number in a model or a train setting, with its sign: `784`, `-1`, `0.5`.
struct NumberLiteral {
  double value = 0;    // inf if too large for a double
  std::string text;    // as written, sign included
  SourceRange range;
};

// One activation of a dense layer: NAME or NAME(ARGUMENTS), and in a mixed
// layer the units it covers (`relu: 128`).
struct LayerActivationUse {
  ExprPtr call;  // a Call whose operands are parameter values (no input)
  std::optional<NumberLiteral> units;
};

// dense NAME(UNITS, ACTIVATIONS..., per_unit);
struct LayerDecl {
  std::string name;
  SourceRange nameRange;
  NumberLiteral units;
  std::vector<LayerActivationUse> activations;
  std::vector<SourceRange> perUnitFlags;  // each `per_unit` written (more than one is an error)
};

// model NAME { input N; dense ...; loss NAME; }. Items may come in any order
// and are kept as written, so Sema can say which one is missing or repeated.
struct ModelDecl {
  std::string name;
  SourceRange nameRange;
  std::vector<NumberLiteral> inputs;
  std::vector<LayerDecl> layers;
  std::vector<std::pair<std::string, SourceRange>> losses;
};

// The right side of a train setting: a number, a quoted string, or
// NAME(ARGUMENTS) (NAME alone: no arguments).
struct SettingArgument;
struct SettingValue {
  enum class Kind { Number, String, Call };
  Kind kind = Kind::Number;
  NumberLiteral number;                  // Number
  std::string text;                      // String: the contents; Call: the name
  SourceRange range;                     // the number, the quoted string, or the name
  std::vector<SettingArgument> arguments;  // Call
};

// An argument of a setting's call, by position or by name: idx("a", "b"), adam(lr = 0.001).
struct SettingArgument {
  std::string name;  // "" when positional
  SourceRange nameRange;
  SettingValue value;
};

// KEY = VALUE;
struct Setting {
  std::string key;
  SourceRange keyRange;
  SettingValue value;
};

// train MODEL { SETTINGS }
struct TrainDecl {
  std::string model;
  SourceRange modelRange;
  SourceRange range;  // the `train` keyword
  std::vector<Setting> settings;
};

struct File {
  std::vector<ActivationDecl> activations;
  std::vector<ImportDecl> imports;
  std::vector<ModelDecl> models;
  std::vector<TrainDecl> trainings;
};

}  // namespace nnc::ast
