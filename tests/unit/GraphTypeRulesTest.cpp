// The graph ops' type rules: what Graph::add infers, and what verify()
// says about a malformed node (the text of each internal error).
#include <functional>

#include <gtest/gtest.h>

#include "ir/Graph.h"

namespace nnc::ir {
namespace {

GraphNode node(GraphOp op, std::vector<ValueId> operands = {}) {
  GraphNode n;
  n.op = op;
  n.operands = std::move(operands);
  return n;
}

// A graph under construction, node by node.
struct Builder {
  ValueId input(TensorShape shape) { return graph_.result(graph_.add(node(GraphOp::Input), {std::move(shape)})); }
  ValueId parameter(const std::string& name, TensorShape shape) {
    GraphNode p = node(GraphOp::Parameter);
    p.name = name;
    return graph_.result(graph_.add(std::move(p), {std::move(shape)}));
  }
  ValueId labels() {
    return graph_.result(graph_.addTyped(node(GraphOp::Labels), {{ElementType::I32, {kBatch}}}));
  }
  ValueType typeOf(ValueId v) const { return graph_.value(v).type(); }

  ExprContext exprs_;
  Graph graph_{exprs_};
};

class GraphTypeRulesTest : public ::testing::Test, protected Builder {};

TEST_F(GraphTypeRulesTest, InfersTheResultsOfADenseLayerAndItsLoss) {
  ValueId x = input({kBatch, 4}), w = parameter("w", {3, 4}), b = parameter("b", {3});
  GraphNode product = node(GraphOp::MatMul, {x, w});
  product.transposeB = true;
  ValueId z = graph_.result(graph_.add(std::move(product)));
  ValueId y = graph_.result(graph_.add(node(GraphOp::AddBias, {z, b})));
  ValueId loss = graph_.result(graph_.add(node(GraphOp::Loss, {y, labels()})));
  ValueId joined = graph_.result(graph_.add(node(GraphOp::Concat, {y, x})));
  ValueId sums = graph_.result(graph_.add(node(GraphOp::ColumnSum, {joined})));
  EXPECT_EQ(typeText(typeOf(z)), "f32[N, 3]");
  EXPECT_EQ(typeText(typeOf(y)), "f32[N, 3]");
  EXPECT_EQ(typeText(typeOf(loss)), "f32[1]");
  EXPECT_EQ(typeText(typeOf(joined)), "f32[N, 7]");
  EXPECT_EQ(typeText(typeOf(sums)), "f32[7]");
  EXPECT_EQ(verify(graph_), "") << printGraph(graph_);
}

TEST_F(GraphTypeRulesTest, ValuesOfAnyRankAreRepresented) {
  // A convolution's filters: [out channels, in channels, height, width].
  ValueId filters = parameter("conv.weight", {8, 1, 3, 3});
  EXPECT_EQ(typeText(typeOf(filters)), "f32[8, 1, 3, 3]");
  EXPECT_EQ(verify(graph_), "");
  EXPECT_NE(printGraph(graph_).find("parameter \"conv.weight\" init=zero : f32[8, 1, 3, 3]"), std::string::npos);
}

// The image ops' shape functions, torch's output sizes:
// (H + 2 padding - dilation (k - 1) - 1) / stride + 1, rounded down.
TEST_F(GraphTypeRulesTest, InfersTheShapesOfImageOps) {
  ValueId x = input({kBatch, 4, 9, 7});
  GraphNode conv = node(GraphOp::Conv2d, {x, parameter("w", {6, 2, 3, 3}), parameter("b", {6})});
  conv.window = {3, 2, 1, 1, 2};  // kernel 3, stride 2, padding 1, groups 2
  ValueId y = graph_.result(graph_.add(std::move(conv)));
  GraphNode dilated = node(GraphOp::Conv2d, {x, parameter("w2", {2, 4, 3, 3}), parameter("b2", {2})});
  dilated.window = {3, 1, 0, 2, 1};  // dilation 2: a 5x5 span
  ValueId d = graph_.result(graph_.add(std::move(dilated)));
  GraphNode pool = node(GraphOp::MaxPool2d, {y});
  pool.window = {2, 2, 0, 1, 1};
  ValueId p = graph_.result(graph_.add(std::move(pool)));
  GraphNode norm = node(GraphOp::BatchNorm, {p, parameter("g", {6}), parameter("s", {6}), parameter("m", {6}),
                                             parameter("v", {6})});
  ValueId n = graph_.result(graph_.add(std::move(norm)));
  ValueId flat = graph_.result(graph_.add(node(GraphOp::Reshape, {n}), {{kBatch, 24}}));
  ValueId e = graph_.result(graph_.add(node(GraphOp::Embedding, {flat, parameter("table", {10, 3})})));
  EXPECT_EQ(typeText(typeOf(y)), "f32[N, 6, 5, 4]");
  EXPECT_EQ(typeText(typeOf(d)), "f32[N, 2, 5, 3]");
  EXPECT_EQ(typeText(typeOf(p)), "f32[N, 6, 2, 2]");
  EXPECT_EQ(typeText(typeOf(n)), "f32[N, 6, 2, 2]");
  EXPECT_EQ(typeText(typeOf(e)), "f32[N, 72]");
  EXPECT_EQ(verify(graph_), "") << printGraph(graph_);
}

TEST(GraphTypeRules, VerifyNamesWhatIsWrong) {
  struct Case {
    const char* what;
    std::function<void(Builder&)> build;
    const char* message;
  };
  const Case cases[] = {
      {"inner dimensions",
       [](Builder& t) {
         ValueId x = t.input({kBatch, 4}), w = t.parameter("w", {3, 5});
         GraphNode product = node(GraphOp::MatMul, {x, w});
         product.transposeB = true;
         t.graph_.add(std::move(product));
       },
       "node 2 (matmul): f32[N, 4] x f32[5, 3] do not multiply"},
      {"declared against inferred",
       [](Builder& t) {
         ValueId x = t.input({kBatch, 4}), b = t.parameter("b", {4});
         t.graph_.add(node(GraphOp::AddBias, {x, b}), {{kBatch, 5}});
       },
       "node 2 (add_bias): results f32[N, 5] where the op gives f32[N, 4]"},
      {"labels as floats",
       [](Builder& t) { t.graph_.add(node(GraphOp::Labels), {{kBatch}}); },
       "node 0 (labels): f32[N] is not of its element type"},
      {"targets against the prediction",
       [](Builder& t) {
         ValueId x = t.input({kBatch, 3});
         ValueId targets = t.graph_.result(t.graph_.add(node(GraphOp::Targets), {{kBatch, 2}}));
         t.graph_.add(node(GraphOp::Loss, {x, targets}));
       },
       "node 2 (loss): targets f32[N, 2] do not match the prediction f32[N, 3]"},
      {"a bias of another width",
       [](Builder& t) {
         ValueId x = t.input({kBatch, 4}), b = t.parameter("b", {3});
         t.graph_.add(node(GraphOp::AddBias, {x, b}));
       },
       "node 2 (add_bias): bias f32[3] does not match f32[N, 4]"},
      {"a slice past the end",
       [](Builder& t) {
         GraphNode slice = node(GraphOp::Slice, {t.input({kBatch, 4})});
         slice.firstColumn = 3;
         t.graph_.add(std::move(slice), {{kBatch, 2}});
       },
       "node 1 (slice): columns from 3 of f32[N, 2] do not fit f32[N, 4]"},
      {"operand count",
       [](Builder& t) { t.graph_.add(node(GraphOp::Softmax, {t.input({kBatch, 4}), 0})); },
       "node 1 (softmax): 2 operands"},
      {"a convolution's weight of other channels",
       [](Builder& t) {
         GraphNode conv = node(GraphOp::Conv2d, {t.input({kBatch, 3, 8, 8}), t.parameter("w", {4, 2, 3, 3}),
                                                 t.parameter("b", {4})});
         conv.window.kernel = 3;
         t.graph_.add(std::move(conv));
       },
       "node 3 (conv2d): weight f32[4, 2, 3, 3] is not [O, 3, 3, 3]"},
      {"a window larger than the padded image",
       [](Builder& t) {
         GraphNode pool = node(GraphOp::AvgPool2d, {t.input({kBatch, 1, 2, 2})});
         pool.window = {3, 1, 0, 1, 1};
         t.graph_.add(std::move(pool));
       },
       "node 1 (avg_pool2d): a window of 3 does not fit f32[N, 1, 2, 2] padded by 0"},
      {"a pool of features",
       [](Builder& t) {
         GraphNode pool = node(GraphOp::MaxPool2d, {t.input({kBatch, 16})});
         pool.window.kernel = 2;
         t.graph_.add(std::move(pool));
       },
       "node 1 (max_pool2d): operand f32[N, 16] is not a batch of f32 images [N, C, H, W]"},
      {"a reshape to another size",
       [](Builder& t) { t.graph_.add(node(GraphOp::Reshape, {t.input({kBatch, 1, 4, 4})}), {{kBatch, 15}}); },
       "node 1 (reshape): f32[N, 1, 4, 4] cannot be reshaped to f32[N, 15]"},
      {"batchnorm statistics of another width",
       [](Builder& t) {
         t.graph_.add(node(GraphOp::BatchNorm, {t.input({kBatch, 4}), t.parameter("g", {4}), t.parameter("s", {4}),
                                                t.parameter("m", {3}), t.parameter("v", {4})}));
       },
       "node 5 (batch_norm): its scale, shift and statistics must be f32[4], not f32[3]"},
      {"a dropout probability above 1",
       [](Builder& t) {
         GraphNode drop = node(GraphOp::Dropout, {t.input({kBatch, 4})});
         drop.probability = 1.5;
         t.graph_.add(std::move(drop));
       },
       "node 1 (dropout): probability 1.5 is not in [0, 1]"},
      {"a parameter with a batch dimension",
       [](Builder& t) { t.parameter("p", {kBatch, 2}); },
       "node 0 (parameter): f32[N, 2] is not a valid shape here"},
  };
  for (const Case& c : cases) {
    Builder t;
    c.build(t);
    EXPECT_EQ(verify(t.graph_), c.message) << c.what << "\n" << printGraph(t.graph_);
  }
}

}  // namespace
}  // namespace nnc::ir
