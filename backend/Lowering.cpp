#include "backend/Lowering.h"

#include <unordered_set>

#include <cmath>
#include <unordered_map>

#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Intrinsics.h>

#include "backend/InlineMath.h"
#include "ir/Expr.h"

namespace nnc::backend {

namespace {

using ir::ExprRef;
using ir::Op;

class KernelBuilder {
public:
  KernelBuilder(llvm::Module& module, const KernelSpec& spec)
      : module_(module), spec_(spec), context_(module.getContext()), b_(context_),
        t_(spec.type == ElementType::F32 ? llvm::Type::getFloatTy(context_) : llvm::Type::getDoubleTy(context_)) {}

  llvm::Function* build(const std::string& name) {
    // The loops live in an always-inlined body whose array pointers are all
    // noalias; the public entry unpacks the pointer arrays and calls it.
    llvm::Function* body = buildBody(name + ".body");
    auto* ptr = llvm::PointerType::get(context_, 0);
    auto* i64 = llvm::Type::getInt64Ty(context_);
    auto* type = llvm::FunctionType::get(llvm::Type::getVoidTy(context_), {i64, i64, i64, ptr, ptr, ptr, ptr}, false);
    auto* entry = llvm::Function::Create(type, llvm::Function::ExternalLinkage, name, module_);
    entry->addFnAttr(llvm::Attribute::NoUnwind);
    b_.SetInsertPoint(llvm::BasicBlock::Create(context_, "entry", entry));
    std::vector<llvm::Value*> args{entry->getArg(0), entry->getArg(1), entry->getArg(2)};
    auto unpack = [&](llvm::Value* array, size_t count, const char* what) {
      for (size_t k = 0; k < count; ++k) {
        llvm::Value* slot = b_.CreateConstInBoundsGEP1_64(ptr, array, k);
        args.push_back(b_.CreateLoad(ptr, slot, what + std::to_string(k)));
      }
    };
    unpack(entry->getArg(3), spec_.inputs.size(), "in");
    unpack(entry->getArg(4), spec_.parameters.size(), "param");
    unpack(entry->getArg(5), spec_.outputs.size(), "out");
    unpack(entry->getArg(6), spec_.columnSums.size(), "sum");
    b_.CreateCall(body, args);
    b_.CreateRetVoid();
    return entry;
  }

private:
  // body(rows, cols, stride, in..., param..., out..., sum...):
  //   for r < rows: for c < cols: i = r*stride + c; ...
  // The inner loop over columns is the one LLVM vectorises.
  llvm::Function* buildBody(const std::string& name) {
    auto* ptr = llvm::PointerType::get(context_, 0);
    auto* i64 = llvm::Type::getInt64Ty(context_);
    size_t arrays = spec_.inputs.size() + spec_.parameters.size() + spec_.outputs.size() + spec_.columnSums.size();
    std::vector<llvm::Type*> parameterTypes{i64, i64, i64};
    parameterTypes.insert(parameterTypes.end(), arrays, ptr);
    auto* type = llvm::FunctionType::get(llvm::Type::getVoidTy(context_), parameterTypes, false);
    auto* f = llvm::Function::Create(type, llvm::Function::InternalLinkage, name, module_);
    f->addFnAttr(llvm::Attribute::AlwaysInline);
    f->addFnAttr(llvm::Attribute::NoUnwind);
    for (unsigned i = 3; i < f->arg_size(); ++i) f->addParamAttr(i, llvm::Attribute::NoAlias);
    unsigned next = 3;
    auto takeArgs = [&](size_t count) {
      std::vector<llvm::Value*> values;
      for (size_t k = 0; k < count; ++k) values.push_back(f->getArg(next++));
      return values;
    };
    std::vector<llvm::Value*> inputs = takeArgs(spec_.inputs.size());
    std::vector<llvm::Value*> params = takeArgs(spec_.parameters.size());
    std::vector<llvm::Value*> outputs = takeArgs(spec_.outputs.size());
    std::vector<llvm::Value*> sums = takeArgs(spec_.columnSums.size());
    llvm::Value *rows = f->getArg(0), *cols = f->getArg(1), *stride = f->getArg(2);

    auto* entry = llvm::BasicBlock::Create(context_, "entry", f);
    auto* rowLoop = llvm::BasicBlock::Create(context_, "row", f);
    auto* columnLoop = llvm::BasicBlock::Create(context_, "column", f);
    auto* rowLatch = llvm::BasicBlock::Create(context_, "row.next", f);
    auto* exit = llvm::BasicBlock::Create(context_, "exit", f);

    // Scalar parameters are loop-invariant: load them once.
    b_.SetInsertPoint(entry);
    for (size_t k = 0; k < spec_.parameters.size(); ++k)
      if (!spec_.parameters[k].perColumn)
        varValues_[spec_.parameters[k].name] = b_.CreateLoad(t_, params[k], spec_.parameters[k].name);
    llvm::Value* nonEmpty = b_.CreateAnd(b_.CreateICmpSGT(rows, b_.getInt64(0)), b_.CreateICmpSGT(cols, b_.getInt64(0)));
    b_.CreateCondBr(nonEmpty, rowLoop, exit);

    b_.SetInsertPoint(rowLoop);
    llvm::PHINode* r = b_.CreatePHI(i64, 2, "r");
    r->addIncoming(b_.getInt64(0), entry);
    llvm::Value* rowStart = b_.CreateMul(r, stride, "row.start", true, true);
    b_.CreateBr(columnLoop);

    b_.SetInsertPoint(columnLoop);
    llvm::PHINode* c = b_.CreatePHI(i64, 2, "c");
    c->addIncoming(b_.getInt64(0), rowLoop);
    llvm::Value* i = b_.CreateAdd(rowStart, c, "i", true, true);
    // Per-element values are per iteration: forget the previous ones.
    values_.clear();
    for (size_t k = 0; k < spec_.inputs.size(); ++k)
      varValues_[spec_.inputs[k]] = b_.CreateLoad(t_, b_.CreateInBoundsGEP(t_, inputs[k], i), spec_.inputs[k]);
    for (size_t k = 0; k < spec_.parameters.size(); ++k)
      if (spec_.parameters[k].perColumn)
        varValues_[spec_.parameters[k].name] =
            b_.CreateLoad(t_, b_.CreateInBoundsGEP(t_, params[k], c), spec_.parameters[k].name);
    for (size_t k = 0; k < spec_.outputs.size(); ++k)
      b_.CreateStore(value(spec_.outputs[k]), b_.CreateInBoundsGEP(t_, outputs[k], i));
    for (size_t k = 0; k < spec_.columnSums.size(); ++k) {
      llvm::Value* slot = b_.CreateInBoundsGEP(t_, sums[k], c);
      b_.CreateStore(b_.CreateFAdd(b_.CreateLoad(t_, slot), value(spec_.columnSums[k])), slot);
    }
    llvm::Value* nextColumn = b_.CreateAdd(c, b_.getInt64(1), "c.next", true, true);
    c->addIncoming(nextColumn, columnLoop);
    b_.CreateCondBr(b_.CreateICmpEQ(nextColumn, cols), rowLatch, columnLoop);

    b_.SetInsertPoint(rowLatch);
    llvm::Value* nextRow = b_.CreateAdd(r, b_.getInt64(1), "r.next", true, true);
    r->addIncoming(nextRow, rowLatch);
    b_.CreateCondBr(b_.CreateICmpEQ(nextRow, rows), exit, rowLoop);

    b_.SetInsertPoint(exit);
    b_.CreateRetVoid();
    return f;
  }

  // Each node is emitted once; later uses reuse the value (the DAG's sharing).
  llvm::Value* value(ExprRef e) {
    if (auto found = values_.find(e); found != values_.end()) return found->second;
    llvm::Value* v = emit(e);
    values_.emplace(e, v);
    return v;
  }

  llvm::Value* constant(double v) { return llvm::ConstantFP::get(t_, v); }

  llvm::Value* emit(ExprRef e) {
    auto a = [&] { return value(e->operand(0)); };
    auto b = [&] { return value(e->operand(1)); };
    switch (e->op()) {
      case Op::Const: return constant(e->value());
      case Op::Var: return varValues_.at(e->name());
      case Op::Add: return b_.CreateFAdd(a(), b());
      case Op::Sub: return b_.CreateFSub(a(), b());
      case Op::Mul: return b_.CreateFMul(a(), b());
      case Op::Div: return b_.CreateFDiv(a(), b());
      case Op::Neg: return b_.CreateFNeg(a());
      case Op::Pow: return power(e);
      case Op::Lt: return compare(llvm::CmpInst::FCMP_OLT, a(), b());
      case Op::Le: return compare(llvm::CmpInst::FCMP_OLE, a(), b());
      case Op::Gt: return compare(llvm::CmpInst::FCMP_OGT, a(), b());
      case Op::Ge: return compare(llvm::CmpInst::FCMP_OGE, a(), b());
      case Op::Eq: return compare(llvm::CmpInst::FCMP_OEQ, a(), b());
      case Op::Ne: return compare(llvm::CmpInst::FCMP_UNE, a(), b());
      case Op::Exp: return exp(a());
      case Op::Expm1:
      case Op::Log:
      case Op::Log1p:
      case Op::Sin:
      case Op::Cos:
      case Op::Tanh:
      case Op::Sinh:
      case Op::Cosh: return libm(e->info().libm, {a()});
      case Op::Erf:
        return spec_.type == ElementType::F32 ? emitErfF32(b_, a()) : libm(e->info().libm, {a()});
      case Op::Sqrt: return b_.CreateUnaryIntrinsic(llvm::Intrinsic::sqrt, a());
      case Op::Abs: return b_.CreateUnaryIntrinsic(llvm::Intrinsic::fabs, a());
      // sign(u): 1, -1, or u itself for 0 and NaN.
      case Op::Sign: {
        llvm::Value* u = a();
        llvm::Value* negative = b_.CreateSelect(b_.CreateFCmpOLT(u, constant(0)), constant(-1), u);
        return b_.CreateSelect(b_.CreateFCmpOGT(u, constant(0)), constant(1), negative);
      }
      // sigmoid(u) = 1/(1 + exp(-u)); exp overflowing to inf gives exactly 0.
      case Op::Sigmoid: {
        llvm::Value* e1 = exp(b_.CreateFNeg(a()));
        return b_.CreateFDiv(constant(1), b_.CreateFAdd(constant(1), e1));
      }
      // softplus(u) = max(u, 0) + log1p(exp(-|u|)): never overflows.
      case Op::Softplus: {
        llvm::Value* u = a();
        llvm::Value* absU = b_.CreateUnaryIntrinsic(llvm::Intrinsic::fabs, u);
        llvm::Value* tail = libm("log1p", {exp(b_.CreateFNeg(absU))});
        return b_.CreateFAdd(select(b_.CreateFCmpOLT(u, constant(0)), constant(0), u), tail);
      }
      // max/min as selects that keep a NaN first operand (ir/Semantics.h).
      case Op::Max: {
        llvm::Value *x = a(), *y = b();
        return select(b_.CreateFCmpOLT(x, y), y, x);
      }
      case Op::Min: {
        llvm::Value *x = a(), *y = b();
        return select(b_.CreateFCmpOLT(y, x), y, x);
      }
      case Op::Where: {
        llvm::Value* condition = b_.CreateFCmpUNE(a(), constant(0));
        return select(condition, b(), value(e->operand(2)));
      }
    }
    return constant(0);
  }

  llvm::Value* select(llvm::Value* c, llvm::Value* t, llvm::Value* f) { return b_.CreateSelect(c, t, f); }

  llvm::Value* compare(llvm::CmpInst::Predicate p, llvm::Value* x, llvm::Value* y) {
    return b_.CreateUIToFP(b_.CreateFCmp(p, x, y), t_);
  }

  // Small integer powers become multiplications (llvm.powi, expanded by the
  // backend), 0.5 a square root, anything else a call to pow.
  llvm::Value* power(ExprRef e) {
    llvm::Value* base = value(e->operand(0));
    ExprRef exponent = e->operand(1);
    if (exponent->isConst()) {
      double k = exponent->value();
      if (k == 0.5) return b_.CreateUnaryIntrinsic(llvm::Intrinsic::sqrt, base);
      if (k == std::trunc(k) && std::abs(k) <= 64) {
        return b_.CreateIntrinsic(llvm::Intrinsic::powi, {t_, b_.getInt32Ty()},
                                  {base, b_.getInt32(static_cast<int32_t>(k))});
      }
    }
    return libm("pow", {base, value(exponent)});
  }

  // exp inline for float kernels (backend/InlineMath.h says why), libm's for
  // double ones.
  llvm::Value* exp(llvm::Value* x) {
    return spec_.type == ElementType::F32 ? emitExpF32(b_, x) : libm("exp", {x});
  }

  // A call to the C math function (expf, tanh, ...), marked as touching no
  // memory so the vectoriser may replace it with its libmvec variant.
  llvm::Value* libm(const std::string& name, std::vector<llvm::Value*> args) {
    std::string symbol = name + (spec_.type == ElementType::F32 ? "f" : "");
    std::vector<llvm::Type*> types(args.size(), t_);
    auto callee = module_.getOrInsertFunction(symbol, llvm::FunctionType::get(t_, types, false));
    auto* f = llvm::cast<llvm::Function>(callee.getCallee());
    f->setDoesNotAccessMemory();
    f->setDoesNotThrow();
    f->setWillReturn();
    return b_.CreateCall(callee, args);
  }

  llvm::Module& module_;
  const KernelSpec& spec_;
  llvm::LLVMContext& context_;
  llvm::IRBuilder<> b_;
  llvm::Type* t_;
  // Current values of the kernel's Vars: inputs and per-column parameters
  // of this iteration, scalar parameters from the entry block.
  std::unordered_map<std::string, llvm::Value*> varValues_;
  std::unordered_map<ExprRef, llvm::Value*> values_;
};

}  // namespace

llvm::Function* lowerKernel(llvm::Module& module, const KernelSpec& spec, const std::string& name) {
  return KernelBuilder(module, spec).build(name);
}

std::string unboundVariableProblem(const KernelSpec& spec) {
  std::unordered_set<std::string> bound(spec.inputs.begin(), spec.inputs.end());
  for (const KernelParameter& p : spec.parameters) bound.insert(p.name);
  std::unordered_set<ir::ExprRef> seen;
  std::vector<ir::ExprRef> pending(spec.outputs.begin(), spec.outputs.end());
  pending.insert(pending.end(), spec.columnSums.begin(), spec.columnSums.end());
  while (!pending.empty()) {
    ir::ExprRef e = pending.back();
    pending.pop_back();
    if (!seen.insert(e).second) continue;
    if (e->op() == ir::Op::Var && !bound.count(e->name()))
      return "internal error: a compiled formula reads '" + e->name() + "', which is neither an input nor a parameter";
    for (ir::ExprRef operand : e->operands()) pending.push_back(operand);
  }
  return "";
}

}  // namespace nnc::backend
