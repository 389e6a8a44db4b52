#pragma once
// The Expr IR: scalar formulas as immutable, hash-consed DAG nodes owned by an
// ExprContext. Building the same node twice returns the same pointer, so
// structural equality is pointer equality and common subexpressions are
// shared for free (sigmoid(x) in a formula and its derivative is one node).
#include <array>
#include <cstdint>
#include <deque>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>

namespace nnc::ir {

enum class Op : uint8_t {
#define NNC_OP(Name) Name,
#include "ir/Ops.def"
};

enum class OpKind : uint8_t { Leaf, Infix, Prefix, Compare, Function };

struct OpInfo {
  Op op;
  OpKind kind;
  const char* name;      // enum spelling, for dumps: "Mul"
  const char* spelling;  // source spelling: "*", "sigmoid"
  int arity;
  int precedence;        // for operators; calls and leaves bind tightest
  const char* libm;      // C math function lowering it, or "" (see Ops.def)
};

const OpInfo& opInfo(Op op);
// The function op spelled `name` in source ("exp", "max", ...), if any.
std::optional<Op> functionNamed(std::string_view name);
// Every function spelling, for suggestions and completion.
std::span<const OpInfo* const> functionOps();

class Expr {
public:
  Op op() const { return op_; }
  const OpInfo& info() const { return opInfo(op_); }
  // The value of a Const node.
  double value() const { return value_; }
  // The name of a Var node.
  const std::string& name() const { return name_; }
  size_t numOperands() const { return numOperands_; }
  const Expr* operand(size_t i) const { return operands_[i]; }
  std::span<const Expr* const> operands() const { return {operands_.data(), numOperands_}; }
  // Structural hash: the same for the same formula in any run or context.
  size_t hash() const { return hash_; }
  // Longest path to a leaf (a leaf has height 1); bounds recursion.
  uint32_t height() const { return height_; }
  // Nodes in the formula written out as a tree (shared nodes counted at each
  // use), saturating at UINT32_MAX: the size of its printed form.
  uint32_t treeSize() const { return treeSize_; }

  bool isConst() const { return op_ == Op::Const; }
  bool isConst(double v) const { return op_ == Op::Const && value_ == v; }
  bool isVar() const { return op_ == Op::Var; }
  bool isVar(std::string_view n) const { return op_ == Op::Var && name_ == n; }

private:
  friend class ExprContext;
  Op op_ = Op::Const;
  uint8_t numOperands_ = 0;
  uint32_t height_ = 1;
  uint32_t treeSize_ = 1;
  double value_ = 0;
  std::string name_;
  std::array<const Expr*, 3> operands_{};
  size_t hash_ = 0;
};

using ExprRef = const Expr*;

// Owns and interns Expr nodes. Not thread-safe: one context per thread.
class ExprContext {
public:
  ExprContext() = default;
  ExprContext(const ExprContext&) = delete;
  ExprContext& operator=(const ExprContext&) = delete;

  ExprRef constant(double value);
  ExprRef var(std::string_view name);
  // An op node; operands must match the op's arity.
  ExprRef make(Op op, std::initializer_list<ExprRef> operands);
  ExprRef make(Op op, std::span<const ExprRef> operands);

  size_t size() const { return nodes_.size(); }

private:
  ExprRef intern(Expr&& node);
  struct Hash {
    size_t operator()(const Expr* e) const { return e->hash(); }
  };
  struct Same {
    bool operator()(const Expr* a, const Expr* b) const;
  };
  std::deque<Expr> nodes_;
  std::unordered_set<const Expr*, Hash, Same> interned_;
};

// A deterministic total order on formulas (by structure, never by address),
// used to put sums and products in canonical order.
int compareExprs(ExprRef a, ExprRef b);

// Number of distinct nodes in the DAG under `e`.
size_t dagSize(ExprRef e);
// True if `e` mentions the variable `name`.
bool dependsOn(ExprRef e, std::string_view name);
// Replace every Var named in `bindings` by its expression.
struct Binding {
  std::string name;
  ExprRef value;
};
ExprRef substitute(ExprContext& ctx, ExprRef e, std::span<const Binding> bindings);
// The same formula rebuilt in another context.
ExprRef copyInto(ExprContext& ctx, ExprRef e);

}  // namespace nnc::ir
