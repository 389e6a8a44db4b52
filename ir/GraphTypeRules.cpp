// Each graph op's type rule (GraphOps.def names them): the result types it
// gives its operands (the shape function) or, for ops whose results a
// builder declares, the checks on those; and the rest of what makes the
// node well formed. Graph::add infers with them, verify() re-checks.
#include <fmt/format.h>

#include "ir/Graph.h"

namespace nnc::ir {

namespace {

bool batchSized(const TensorShape& shape) { return !shape.empty() && shape[0] == kBatch; }

ValueType f32(TensorShape shape) { return {ElementType::F32, std::move(shape)}; }

// Builds a rule's answer.
class Answer {
public:
  explicit Answer(const TypeQuery& q) : q_(q) {}
  TypeResult results(std::vector<ValueType> types) const { return {std::move(types), ""}; }
  TypeResult result(ValueType type) const { return {{std::move(type)}, ""}; }
  TypeResult problem(std::string what) const { return {{}, std::move(what)}; }
  const TensorShape& operand(size_t i) const { return q_.operands[i].shape; }
  // The one declared result, or a problem if there is not exactly one.
  const ValueType* declaredOne() const { return q_.declared.size() == 1 ? &q_.declared[0] : nullptr; }

private:
  const TypeQuery& q_;
};

// The declared result of a source, of the given element type and rank
// (0: any rank, no batch dimension: a parameter).
TypeResult source(const TypeQuery& q, ElementType element, size_t rank) {
  Answer a(q);
  const ValueType* declared = a.declaredOne();
  if (!declared) return a.problem("a source declares one result");
  if (declared->element != element) return a.problem(fmt::format("{} is not of its element type", typeText(*declared)));
  if (rank ? declared->shape.size() != rank || !batchSized(declared->shape)
           : declared->shape.empty() || batchSized(declared->shape))
    return a.problem(fmt::format("{} is not a valid shape here", typeText(*declared)));
  return a.result(*declared);
}

// Every operand must be f32 of rank 2 ([rows, columns]) for the ops on matrices.
std::string matrices(const TypeQuery& q) {
  for (const ValueType& t : q.operands)
    if (t.element != ElementType::F32 || t.shape.size() != 2)
      return fmt::format("operand {} is not an f32 matrix", typeText(t));
  return "";
}

// `part` holds columns [firstColumn, ...) of `whole`.
TypeResult columnRange(const TypeQuery& q, const TensorShape& whole, const TensorShape& part) {
  Answer a(q);
  int64_t first = q.node.firstColumn;
  if (whole.size() != 2 || part.size() != 2 || whole[0] != part[0] || first < 0 || first + part[1] > whole[1])
    return a.problem(fmt::format("columns from {} of {} do not fit {}", first, typeText(f32(part)),
                                 typeText(f32(whole))));
  return a.result(*a.declaredOne());
}

}  // namespace

namespace type_rules {

// Samples are feature rows [N, F] or images [N, C, H, W].
TypeResult sourceInput(const TypeQuery& q) {
  bool image = q.declared.size() == 1 && q.declared[0].shape.size() == 4;
  return source(q, ElementType::F32, image ? 4 : 2);
}
TypeResult sourceLabels(const TypeQuery& q) { return source(q, ElementType::I32, 1); }
TypeResult sourceTargets(const TypeQuery& q) { return source(q, ElementType::F32, 2); }
TypeResult sourceParameter(const TypeQuery& q) { return source(q, ElementType::F32, 0); }

TypeResult matMul(const TypeQuery& q) {
  Answer a(q);
  if (std::string problem = matrices(q); !problem.empty()) return a.problem(problem);
  TensorShape x = a.operand(0), y = a.operand(1);
  if (q.node.transposeA) std::swap(x[0], x[1]);
  if (q.node.transposeB) std::swap(y[0], y[1]);
  if (x[1] != y[0]) return a.problem(fmt::format("{} x {} do not multiply", typeText(f32(x)), typeText(f32(y))));
  return a.result(f32({x[0], y[1]}));
}

TypeResult addBias(const TypeQuery& q) {
  Answer a(q);
  const TensorShape &x = a.operand(0), &bias = a.operand(1);
  if (x.size() != 2 || bias.size() != 1 || x[1] != bias[0])
    return a.problem(fmt::format("bias {} does not match {}", typeText(q.operands[1]), typeText(q.operands[0])));
  return a.result(q.operands[0]);
}

TypeResult sameAsOperands(const TypeQuery& q) {
  Answer a(q);
  if (std::string problem = matrices(q); !problem.empty()) return a.problem(problem);
  for (const ValueType& t : q.operands)
    if (t != q.operands[0])
      return a.problem(fmt::format("operands {} and {} differ", typeText(q.operands[0]), typeText(t)));
  return a.result(q.operands[0]);
}

TypeResult columnSum(const TypeQuery& q) {
  Answer a(q);
  if (std::string problem = matrices(q); !problem.empty()) return a.problem(problem);
  return a.result(f32({a.operand(0)[1]}));
}

TypeResult loss(const TypeQuery& q) {
  Answer a(q);
  const ValueType &prediction = q.operands[0], &targets = q.operands[1];
  if (prediction.element != ElementType::F32 || prediction.shape.size() != 2)
    return a.problem(fmt::format("the prediction {} is not an f32 matrix", typeText(prediction)));
  bool labels = targets.element == ElementType::I32 && targets.shape == TensorShape{prediction.shape[0]};
  if (!labels && targets != prediction)
    return a.problem(fmt::format("targets {} do not match the prediction {}", typeText(targets),
                                 typeText(prediction)));
  return a.result(f32({1}));
}

TypeResult lossGrad(const TypeQuery& q) {
  TypeResult value = loss(q);
  if (!value.problem.empty()) return value;
  return Answer(q).result(q.operands[0]);
}

TypeResult mean(const TypeQuery& q) {
  Answer a(q);
  if (q.operands[0].element != ElementType::F32) return a.problem(fmt::format("{} is not f32", typeText(q.operands[0])));
  return a.result(f32({1}));
}

TypeResult meanGrad(const TypeQuery& q) {
  Answer a(q);
  const ValueType* declared = a.declaredOne();
  if (!declared || declared->element != ElementType::F32 || declared->shape.empty())
    return a.problem("mean_grad declares one f32 result of the mean's operand's shape");
  return a.result(*declared);
}

// (x [N, F], gamma [F], beta [F]) -> [N, F]
TypeResult layerNorm(const TypeQuery& q) {
  Answer a(q);
  const ValueType& x = q.operands[0];
  if (x.element != ElementType::F32 || x.shape.size() != 2)
    return a.problem(fmt::format("operand {} is not an f32 matrix", typeText(x)));
  for (size_t i = 1; i < 3; ++i)
    if (q.operands[i] != f32({x.shape[1]}))
      return a.problem(fmt::format("its scale and shift must be f32[{}], not {}", x.shape[1], typeText(q.operands[i])));
  if (!(q.node.epsilon > 0)) return a.problem(fmt::format("epsilon {} is not positive", q.node.epsilon));
  return a.result(x);
}

// (x [N, F], gamma [F], dy [N, F]) -> dx [N, F], dgamma [F], dbeta [F]
TypeResult layerNormGrad(const TypeQuery& q) {
  Answer a(q);
  const ValueType& x = q.operands[0];
  if (x.element != ElementType::F32 || x.shape.size() != 2 || q.operands[2] != x)
    return a.problem(fmt::format("x {} and dy {} must be the same f32 matrix", typeText(x), typeText(q.operands[2])));
  if (q.operands[1] != f32({x.shape[1]})) return a.problem(fmt::format("gamma must be f32[{}]", x.shape[1]));
  return a.results({x, q.operands[1], q.operands[1]});
}

// What a window of `w` makes of an image [N, C, H, W]: [N, C, Ho, Wo], or
// a problem (not an image, a window that does not fit, a bad setting).
std::string windowProblem(const ValueType& x, const OpAttributes::Window& w) {
  if (x.element != ElementType::F32 || x.shape.size() != 4 || !batchSized(x.shape))
    return fmt::format("operand {} is not a batch of f32 images [N, C, H, W]", typeText(x));
  if (w.kernel < 1 || w.stride < 1 || w.padding < 0 || w.dilation < 1 || w.groups < 1)
    return fmt::format("window kernel {} stride {} padding {} dilation {} groups {} is not valid", w.kernel, w.stride,
                       w.padding, w.dilation, w.groups);
  int64_t span = w.dilation * (w.kernel - 1) + 1;
  if (x.shape[2] + 2 * w.padding < span || x.shape[3] + 2 * w.padding < span)
    return fmt::format("a window of {} does not fit {} padded by {}", span, typeText(x), w.padding);
  return "";
}

ValueType windowed(const ValueType& x, int64_t channels, const OpAttributes::Window& w) {
  return f32({kBatch, channels, w.outputSize(x.shape[2]), w.outputSize(x.shape[3])});
}

// (x [N, C, H, W], w [O, C/groups, k, k], b [O]) -> [N, O, Ho, Wo]
TypeResult conv2d(const TypeQuery& q) {
  Answer a(q);
  const ValueType &x = q.operands[0], &w = q.operands[1];
  const OpAttributes::Window& window = q.node.window;
  if (std::string problem = windowProblem(x, window); !problem.empty()) return a.problem(problem);
  int64_t out = w.shape.empty() ? 0 : w.shape[0], groups = window.groups;
  if (x.shape[1] % groups || out % groups)
    return a.problem(fmt::format("{} input and {} output channels do not split into {} groups", x.shape[1], out, groups));
  if (w != f32({out, x.shape[1] / groups, window.kernel, window.kernel}))
    return a.problem(fmt::format("weight {} is not [O, {}, {}, {}]", typeText(w), x.shape[1] / groups, window.kernel,
                                 window.kernel));
  if (q.operands[2] != f32({out})) return a.problem(fmt::format("bias {} is not f32[{}]", typeText(q.operands[2]), out));
  return a.result(windowed(x, out, window));
}

// (dy [N, O, Ho, Wo], w) -> dx, whose declared type is the convolution's input's.
TypeResult conv2dInputGrad(const TypeQuery& q) {
  Answer a(q);
  const ValueType* dx = a.declaredOne();
  if (!dx) return a.problem("conv2d_input_grad declares its result");
  if (std::string problem = windowProblem(*dx, q.node.window); !problem.empty()) return a.problem(problem);
  const ValueType& w = q.operands[1];
  int64_t groups = q.node.window.groups;
  if (w.shape.size() != 4 || w.shape[1] * groups != dx->shape[1] || q.operands[0] != windowed(*dx, w.shape[0], q.node.window))
    return a.problem(fmt::format("dy {} and weight {} are not a convolution's of {}", typeText(q.operands[0]),
                                 typeText(w), typeText(*dx)));
  return a.result(*dx);
}

// (x, dy) -> dw [O, C/groups, k, k], db [O]
TypeResult conv2dWeightGrad(const TypeQuery& q) {
  Answer a(q);
  const ValueType &x = q.operands[0], &dy = q.operands[1];
  const OpAttributes::Window& window = q.node.window;
  if (std::string problem = windowProblem(x, window); !problem.empty()) return a.problem(problem);
  int64_t out = dy.shape.size() == 4 ? dy.shape[1] : 0, groups = window.groups;
  if (out < 1 || x.shape[1] % groups || out % groups || dy != windowed(x, out, window))
    return a.problem(fmt::format("dy {} is not a convolution's of {}", typeText(dy), typeText(x)));
  return a.results({f32({out, x.shape[1] / groups, window.kernel, window.kernel}), f32({out})});
}

// [N, C, H, W] -> [N, C, Ho, Wo]
TypeResult pool2d(const TypeQuery& q) {
  Answer a(q);
  const ValueType& x = q.operands[0];
  if (std::string problem = windowProblem(x, q.node.window); !problem.empty()) return a.problem(problem);
  if (q.node.window.dilation != 1 || q.node.window.groups != 1) return a.problem("a pool has no dilation or groups");
  if (q.node.window.padding * 2 > q.node.window.kernel)
    return a.problem(fmt::format("padding {} is more than half the window {}", q.node.window.padding,
                                 q.node.window.kernel));
  return a.result(windowed(x, x.shape[1], q.node.window));
}

// (x, dy) -> dx of x's type
TypeResult maxPool2dGrad(const TypeQuery& q) {
  Answer a(q);
  TypeResult forward = pool2d(q);
  if (!forward.problem.empty()) return forward;
  if (q.operands[1] != forward.results[0])
    return a.problem(fmt::format("dy {} is not the pool's output {}", typeText(q.operands[1]),
                                 typeText(forward.results[0])));
  return a.result(q.operands[0]);
}

// dy -> dx, whose declared type is the pool's input's
TypeResult avgPool2dGrad(const TypeQuery& q) {
  Answer a(q);
  const ValueType* dx = a.declaredOne();
  if (!dx) return a.problem("avg_pool2d_grad declares its result");
  if (std::string problem = windowProblem(*dx, q.node.window); !problem.empty()) return a.problem(problem);
  if (q.operands[0] != windowed(*dx, dx->shape[1], q.node.window))
    return a.problem(fmt::format("dy {} is not the pool's output of {}", typeText(q.operands[0]), typeText(*dx)));
  return a.result(*dx);
}

// The declared shape holds as many elements per sample as the operand.
TypeResult reshape(const TypeQuery& q) {
  Answer a(q);
  const ValueType* declared = a.declaredOne();
  const ValueType& x = q.operands[0];
  if (!declared || !batchSized(declared->shape) || !batchSized(x.shape) || declared->element != x.element ||
      elementsPerBatchRow(declared->shape) != elementsPerBatchRow(x.shape))
    return a.problem(fmt::format("{} cannot be reshaped to {}", typeText(x),
                                 declared ? typeText(*declared) : std::string("nothing")));
  return a.result(*declared);
}

// (x [N, C] or [N, C, H, W], gamma, beta, running mean, running var [C]) -> x's type
TypeResult batchNorm(const TypeQuery& q) {
  Answer a(q);
  const ValueType& x = q.operands[0];
  if (x.element != ElementType::F32 || (x.shape.size() != 2 && x.shape.size() != 4) || !batchSized(x.shape))
    return a.problem(fmt::format("operand {} is not [N, C] or [N, C, H, W] of f32", typeText(x)));
  for (size_t i = 1; i < q.operands.size(); ++i)
    if (q.operands[i] != f32({x.shape[1]}))
      return a.problem(fmt::format("its scale, shift and statistics must be f32[{}], not {}", x.shape[1],
                                   typeText(q.operands[i])));
  if (!(q.node.epsilon > 0)) return a.problem(fmt::format("epsilon {} is not positive", q.node.epsilon));
  if (!(q.node.momentum >= 0 && q.node.momentum <= 1))
    return a.problem(fmt::format("momentum {} is not in [0, 1]", q.node.momentum));
  return a.result(x);
}

// (x, gamma, dy) -> dx of x's type, dgamma [C], dbeta [C]
TypeResult batchNormGrad(const TypeQuery& q) {
  Answer a(q);
  const ValueType& x = q.operands[0];
  if (x.element != ElementType::F32 || (x.shape.size() != 2 && x.shape.size() != 4) || q.operands[2] != x)
    return a.problem(fmt::format("x {} and dy {} must be the same [N, C] or [N, C, H, W]", typeText(x),
                                 typeText(q.operands[2])));
  if (q.operands[1] != f32({x.shape[1]})) return a.problem(fmt::format("gamma must be f32[{}]", x.shape[1]));
  return a.results({x, q.operands[1], q.operands[1]});
}

// (x [N, L], w [V, D]) -> [N, L * D]
TypeResult embedding(const TypeQuery& q) {
  Answer a(q);
  const ValueType &x = q.operands[0], &w = q.operands[1];
  if (x.element != ElementType::F32 || x.shape.size() != 2 || !batchSized(x.shape))
    return a.problem(fmt::format("indices {} are not [N, L] of f32", typeText(x)));
  if (w.element != ElementType::F32 || w.shape.size() != 2 || batchSized(w.shape))
    return a.problem(fmt::format("table {} is not [V, D]", typeText(w)));
  return a.result(f32({kBatch, x.shape[1] * w.shape[1]}));
}

// (x [N, L], dy [N, L * D]) -> dw [V, D], declared
TypeResult embeddingGrad(const TypeQuery& q) {
  Answer a(q);
  const ValueType* dw = a.declaredOne();
  if (!dw || dw->shape.size() != 2 || batchSized(dw->shape)) return a.problem("embedding_grad declares its [V, D] result");
  const ValueType &x = q.operands[0], &dy = q.operands[1];
  if (x.shape.size() != 2 || dy != f32({kBatch, x.shape[1] * dw->shape[1]}))
    return a.problem(fmt::format("dy {} is not the lookup's of {} in {}", typeText(dy), typeText(x), typeText(*dw)));
  return a.result(*dw);
}

// A batch of any shape -> the same (a mask of it applied)
TypeResult dropout(const TypeQuery& q) {
  Answer a(q);
  const ValueType& x = q.operands[0];
  if (x.element != ElementType::F32 || !batchSized(x.shape))
    return a.problem(fmt::format("operand {} is not a batch of f32", typeText(x)));
  if (!(q.node.probability >= 0 && q.node.probability <= 1))
    return a.problem(fmt::format("probability {} is not in [0, 1]", q.node.probability));
  return a.result(x);
}

TypeResult concat(const TypeQuery& q) {
  Answer a(q);
  if (std::string problem = matrices(q); !problem.empty()) return a.problem(problem);
  int64_t columns = 0;
  for (const ValueType& t : q.operands) {
    if (t.shape[0] != a.operand(0)[0])
      return a.problem(fmt::format("operand {} does not have the rows of {}", typeText(t), typeText(q.operands[0])));
    columns += t.shape[1];
  }
  return a.result(f32({a.operand(0)[0], columns}));
}

// The slice's width is its declared result's.
TypeResult slice(const TypeQuery& q) {
  Answer a(q);
  if (!a.declaredOne()) return a.problem("a slice declares its result");
  return columnRange(q, a.operand(0), a.declaredOne()->shape);
}

// The padded width is its declared result's.
TypeResult padColumns(const TypeQuery& q) {
  Answer a(q);
  if (!a.declaredOne()) return a.problem("pad_columns declares its result");
  return columnRange(q, a.declaredOne()->shape, a.operand(0));
}

// A Map's results are declared: the formulas' outputs have the operands'
// shape, and column sums (parameter gradients) the parameter's.
TypeResult map(const TypeQuery& q) {
  Answer a(q);
  const GraphNode& node = q.node;
  if (q.declared.empty()) return a.problem("a map declares its results");
  for (const ValueType& t : q.operands)
    if (t.element != ElementType::F32 || t.shape != a.operand(0))
      return a.problem(fmt::format("operands {} and {} differ", typeText(q.operands[0]), typeText(t)));
  for (const MapSegment& segment : node.segments) {
    if (segment.inputVars.size() != node.operands.size())
      return a.problem(fmt::format("{} inputs bound, {} operands", segment.inputVars.size(), node.operands.size()));
    if (segment.firstColumn < 0 || segment.firstColumn + segment.columns > rowWidth(a.operand(0)))
      return a.problem("columns out of range");
    if (segment.outputs.size() > q.declared.size())
      return a.problem(fmt::format("{} formulas, {} results", segment.outputs.size(), q.declared.size()));
    for (size_t k = 0; k < segment.outputs.size(); ++k)
      if (q.declared[k] != q.operands[0])
        return a.problem(fmt::format("result {} is {}, not the operands' {}", k, typeText(q.declared[k]),
                                     typeText(q.operands[0])));
    for (const MapSegment::Param& p : segment.params) {
      int64_t size = elementsPerBatchRow(q.graph.value(p.value).shape);
      if (p.firstElement < 0 || (p.perColumn ? p.firstElement + segment.columns > size : p.firstElement >= size))
        return a.problem(fmt::format("parameter {} has {} elements", p.var, size));
    }
    for (const MapSegment::ColumnSum& sum : segment.columnSums) {
      if (sum.result < 0 || static_cast<size_t>(sum.result) >= q.declared.size())
        return a.problem(fmt::format("a column sum writes result {}", sum.result));
      int64_t size = elementsPerBatchRow(q.declared[static_cast<size_t>(sum.result)].shape);
      if (sum.firstElement < 0 || (sum.total ? sum.firstElement >= size : sum.firstElement + segment.columns > size))
        return a.problem("a column sum overruns its result");
    }
  }
  return a.results(q.declared);
}

}  // namespace type_rules

const GraphOpInfo& graphOpInfo(GraphOp op) {
  static const GraphOpInfo table[] = {
#define NNC_GRAPH_OP(Name, spelling, operands, role, typeRule) \
  {spelling, operands, GraphOpRole::role, &type_rules::typeRule},
#include "ir/GraphOps.def"
  };
  return table[static_cast<size_t>(op)];
}

TypeResult inferResultTypes(const Graph& graph, const GraphNode& node, std::vector<ValueType> declared) {
  const GraphOpInfo& info = graphOpInfo(node.op);
  if (info.operands >= 0 ? node.operands.size() != static_cast<size_t>(info.operands) : node.operands.empty())
    return {{}, fmt::format("{} operands", node.operands.size())};
  TypeQuery query{graph, node, {}, std::move(declared)};
  for (ValueId operand : node.operands) {
    if (operand < 0 || static_cast<size_t>(operand) >= graph.numValues())
      return {{}, fmt::format("operand %{} does not exist", operand)};
    query.operands.push_back(graph.value(operand).type());
  }
  TypeResult result = info.typeRule(query);
  // A rule that infers must agree with what a builder declared anyway.
  if (result.problem.empty() && !query.declared.empty() && result.results != query.declared) {
    std::string declaredText, inferredText;
    for (const ValueType& t : query.declared) declaredText += (declaredText.empty() ? "" : ", ") + typeText(t);
    for (const ValueType& t : result.results) inferredText += (inferredText.empty() ? "" : ", ") + typeText(t);
    return {{}, fmt::format("results {} where the op gives {}", declaredText, inferredText)};
  }
  return result;
}

}  // namespace nnc::ir
