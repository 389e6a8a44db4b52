#include "backend/AotCompiler.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include <fmt/format.h>
#include <llvm/IR/IRBuilder.h>

#include "backend/AotObject.h"
#include "backend/ExecutionPlan.h"
#include "backend/FormulaJIT.h"
#include "backend/Lowering.h"

namespace nnc::backend {

namespace {

using ir::GraphNode;
using ir::GraphOp;
using ir::ValueId;

// The AOT compiler as a target of execution plans. Its backward function
// takes the targets as one array: class labels (int32) for the runtime's
// losses, or real-valued targets for a loss formula's Map; the runtime's
// loss routine takes labels only.
class AotTarget final : public Target {
public:
  explicit AotTarget(bool backward) : backward_(backward) {}
  const char* name() const override { return "nnc compile -o"; }
  std::string unsupported(const ir::Graph& graph, const ExecutionPlan& plan, size_t node) const override {
    const GraphNode& n = graph.nodes()[node];
    if (backward_ && n.op == GraphOp::Loss && plan.realTargets)
      return "--backward: the model's loss (bce) compares real-valued targets through the runtime, whose loss "
             "routine takes class labels only; compile its forward function (without --backward), or train "
             "with bce_with_logits";
    return "";
  }

private:
  bool backward_;
};

// Builds PREFIX_forward or PREFIX_backward: the graph's nodes in order, as
// calls to the runtime's C API and to the kernels.
class FunctionEmitter {
public:
  FunctionEmitter(const ir::Graph& graph, const ExecutionPlan& plan, llvm::Module& module,
                  const std::vector<llvm::Function*>& kernels, std::string prefix)
      : graph_(graph), plan_(plan), module_(module), context_(module.getContext()), b_(context_),
        kernels_(kernels), prefix_(std::move(prefix)) {}

  // forward: (params, input, rows, output, workspace) -> void, the forward phase.
  // backward: (params, input, labels, rows, gradients, workspace) -> float loss, every phase.
  void emit(const std::string& name, bool backward) {
    llvm::Type* ptr = b_.getPtrTy();
    std::vector<llvm::Type*> arguments =
        backward ? std::vector<llvm::Type*>{ptr, ptr, ptr, b_.getInt64Ty(), ptr, ptr}
                 : std::vector<llvm::Type*>{ptr, ptr, b_.getInt64Ty(), ptr, ptr};
    auto* type = llvm::FunctionType::get(backward ? b_.getFloatTy() : b_.getVoidTy(), arguments, false);
    llvm::Function* f = llvm::Function::Create(type, llvm::Function::ExternalLinkage, name, module_);
    b_.SetInsertPoint(llvm::BasicBlock::Create(context_, "entry", f));
    size_t a = 0;
    params_ = f->getArg(a++);
    input_ = f->getArg(a++);
    labels_ = backward ? f->getArg(a++) : nullptr;
    rows_ = f->getArg(a++);
    output_ = backward ? nullptr : f->getArg(a++);
    gradients_ = backward ? f->getArg(a++) : nullptr;
    workspace_ = f->getArg(a++);
    training_ = backward;
    for (size_t n : plan_.forward) node(n);
    if (backward)
      for (const std::vector<size_t>* phase : {&plan_.loss, &plan_.backward})
        for (size_t n : *phase) node(n);
    if (!backward) {
      // The prediction, copied out (its buffer is the memory plan's).
      llvm::Value* bytes = b_.CreateMul(rows_, b_.getInt64(ir::rowWidth(graph_.value(graph_.prediction()).shape) * 4));
      b_.CreateMemCpy(output_, llvm::MaybeAlign(4), address(graph_.prediction()), llvm::MaybeAlign(4), bytes);
      b_.CreateRetVoid();
    } else {
      b_.CreateRet(b_.CreateLoad(b_.getFloatTy(), address(graph_.loss())));
    }
  }

private:
  llvm::Value* floats(llvm::Value* base, llvm::Value* offset) { return b_.CreateGEP(b_.getFloatTy(), base, offset); }
  llvm::Value* floats(llvm::Value* base, int64_t offset) { return floats(base, b_.getInt64(offset)); }

  llvm::Value* address(ValueId id) {
    const Placement& place = plan_.placement[static_cast<size_t>(id)];
    switch (place.region) {
      case Region::Input: return input_;
      case Region::Targets: return labels_;
      case Region::Parameters: return floats(params_, place.offset);
      case Region::Gradients: return floats(gradients_, place.offset);
      case Region::Batch: return floats(workspace_, b_.CreateMul(rows_, b_.getInt64(place.offset)));
      case Region::Fixed:
        return floats(workspace_, b_.CreateAdd(b_.CreateMul(rows_, b_.getInt64(plan_.batchColumns)),
                                               b_.getInt64(place.offset)));
      case Region::None: break;
    }
    return llvm::ConstantPointerNull::get(b_.getPtrTy());
  }

  // A dimension: the batch's rows or a constant.
  llvm::Value* dim(int64_t d) { return d == ir::kBatch ? rows_ : b_.getInt64(d); }
  // How many elements a value of `shape` has in this run.
  llvm::Value* elements(const ir::TensorShape& shape) {
    llvm::Value* perRow = b_.getInt64(ir::elementsPerBatchRow(shape));
    bool batched = !shape.empty() && shape[0] == ir::kBatch;
    return batched ? b_.CreateMul(rows_, perRow) : perRow;
  }

  // PREFIX_dropout_seed: what the backward function's dropout masks are
  // drawn from (step 0 of that seed); the caller sets it before a call.
  llvm::GlobalVariable* dropoutSeed() {
    std::string name = prefix_ + "_dropout_seed";
    if (llvm::GlobalVariable* found = module_.getGlobalVariable(name)) return found;
    return new llvm::GlobalVariable(module_, b_.getInt64Ty(), false, llvm::GlobalValue::ExternalLinkage,
                                    b_.getInt64(0), name);
  }

  // A void runtime function (runtime/CApi.h) of these arguments' types.
  void callRuntime(const char* name, const std::vector<llvm::Value*>& arguments) {
    std::vector<llvm::Type*> types;
    for (llvm::Value* a : arguments) types.push_back(a->getType());
    b_.CreateCall(runtime(name, b_.getVoidTy(), types), arguments);
  }

  llvm::FunctionCallee runtime(const char* name, llvm::Type* result, std::vector<llvm::Type*> arguments) {
    return module_.getOrInsertFunction(name, llvm::FunctionType::get(result, arguments, false));
  }

  void node(size_t n) {
    const GraphNode& node = graph_.nodes()[n];
    llvm::Type *ptr = b_.getPtrTy(), *i64 = b_.getInt64Ty(), *i32 = b_.getInt32Ty(), *voidTy = b_.getVoidTy();
    auto shape = [&](ValueId v) { return graph_.value(v).shape; };
    switch (node.op) {
      case GraphOp::Input:
      case GraphOp::Labels:
      case GraphOp::Targets:
      case GraphOp::Parameter: return;
      case GraphOp::MatMul: {
        ir::TensorShape a = shape(node.operands[0]), w = shape(node.operands[1]);
        const char* name = training_ ? "nnc_rt_matmul" : "nnc_rt_matmul_inference";  // as CompiledModel's
        b_.CreateCall(runtime(name, voidTy, {ptr, i64, i64, i32, ptr, i64, i64, i32, ptr}),
                      {address(node.operands[0]), dim(a[0]), dim(a[1]), b_.getInt32(node.transposeA),
                       address(node.operands[1]), dim(w[0]), dim(w[1]), b_.getInt32(node.transposeB),
                       address(node.results[0])});
        return;
      }
      case GraphOp::AddBias: {
        ir::TensorShape s = shape(node.operands[0]);
        b_.CreateCall(runtime("nnc_rt_add_bias", voidTy, {ptr, ptr, i64, i64, ptr}),
                      {address(node.operands[0]), address(node.operands[1]), dim(s[0]), dim(s[1]),
                       address(node.results[0])});
        return;
      }
      case GraphOp::ColumnSum: {
        ir::TensorShape s = shape(node.operands[0]);
        b_.CreateCall(runtime("nnc_rt_column_sum", voidTy, {ptr, i64, i64, ptr}),
                      {address(node.operands[0]), dim(s[0]), dim(s[1]), address(node.results[0])});
        return;
      }
      case GraphOp::Softmax:
      case GraphOp::SoftmaxGrad: {
        ir::TensorShape s = shape(node.operands[0]);
        if (node.op == GraphOp::Softmax)
          b_.CreateCall(runtime("nnc_rt_softmax", voidTy, {ptr, i64, i64, ptr}),
                        {address(node.operands[0]), dim(s[0]), dim(s[1]), address(node.results[0])});
        else
          b_.CreateCall(runtime("nnc_rt_softmax_backward", voidTy, {ptr, ptr, i64, i64, ptr}),
                        {address(node.operands[0]), address(node.operands[1]), dim(s[0]), dim(s[1]),
                         address(node.results[0])});
        return;
      }
      case GraphOp::Loss:
      case GraphOp::LossGrad: {
        ir::TensorShape s = shape(node.operands[0]);
        llvm::Value* gradient = node.op == GraphOp::LossGrad ? address(node.results[0])
                                                             : llvm::ConstantPointerNull::get(b_.getPtrTy());
        llvm::Value* loss = b_.CreateCall(runtime("nnc_rt_loss", b_.getFloatTy(), {i32, ptr, i64, i64, ptr, ptr}),
                                          {b_.getInt32(static_cast<int>(node.loss)), address(node.operands[0]),
                                           dim(s[0]), dim(s[1]), labels_, gradient});
        if (node.op == GraphOp::Loss) b_.CreateStore(loss, address(node.results[0]));
        return;
      }
      case GraphOp::Mean: {
        ValueId in = node.operands[0];
        llvm::Value* mean =
            b_.CreateCall(runtime("nnc_rt_mean", b_.getFloatTy(), {ptr, i64}), {address(in), elements(shape(in))});
        b_.CreateStore(mean, address(node.results[0]));
        return;
      }
      case GraphOp::MeanGrad: {
        ValueId out = node.results[0];
        b_.CreateCall(runtime("nnc_rt_fill_mean_grad", voidTy, {i64, ptr}), {elements(shape(out)), address(out)});
        return;
      }
      case GraphOp::LayerNorm:
      case GraphOp::LayerNormGrad: {
        ir::TensorShape s = shape(node.operands[0]);
        llvm::Type* f64 = b_.getDoubleTy();
        std::vector<llvm::Value*> arguments = {address(node.operands[0]), address(node.operands[1]),
                                               address(node.operands[2]), dim(s[0]), b_.getInt64(s[1]),
                                               llvm::ConstantFP::get(f64, node.epsilon)};
        for (ValueId r : node.results) arguments.push_back(address(r));
        if (node.op == GraphOp::LayerNorm)
          b_.CreateCall(runtime("nnc_rt_layernorm", voidTy, {ptr, ptr, ptr, i64, i64, f64, ptr}), arguments);
        else
          b_.CreateCall(runtime("nnc_rt_layernorm_backward", voidTy, {ptr, ptr, ptr, i64, i64, f64, ptr, ptr, ptr}),
                        arguments);
        return;
      }
      case GraphOp::Embedding:
      case GraphOp::EmbeddingGrad: {
        ir::TensorShape x = shape(node.operands[0]);
        ir::TensorShape table = shape(node.op == GraphOp::Embedding ? node.operands[1] : node.results[0]);
        const char* name = node.op == GraphOp::Embedding ? "nnc_rt_embedding" : "nnc_rt_embedding_backward";
        b_.CreateCall(runtime(name, voidTy, {ptr, ptr, i64, i64, i64, i64, ptr}),
                      {address(node.operands[0]), address(node.operands[1]), rows_, b_.getInt64(x[1]),
                       b_.getInt64(table[0]), b_.getInt64(table[1]), address(node.results[0])});
        return;
      }
      case GraphOp::Dropout:
      case GraphOp::DropoutGrad: {
        ValueId in = node.operands[0], out = node.results[0];
        if (node.op == GraphOp::Dropout && !training_) {  // inference: the identity
          b_.CreateMemCpy(address(out), llvm::MaybeAlign(4), address(in), llvm::MaybeAlign(4),
                          b_.CreateMul(elements(shape(in)), b_.getInt64(4)));
          return;
        }
        llvm::Value* seed = b_.CreateLoad(i64, dropoutSeed());
        b_.CreateCall(runtime("nnc_rt_dropout", voidTy, {ptr, i64, b_.getDoubleTy(), i64, i64, i64, ptr}),
                      {address(in), elements(shape(in)), llvm::ConstantFP::get(b_.getDoubleTy(), node.probability),
                       seed, b_.getInt64(0), b_.getInt64(node.stream), address(out)});
        return;
      }
      case GraphOp::BatchNorm:
      case GraphOp::BatchNormGrad: {
        ir::TensorShape s = shape(node.operands[0]);
        llvm::Type* f64 = b_.getDoubleTy();
        std::vector<llvm::Value*> shapeArguments = {rows_, b_.getInt64(s[1]), b_.getInt64(ir::rowWidth(s) / s[1]),
                                                    llvm::ConstantFP::get(f64, node.epsilon)};
        std::vector<llvm::Value*> arguments = {address(node.operands[0]), address(node.operands[1]),
                                               address(node.operands[2])};
        const char* name = "nnc_rt_batchnorm_backward";
        if (node.op == GraphOp::BatchNorm && !training_) {
          name = "nnc_rt_batchnorm_inference";
          arguments.push_back(address(node.operands[3]));
          arguments.push_back(address(node.operands[4]));
        }
        arguments.insert(arguments.end(), shapeArguments.begin(), shapeArguments.end());
        if (node.op == GraphOp::BatchNorm && training_) {
          name = "nnc_rt_batchnorm_training";
          llvm::Value* none = llvm::ConstantPointerNull::get(b_.getPtrTy());
          arguments.insert(arguments.end(), {llvm::ConstantFP::get(f64, node.momentum), none, none});
        }
        for (ValueId r : node.results) arguments.push_back(address(r));
        callRuntime(name, arguments);
        return;
      }
      case GraphOp::Conv2d:
      case GraphOp::Conv2dInputGrad:
      case GraphOp::Conv2dWeightGrad: {
        // The image is the forward input (conv2d's and the weight gradient's
        // x, the input gradient's dx), the output y or dy.
        bool inputGrad = node.op == GraphOp::Conv2dInputGrad;
        ir::TensorShape x = shape(inputGrad ? node.results[0] : node.operands[0]);
        ir::TensorShape y = shape(node.op == GraphOp::Conv2d ? node.results[0] : node.operands[inputGrad ? 0 : 1]);
        const ir::OpAttributes::Window& w = node.window;
        std::vector<llvm::Value*> arguments;
        for (ValueId operand : node.operands) arguments.push_back(address(operand));
        arguments.push_back(rows_);
        for (int64_t d : {x[1], x[2], x[3], y[1], w.kernel, w.stride, w.padding, w.dilation, w.groups})
          arguments.push_back(b_.getInt64(d));
        for (ValueId r : node.results) arguments.push_back(address(r));
        const char* name = node.op == GraphOp::Conv2d ? "nnc_rt_conv2d"
                           : inputGrad                ? "nnc_rt_conv2d_backward_input"
                                                      : "nnc_rt_conv2d_backward_weights";
        callRuntime(name, arguments);
        return;
      }
      case GraphOp::MaxPool2d:
      case GraphOp::MaxPool2dGrad:
      case GraphOp::AvgPool2d:
      case GraphOp::AvgPool2dGrad: {
        ir::TensorShape x = shape(node.op == GraphOp::AvgPool2dGrad ? node.results[0] : node.operands[0]);
        const ir::OpAttributes::Window& w = node.window;
        std::vector<llvm::Value*> arguments;
        for (ValueId operand : node.operands) arguments.push_back(address(operand));
        arguments.push_back(rows_);
        for (int64_t d : {x[1], x[2], x[3], w.kernel, w.stride, w.padding}) arguments.push_back(b_.getInt64(d));
        arguments.push_back(address(node.results[0]));
        const char* name = node.op == GraphOp::MaxPool2d       ? "nnc_rt_max_pool2d"
                           : node.op == GraphOp::MaxPool2dGrad ? "nnc_rt_max_pool2d_backward"
                           : node.op == GraphOp::AvgPool2d     ? "nnc_rt_avg_pool2d"
                                                               : "nnc_rt_avg_pool2d_backward";
        callRuntime(name, arguments);
        return;
      }
      case GraphOp::Reshape: {
        ValueId in = node.operands[0];
        b_.CreateMemCpy(address(node.results[0]), llvm::MaybeAlign(4), address(in), llvm::MaybeAlign(4),
                        b_.CreateMul(elements(shape(in)), b_.getInt64(4)));
        return;
      }
      case GraphOp::Map: map(n); return;
      case GraphOp::Concat: {
        ir::TensorShape out = shape(node.results[0]);
        int64_t first = 0;
        for (ValueId operand : node.operands) {
          int64_t columns = shape(operand)[1];
          copyColumns(address(operand), columns, 0, dim(out[0]), columns, address(node.results[0]), out[1], first);
          first += columns;
        }
        return;
      }
      case GraphOp::Slice: {
        ir::TensorShape in = shape(node.operands[0]), out = shape(node.results[0]);
        copyColumns(address(node.operands[0]), in[1], node.firstColumn, dim(in[0]), out[1], address(node.results[0]),
                    out[1], 0);
        return;
      }
      case GraphOp::PadColumns: {
        ir::TensorShape in = shape(node.operands[0]), out = shape(node.results[0]);
        llvm::Value* bytes = b_.CreateMul(dim(out[0]), b_.getInt64(out[1] * 4));
        b_.CreateMemSet(address(node.results[0]), b_.getInt8(0), bytes, llvm::MaybeAlign(4));
        copyColumns(address(node.operands[0]), in[1], 0, dim(in[0]), in[1], address(node.results[0]), out[1],
                    node.firstColumn);
        return;
      }
    }
  }

  void copyColumns(llvm::Value* from, int64_t fromColumns, int64_t fromFirst, llvm::Value* rows, int64_t columns,
                   llvm::Value* to, int64_t toColumns, int64_t toFirst) {
    llvm::Type *ptr = b_.getPtrTy(), *i64 = b_.getInt64Ty();
    b_.CreateCall(runtime("nnc_rt_copy_columns", b_.getVoidTy(), {ptr, i64, i64, i64, i64, ptr, i64, i64}),
                  {from, b_.getInt64(fromColumns), b_.getInt64(fromFirst), rows, b_.getInt64(columns), to,
                   b_.getInt64(toColumns), b_.getInt64(toFirst)});
  }

  llvm::Value* pointerArray(const std::vector<llvm::Value*>& pointers) {
    llvm::Value* array = b_.CreateAlloca(b_.getPtrTy(), b_.getInt64(std::max<size_t>(pointers.size(), 1)));
    for (size_t i = 0; i < pointers.size(); ++i) b_.CreateStore(pointers[i], b_.CreateConstGEP1_64(b_.getPtrTy(), array, i));
    return array;
  }

  void map(size_t n) {
    const GraphNode& node = graph_.nodes()[n];
    const ir::TensorShape& first = graph_.value(node.operands[0]).shape;
    llvm::Value* rows = first.size() >= 2 ? dim(first[0]) : b_.getInt64(1);
    for (size_t s = 0; s < node.segments.size(); ++s) {
      const ir::MapSegment& segment = node.segments[s];
      std::vector<llvm::Value*> inputs, params, outputs, sums;
      for (ValueId operand : node.operands) inputs.push_back(floats(address(operand), segment.firstColumn));
      for (const ir::MapSegment::Param& p : segment.params) params.push_back(floats(address(p.value), p.firstElement));
      for (size_t k = 0; k < segment.outputs.size(); ++k)
        outputs.push_back(floats(address(node.results[k]), segment.firstColumn));
      // Column sums accumulate: into the result's columns directly, or, for a
      // one-element result (a per-layer parameter), into scratch then totalled.
      std::vector<std::pair<llvm::Value*, llvm::Value*>> totals;
      llvm::Value* sumBytes = b_.getInt64(segment.columns * 4);
      for (const ir::MapSegment::ColumnSum& sum : segment.columnSums) {
        ValueId result = node.results[static_cast<size_t>(sum.result)];
        llvm::Value* target;
        if (sum.total) {
          target = b_.CreateAlloca(b_.getFloatTy(), b_.getInt64(segment.columns));
          totals.push_back({target, floats(address(result), sum.firstElement)});
        } else {
          target = floats(address(result), sum.firstElement);
        }
        b_.CreateMemSet(target, b_.getInt8(0), sumBytes, llvm::MaybeAlign(4));
        sums.push_back(target);
      }
      b_.CreateCall(kernels_[plan_.kernelOf[n][s]], {rows, b_.getInt64(segment.columns), b_.getInt64(ir::rowWidth(first)),
                                     pointerArray(inputs), pointerArray(params), pointerArray(outputs),
                                     pointerArray(sums)});
      for (auto [scratch, result] : totals)
        b_.CreateCall(runtime("nnc_rt_total", b_.getVoidTy(), {b_.getPtrTy(), b_.getInt64Ty(), b_.getPtrTy()}),
                      {scratch, b_.getInt64(segment.columns), result});
    }
  }

  const ir::Graph& graph_;
  const ExecutionPlan& plan_;
  llvm::Module& module_;
  llvm::LLVMContext& context_;
  llvm::IRBuilder<> b_;
  const std::vector<llvm::Function*>& kernels_;  // by the plan's kernels
  std::string prefix_;                            // of the object's symbols
  llvm::Value *params_ = nullptr, *input_ = nullptr, *labels_ = nullptr, *rows_ = nullptr, *output_ = nullptr,
              *gradients_ = nullptr, *workspace_ = nullptr;
  // The backward function runs a training step: batchnorm normalises by the
  // batch's statistics (the running ones, in the caller's const parameters,
  // stay as they are); the forward function is inference.
  bool training_ = false;
};

std::string cShape(const ir::TensorShape& shape) {
  std::string out;
  for (int64_t d : shape) out += fmt::format("{}{}", out.empty() ? "" : ", ", d);
  return out;
}

std::string header(const ir::Graph& graph, const ExecutionPlan& plan, const AotOptions& options) {
  std::string p = options.prefix, P;
  for (char c : p) P += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::string table;
  for (const PlannedParameter& parameter : plan.parameters)
    table += fmt::format("  {{\"{}\", {}, {}, {}, {{{}}}}},\n", parameter.name, parameter.offset, parameter.count,
                         parameter.shape.size(), cShape(parameter.shape));
  std::string out = fmt::format(
      "/* Generated by nnc compile from {}. Link with the object file and nnc's runtime:\n"
      " *   cc app.c {}.o -L<nnc prefix>/lib -lnnc_runtime -lopenblas -lstdc++ -lmvec -lm\n"
      " * Every array is row-major float32 and owned by the caller. Allocate them on 64-byte\n"
      " * boundaries (aligned_alloc(64, ...)): every array inside starts on one, and the\n"
      " * matrix products run faster. */\n"
      "#ifndef {}_H\n#define {}_H\n\n#include <stdint.h>\n\n"
      "#define {}_INPUTS {}\n#define {}_OUTPUTS {}\n#define {}_PARAMETER_FLOATS {}\n#define {}_PARAMETER_COUNT {}\n\n"
      "/* Floats of workspace a call with `rows` samples needs. */\n"
      "static inline int64_t {}_workspace_floats(int64_t rows) {{ return rows * {} + {}; }}\n\n"
      "/* Where each parameter is in the parameter (and gradient) array; PyTorch's names and shapes. */\n"
      "typedef struct {{\n  const char* name;\n  int64_t offset, count;\n  int32_t rank;\n  int64_t shape[4];\n}} {}_parameter;\n"
      "static const {}_parameter {}_parameters[{}_PARAMETER_COUNT] = {{\n{}}};\n\n"
      "#ifdef __cplusplus\nextern \"C\" {{\n#endif\n\n"
      "/* output[rows x {}_OUTPUTS] = the model(input[rows x {}_INPUTS]). */\n"
      "void {}_forward(const float* parameters, const float* input, int64_t rows, float* output, float* workspace);\n",
      options.source, p, P, P, P, ir::rowWidth(graph.value(graph.input()).shape), P, ir::rowWidth(graph.value(graph.prediction()).shape),
      P, plan.parameterFloats, P, plan.parameters.size(), p, plan.batchColumns, plan.fixedFloats, p, p, p, P,
      table, P, P, p);
  if (options.backward)
    out += fmt::format(
        "/* The mean loss over the rows, and every parameter's gradient into gradients[{}_PARAMETER_FLOATS]\n"
        " * ({}). */\n"
        "float {}_backward(const float* parameters, const float* input, const {}* {}, int64_t rows,\n"
        "                  float* gradients, float* workspace);\n",
        P, plan.realTargets ? fmt::format("targets: rows x {}_OUTPUTS real values", P) : "labels: one class index per row",
        p, plan.realTargets ? "float" : "int32_t", plan.realTargets ? "targets" : "labels");
  bool dropout = std::any_of(graph.nodes().begin(), graph.nodes().end(),
                             [](const ir::GraphNode& node) { return node.op == GraphOp::Dropout; });
  if (options.backward && dropout)
    out += fmt::format("/* What {}_backward's dropout masks are drawn from (0 at first): set it before each\n"
                       " * call (to the step's number, say) for new masks. Its forward function drops nothing. */\n"
                       "extern uint64_t {}_dropout_seed;\n",
                       p, p);
  if (!options.trainedParameters.empty())
    out += fmt::format("/* The trained values the object was compiled with. */\n"
                       "extern const float {}_trained_parameters[{}_PARAMETER_FLOATS];\n", p, P);
  out += fmt::format("\n#ifdef __cplusplus\n}}\n#endif\n\n#endif\n");
  return out;
}

}  // namespace

AotResult compileAheadOfTime(const ir::Graph& graph, const AotOptions& options) {
  AotResult result;
  std::optional<ExecutionPlan> plan = planExecution(graph, result.error);
  if (!plan) return result;
  if (result.error = firstUnsupported(AotTarget(options.backward), graph, *plan); !result.error.empty()) return result;
  std::optional<AotMachine> machine = aotMachine(options.targetCpu, result.error);
  if (!machine) return result;
  llvm::LLVMContext context;
  std::unique_ptr<llvm::Module> owned = aotModule(options.prefix, context, *machine);
  llvm::Module& module = *owned;

  // The plan's kernels, internal to the object.
  std::vector<llvm::Function*> kernels;
  for (const PlannedKernel& planned : plan->kernels) {
    llvm::Function* kernel = lowerAotKernel(
        module, planned.spec, fmt::format("{}_kernel_{}_{}", options.prefix, planned.node, planned.segment),
        result.error);
    if (!kernel) return result;
    kernel->setLinkage(llvm::Function::InternalLinkage);
    kernels.push_back(kernel);
  }
  FunctionEmitter(graph, *plan, module, kernels, options.prefix).emit(options.prefix + "_forward", false);
  if (options.backward)
    FunctionEmitter(graph, *plan, module, kernels, options.prefix).emit(options.prefix + "_backward", true);
  if (!options.trainedParameters.empty()) {
    std::vector<float> values(static_cast<size_t>(plan->parameterFloats));
    for (const PlannedParameter& parameter : plan->parameters)
      for (const auto& [name, trained] : options.trainedParameters)
        if (name == parameter.name) std::copy(trained.begin(), trained.end(), values.begin() + parameter.offset);
    auto* data = llvm::ConstantDataArray::get(context, values);
    auto* trained = new llvm::GlobalVariable(module, data->getType(), true, llvm::GlobalValue::ExternalLinkage, data,
                                             options.prefix + "_trained_parameters");
    trained->setAlignment(llvm::Align(kPlanAlignFloats * sizeof(float)));
  }
  if (!emitModule(module, *machine, options.format, result.output, result.error)) return result;
  result.header = header(graph, *plan, options);
  return result;
}

}  // namespace nnc::backend
