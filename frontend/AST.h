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
struct LayerDecl;

struct Expr {
  // Dense: a dense layer applied to operands[0], in a model's value (the
  // layer's size and activations in `layer`; its name is the caller's).
  enum class Kind { Number, Name, Unary, Binary, Call, Dense };
  Kind kind;
  SourceRange range;        // the number, name, operator or callee name
  double number = 0;        // Number (inf if too large for a double)
  std::string text;         // Number: as written; Name and Call: the name
  ir::Op op = ir::Op::Add;  // Unary (Neg) and Binary: the operator
  std::vector<ExprPtr> operands;     // Unary: 1, Binary: 2, Call: the arguments
  std::vector<std::string> argumentNames;  // Call: "" for positional arguments
  std::vector<SourceRange> argumentNameRanges;
  std::unique_ptr<LayerDecl> layer;  // Dense
};

struct Parameter {
  std::string name;
  SourceRange range;
  bool learnable = false;
  ExprPtr defaultValue;
};

// activation NAME(INPUT, OTHER_INPUTS...; PARAMETERS) = BODY;
struct ActivationDecl {
  std::string name;
  SourceRange nameRange;
  std::string input;
  SourceRange inputRange;
  std::vector<std::pair<std::string, SourceRange>> otherInputs;  // a gate's further inputs: swiglu(a, b)
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

// dense NAME(UNITS, ACTIVATIONS..., per_unit); or, in a value,
// dense(INPUT, UNITS, ACTIVATIONS..., per_unit) (the name is the value's).
struct LayerDecl {
  std::string name;
  SourceRange nameRange;
  NumberLiteral units;
  std::vector<LayerActivationUse> activations;
  std::vector<SourceRange> perUnitFlags;  // each `per_unit` written (more than one is an error)
};

// input NAME[SIZE]; or an image, input NAME[CHANNELS, HEIGHT, WIDTH];
struct InputDecl {
  std::string name;
  SourceRange nameRange;
  NumberLiteral size;                     // the features, or the image's channels
  std::vector<NumberLiteral> imageSides;  // an image's height and width (empty: features)
};

// NAME = VALUE; in a model: a named value of the graph.
struct ValueDecl {
  std::string name;
  SourceRange nameRange;
  ExprPtr value;
  std::optional<SourceRange> perUnit;  // `NAME = f(v), per_unit;`: learnable parameters per unit (an image's channel)
};

// loss KIND; (a stack's output), loss KIND(VALUE); or loss KIND(VALUE, TARGET);
struct LossDecl {
  std::string kind;
  SourceRange kindRange;
  std::string value;   // "" when not given
  SourceRange valueRange;
  std::string target;  // "" when not given: class labels
  SourceRange targetRange;
};

// model NAME { ... }: a stack (input N; dense ...; loss NAME;) or a graph of
// named values (input x[N]; h = dense(x, ...); loss NAME(h);). Items may
// come in any order and are kept as written, so Sema can say which one is
// missing or repeated; values in the order written.
struct ModelDecl {
  std::string name;
  SourceRange nameRange;
  std::vector<NumberLiteral> inputs;
  std::vector<LayerDecl> layers;
  std::vector<InputDecl> namedInputs;
  std::vector<InputDecl> targets;       // target NAME[SIZE]; real-valued targets (at most one)
  std::vector<ValueDecl> values;
  std::vector<LayerDecl> sharedLayers;  // layer NAME = dense(UNITS, ...); applied by name: NAME(x)
  std::vector<LossDecl> losses;
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
