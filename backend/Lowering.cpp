#include "backend/Lowering.h"

#include <cmath>
#include <unordered_map>

#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Intrinsics.h>

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
    // The loop lives in an always-inlined body whose pointers are noalias;
    // the public entry unpacks the outputs array and calls it.
    llvm::Function* body = buildBody(name + ".body");
    auto* ptr = llvm::PointerType::get(context_, 0);
    auto* i64 = llvm::Type::getInt64Ty(context_);
    auto* type = llvm::FunctionType::get(llvm::Type::getVoidTy(context_), {i64, ptr, ptr, ptr}, false);
    auto* entry = llvm::Function::Create(type, llvm::Function::ExternalLinkage, name, module_);
    entry->addFnAttr(llvm::Attribute::NoUnwind);
    b_.SetInsertPoint(llvm::BasicBlock::Create(context_, "entry", entry));
    std::vector<llvm::Value*> args{entry->getArg(0), entry->getArg(1), entry->getArg(2)};
    for (size_t k = 0; k < spec_.outputs.size(); ++k) {
      llvm::Value* slot = b_.CreateConstInBoundsGEP1_64(ptr, entry->getArg(3), k);
      args.push_back(b_.CreateLoad(ptr, slot, "out" + std::to_string(k)));
    }
    b_.CreateCall(body, args);
    b_.CreateRetVoid();
    return entry;
  }

private:
  llvm::Function* buildBody(const std::string& name) {
    auto* ptr = llvm::PointerType::get(context_, 0);
    auto* i64 = llvm::Type::getInt64Ty(context_);
    std::vector<llvm::Type*> parameterTypes{i64, ptr, ptr};
    parameterTypes.insert(parameterTypes.end(), spec_.outputs.size(), ptr);
    auto* type = llvm::FunctionType::get(llvm::Type::getVoidTy(context_), parameterTypes, false);
    auto* f = llvm::Function::Create(type, llvm::Function::InternalLinkage, name, module_);
    f->addFnAttr(llvm::Attribute::AlwaysInline);
    f->addFnAttr(llvm::Attribute::NoUnwind);
    for (unsigned i = 1; i < f->arg_size(); ++i) f->addParamAttr(i, llvm::Attribute::NoAlias);

    llvm::Value* n = f->getArg(0);
    llvm::Value* x = f->getArg(1);
    llvm::Value* params = f->getArg(2);
    auto* entry = llvm::BasicBlock::Create(context_, "entry", f);
    auto* loop = llvm::BasicBlock::Create(context_, "loop", f);
    auto* exit = llvm::BasicBlock::Create(context_, "exit", f);

    // Parameters are loop-invariant: load them once.
    b_.SetInsertPoint(entry);
    for (size_t k = 0; k < spec_.parameters.size(); ++k) {
      llvm::Value* slot = b_.CreateConstInBoundsGEP1_64(t_, params, k);
      parameterValues_[spec_.parameters[k]] = b_.CreateLoad(t_, slot, spec_.parameters[k]);
    }
    b_.CreateCondBr(b_.CreateICmpSGT(n, b_.getInt64(0)), loop, exit);

    b_.SetInsertPoint(loop);
    llvm::PHINode* i = b_.CreatePHI(i64, 2, "i");
    i->addIncoming(b_.getInt64(0), entry);
    element_ = b_.CreateLoad(t_, b_.CreateInBoundsGEP(t_, x, i), spec_.input);
    for (size_t k = 0; k < spec_.outputs.size(); ++k)
      b_.CreateStore(value(spec_.outputs[k]), b_.CreateInBoundsGEP(t_, f->getArg(3 + k), i));
    llvm::Value* next = b_.CreateAdd(i, b_.getInt64(1), "i.next", true, true);
    i->addIncoming(next, loop);
    b_.CreateCondBr(b_.CreateICmpEQ(next, n), exit, loop);

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
      case Op::Var: {
        if (e->name() == spec_.input) return element_;
        return parameterValues_.at(e->name());
      }
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
      case Op::Exp:
      case Op::Expm1:
      case Op::Log:
      case Op::Log1p:
      case Op::Sin:
      case Op::Cos:
      case Op::Tanh:
      case Op::Sinh:
      case Op::Cosh:
      case Op::Erf: return libm(e->info().libm, {a()});
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
        llvm::Value* e1 = libm("exp", {b_.CreateFNeg(a())});
        return b_.CreateFDiv(constant(1), b_.CreateFAdd(constant(1), e1));
      }
      // softplus(u) = max(u, 0) + log1p(exp(-|u|)): never overflows.
      case Op::Softplus: {
        llvm::Value* u = a();
        llvm::Value* absU = b_.CreateUnaryIntrinsic(llvm::Intrinsic::fabs, u);
        llvm::Value* tail = libm("log1p", {libm("exp", {b_.CreateFNeg(absU)})});
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
  llvm::Value* element_ = nullptr;
  std::unordered_map<std::string, llvm::Value*> parameterValues_;
  std::unordered_map<ExprRef, llvm::Value*> values_;
};

}  // namespace

llvm::Function* lowerKernel(llvm::Module& module, const KernelSpec& spec, const std::string& name) {
  return KernelBuilder(module, spec).build(name);
}

}  // namespace nnc::backend
