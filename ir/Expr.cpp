#include "ir/Expr.h"

#include <bit>
#include <cassert>
#include <functional>
#include <unordered_map>
#include <vector>

namespace nnc::ir {

namespace {

constexpr int kCallPrecedence = 5;

constexpr OpInfo kOpTable[] = {
#define NNC_LEAF(Name) {Op::Name, OpKind::Leaf, #Name, "", 0, kCallPrecedence, ""},
#define NNC_INFIX(Name, spelling, precedence) \
  {Op::Name, OpKind::Infix, #Name, spelling, 2, precedence, ""},
#define NNC_PREFIX(Name, spelling, precedence) \
  {Op::Name, OpKind::Prefix, #Name, spelling, 1, precedence, ""},
#define NNC_COMPARE(Name, spelling) {Op::Name, OpKind::Compare, #Name, spelling, 2, 0, ""},
#define NNC_FUNCTION(Name, spelling, arity, libm) \
  {Op::Name, OpKind::Function, #Name, spelling, arity, kCallPrecedence, libm},
#include "ir/Ops.def"
};

std::vector<const OpInfo*> collectFunctionOps() {
  std::vector<const OpInfo*> ops;
  for (const OpInfo& info : kOpTable)
    if (info.kind == OpKind::Function) ops.push_back(&info);
  return ops;
}

// splitmix64's finaliser: every input bit affects every output bit, so
// structurally similar formulas do not collide in the intern table.
size_t mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

size_t combineHash(size_t seed, size_t value) { return mix(seed * 0x9e3779b97f4a7c15ULL + value); }

}  // namespace

const OpInfo& opInfo(Op op) {
  const OpInfo& info = kOpTable[static_cast<size_t>(op)];
  assert(info.op == op && "Ops.def order and the table disagree");
  return info;
}

std::span<const OpInfo* const> functionOps() {
  static const std::vector<const OpInfo*> ops = collectFunctionOps();
  return ops;
}

std::optional<Op> functionNamed(std::string_view name) {
  for (const OpInfo* info : functionOps())
    if (name == info->spelling) return info->op;
  return std::nullopt;
}

bool ExprContext::Same::operator()(const Expr* a, const Expr* b) const {
  if (a->op() != b->op() || a->numOperands() != b->numOperands()) return false;
  if (a->op() == Op::Const) return std::bit_cast<uint64_t>(a->value()) == std::bit_cast<uint64_t>(b->value());
  if (a->op() == Op::Var) return a->name() == b->name();
  for (size_t i = 0; i < a->numOperands(); ++i)
    if (a->operand(i) != b->operand(i)) return false;
  return true;
}

ExprRef ExprContext::intern(Expr&& node) {
  size_t hash = std::hash<uint8_t>()(static_cast<uint8_t>(node.op_));
  if (node.op_ == Op::Const) hash = combineHash(hash, std::hash<uint64_t>()(std::bit_cast<uint64_t>(node.value_)));
  if (node.op_ == Op::Var) hash = combineHash(hash, std::hash<std::string>()(node.name_));
  uint32_t height = 0;
  uint64_t treeSize = 1;
  for (size_t i = 0; i < node.numOperands_; ++i) {
    hash = combineHash(hash, node.operands_[i]->hash());
    height = std::max(height, node.operands_[i]->height());
    treeSize += node.operands_[i]->treeSize();
  }
  node.hash_ = hash;
  node.height_ = height + 1;
  node.treeSize_ = static_cast<uint32_t>(std::min<uint64_t>(treeSize, UINT32_MAX));
  if (auto found = interned_.find(&node); found != interned_.end()) return *found;
  nodes_.push_back(std::move(node));
  ExprRef stored = &nodes_.back();
  interned_.insert(stored);
  return stored;
}

ExprRef ExprContext::constant(double value) {
  Expr node;
  node.op_ = Op::Const;
  // -0 and +0 are one constant: formulas never depend on the sign of zero.
  node.value_ = value == 0 ? 0.0 : value;
  return intern(std::move(node));
}

ExprRef ExprContext::var(std::string_view name) {
  Expr node;
  node.op_ = Op::Var;
  node.name_ = std::string(name);
  return intern(std::move(node));
}

ExprRef ExprContext::make(Op op, std::span<const ExprRef> operands) {
  assert(static_cast<int>(operands.size()) == opInfo(op).arity);
  Expr node;
  node.op_ = op;
  node.numOperands_ = static_cast<uint8_t>(operands.size());
  for (size_t i = 0; i < operands.size(); ++i) node.operands_[i] = operands[i];
  return intern(std::move(node));
}

ExprRef ExprContext::make(Op op, std::initializer_list<ExprRef> operands) {
  return make(op, std::span<const ExprRef>(operands.begin(), operands.size()));
}

int compareExprs(ExprRef a, ExprRef b) {
  if (a == b) return 0;
  if (a->op() != b->op()) return a->op() < b->op() ? -1 : 1;
  if (a->op() == Op::Const) return a->value() < b->value() ? -1 : (a->value() > b->value() ? 1 : 0);
  if (a->op() == Op::Var) return a->name().compare(b->name()) < 0 ? -1 : 1;
  for (size_t i = 0; i < a->numOperands(); ++i)
    if (int c = compareExprs(a->operand(i), b->operand(i))) return c;
  return 0;
}

size_t dagSize(ExprRef root) {
  std::unordered_set<ExprRef> seen;
  std::vector<ExprRef> stack{root};
  while (!stack.empty()) {
    ExprRef e = stack.back();
    stack.pop_back();
    if (!seen.insert(e).second) continue;
    for (ExprRef operand : e->operands()) stack.push_back(operand);
  }
  return seen.size();
}

bool dependsOn(ExprRef root, std::string_view name) {
  std::unordered_set<ExprRef> seen;
  std::vector<ExprRef> stack{root};
  while (!stack.empty()) {
    ExprRef e = stack.back();
    stack.pop_back();
    if (e->isVar(name)) return true;
    if (!seen.insert(e).second) continue;
    for (ExprRef operand : e->operands()) stack.push_back(operand);
  }
  return false;
}

ExprRef substitute(ExprContext& ctx, ExprRef root, std::span<const Binding> bindings) {
  std::unordered_map<ExprRef, ExprRef> memo;
  std::function<ExprRef(ExprRef)> visit = [&](ExprRef e) -> ExprRef {
    if (auto found = memo.find(e); found != memo.end()) return found->second;
    ExprRef result = e;
    if (e->isVar()) {
      for (const Binding& b : bindings)
        if (b.name == e->name()) result = b.value;
    } else if (e->numOperands() > 0) {
      std::array<ExprRef, 3> operands{};
      bool changed = false;
      for (size_t i = 0; i < e->numOperands(); ++i) {
        operands[i] = visit(e->operand(i));
        changed |= operands[i] != e->operand(i);
      }
      if (changed) result = ctx.make(e->op(), std::span<const ExprRef>(operands.data(), e->numOperands()));
    }
    memo.emplace(e, result);
    return result;
  };
  return visit(root);
}

ExprRef copyInto(ExprContext& ctx, ExprRef root) {
  std::unordered_map<ExprRef, ExprRef> memo;
  std::function<ExprRef(ExprRef)> visit = [&](ExprRef e) -> ExprRef {
    if (auto found = memo.find(e); found != memo.end()) return found->second;
    ExprRef copy;
    if (e->isConst()) {
      copy = ctx.constant(e->value());
    } else if (e->isVar()) {
      copy = ctx.var(e->name());
    } else {
      std::array<ExprRef, 3> operands{};
      for (size_t i = 0; i < e->numOperands(); ++i) operands[i] = visit(e->operand(i));
      copy = ctx.make(e->op(), std::span<const ExprRef>(operands.data(), e->numOperands()));
    }
    memo.emplace(e, copy);
    return copy;
  };
  return visit(root);
}

}  // namespace nnc::ir
