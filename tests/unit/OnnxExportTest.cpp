// The ONNX exporter: what it writes (ops, initializer names and shapes,
// functions), that its text form reads back as the same graph, and its
// errors. ONNX Runtime's agreement with nnc predict is checked by
// tests/interop/onnx_agrees.py (lit: onnx-export.test).
#include <gtest/gtest.h>

#include <onnx/defs/parser.h>

#include "frontend/GraphBuilder.h"
#include "frontend/ModelSema.h"
#include "interop/OnnxExport.h"
#include "passes/Autodiff.h"

namespace nnc {
namespace {

class OnnxExportTest : public ::testing::Test {
protected:
  ir::Graph graphOf(const std::string& model) {
    std::string text = "import \"activations.nn\";\nmodel m { " + model + " }\n";
    Diagnostics diags;
    program_ = frontend::analyzeProgramText(std::string(NNC_EXAMPLES_DIR) + "/onnx-test.nn", text, exprs_, diags);
    EXPECT_TRUE(program_ && !diags.hasErrors()) << diags.render();
    return frontend::buildForwardGraph(program_->models.at(0), exprs_);
  }

  // Distinct values for every element of every parameter, so that an
  // initializer gathered from the wrong elements differs.
  static interop::ParameterValues valuesFor(const ir::Graph& graph) {
    interop::ParameterValues values;
    for (const ir::GraphNode& node : graph.nodes()) {
      if (node.op != ir::GraphOp::Parameter) continue;
      interop::ParameterValues::mapped_type& value = values[node.name];
      value.shape = graph.value(node.results[0]).shape;
      value.values.resize(static_cast<size_t>(ir::elementsPerBatchRow(value.shape)));
      for (size_t i = 0; i < value.values.size(); ++i) value.values[i] = 0.01f * static_cast<float>(i + 1);
    }
    return values;
  }

  std::optional<onnx::ModelProto> exportGraph(const ir::Graph& graph, bool functions = false) {
    interop::OnnxExportOptions options{"m", "test", functions};
    std::optional<onnx::ModelProto> model = interop::exportOnnx(graph, valuesFor(graph), options, nullptr, diags_);
    if (model) {
      EXPECT_EQ(interop::checkOnnx(*model), "");
    }
    return model;
  }

  static const onnx::TensorProto* initializer(const onnx::ModelProto& model, const std::string& name) {
    for (const onnx::TensorProto& tensor : model.graph().initializer())
      if (tensor.name() == name) return &tensor;
    return nullptr;
  }
  static std::vector<int64_t> dims(const onnx::TensorProto& tensor) {
    return {tensor.dims().begin(), tensor.dims().end()};
  }
  static std::vector<float> floats(const onnx::TensorProto& tensor) {
    std::vector<float> values(tensor.raw_data().size() / sizeof(float));
    std::memcpy(values.data(), tensor.raw_data().data(), tensor.raw_data().size());
    return values;
  }

  ir::ExprContext exprs_;
  std::optional<frontend::Program> program_;
  Diagnostics diags_;
};

const char* kImageModel =
    "input x[2, 4, 4]; c = conv2d(x, 3, 3, padding = 1); p = prelu(c), per_unit; "
    "h = dense(flatten(max_pool2d(p, 2)), 5, relu: 2, swish: 3); y = prelu(h), per_unit; "
    "out = dense(y, 3); loss cross_entropy(out);";

TEST_F(OnnxExportTest, ParametersKeepTheirNamesInShapesThatBroadcast) {
  std::optional<onnx::ModelProto> model = exportGraph(graphOf(kImageModel));
  ASSERT_TRUE(model) << diags_.render();
  // A parameter per channel of an image: [C, 1, 1], its values in order.
  const onnx::TensorProto* perChannel = initializer(*model, "p.a");
  ASSERT_NE(perChannel, nullptr);
  EXPECT_EQ(dims(*perChannel), (std::vector<int64_t>{3, 1, 1}));
  EXPECT_EQ(floats(*perChannel), (std::vector<float>{0.01f, 0.02f, 0.03f}));
  // One per feature: [F]; one for the layer: a scalar.
  ASSERT_NE(initializer(*model, "y.a"), nullptr);
  EXPECT_EQ(dims(*initializer(*model, "y.a")), (std::vector<int64_t>{5}));
  ASSERT_NE(initializer(*model, "h.swish.beta"), nullptr);
  EXPECT_EQ(dims(*initializer(*model, "h.swish.beta")), (std::vector<int64_t>{}));
  EXPECT_EQ(dims(*initializer(*model, "c.weight")), (std::vector<int64_t>{3, 2, 3, 3}));
  // The graph's interface keeps the model's names and the batch is symbolic.
  ASSERT_EQ(model->graph().input_size(), 1);
  EXPECT_EQ(model->graph().input(0).name(), "x");
  EXPECT_EQ(model->graph().input(0).type().tensor_type().shape().dim(0).dim_param(), "N");
  ASSERT_EQ(model->graph().output_size(), 1);
  EXPECT_EQ(model->graph().output(0).name(), "out");
  // A mixed layer is computed by column ranges and joined again.
  std::vector<std::string> ops;
  for (const onnx::NodeProto& node : model->graph().node()) ops.push_back(node.op_type());
  EXPECT_EQ(std::count(ops.begin(), ops.end(), "Conv"), 1);
  EXPECT_EQ(std::count(ops.begin(), ops.end(), "Gemm"), 2);
  EXPECT_EQ(std::count(ops.begin(), ops.end(), "Concat"), 1);
  EXPECT_EQ(std::count(ops.begin(), ops.end(), "Slice"), 2);
}

TEST_F(OnnxExportTest, ActivationsBecomeOneFunctionEach) {
  std::optional<onnx::ModelProto> model = exportGraph(graphOf(kImageModel), true);
  ASSERT_TRUE(model) << diags_.render();
  std::vector<std::string> functions;
  for (const onnx::FunctionProto& function : model->functions()) {
    functions.push_back(function.name());
    EXPECT_EQ(function.domain(), "nnc");
  }
  // prelu twice (per channel and per feature) is one function.
  EXPECT_EQ(functions, (std::vector<std::string>{"prelu", "relu", "swish"}));
  int calls = 0;
  for (const onnx::NodeProto& node : model->graph().node())
    if (node.domain() == "nnc") ++calls;
  EXPECT_EQ(calls, 4);
}

TEST_F(OnnxExportTest, TextFormReadsBackAsTheSameGraph) {
  for (bool functions : {false, true}) {
    std::optional<onnx::ModelProto> model = exportGraph(graphOf(kImageModel), functions);
    ASSERT_TRUE(model) << diags_.render();
    std::string text = interop::onnxText(*model);
    // onnx 1.12's parser takes no '.' in a name, which torch's parameter
    // names have ("c.weight"): it reads the text with them as '_'.
    auto dotless = [](std::string name) {
      std::replace(name.begin(), name.end(), '.', '_');
      return name;
    };
    std::string readable = text;
    // (A name starts with a letter or '_', a number does not; `nnc.` is a
    // call's domain.)
    std::string name;
    for (char& c : readable) {
      bool letter = std::isalpha(static_cast<unsigned char>(c)) || c == '_';
      bool digit = std::isdigit(static_cast<unsigned char>(c));
      if (!name.empty() && c == '.' && name != "nnc") c = '_';
      if (letter || (!name.empty() && (digit || c == '_' || c == '.'))) name += c;
      else name.clear();
    }
    onnx::ModelProto parsed;
    onnx::Status status = onnx::OnnxParser::Parse(parsed, readable.c_str());
    ASSERT_TRUE(status.IsOK()) << status.ErrorMessage() << "\n" << text;
    ASSERT_EQ(parsed.graph().node_size(), model->graph().node_size()) << text;
    for (int i = 0; i < parsed.graph().node_size(); ++i) {
      const onnx::NodeProto &got = parsed.graph().node(i), &made = model->graph().node(i);
      EXPECT_EQ(got.op_type(), made.op_type());
      EXPECT_EQ(got.domain(), made.domain());
      ASSERT_EQ(got.input_size(), made.input_size());
      for (int k = 0; k < got.input_size(); ++k) EXPECT_EQ(got.input(k), dotless(made.input(k)));
      EXPECT_EQ(got.output(0), dotless(made.output(0)));
      EXPECT_EQ(got.attribute_size(), made.attribute_size());
    }
    EXPECT_EQ(parsed.functions_size(), model->functions_size());
    EXPECT_NE(text.find("# initializer p.a: float[3,1,1]"), std::string::npos) << text;
  }
}

TEST_F(OnnxExportTest, ExportsOnlyWhatThePredictionNeeds) {
  ir::Graph forward = graphOf(kImageModel);
  ir::Graph training = forward;
  std::string problem;
  ASSERT_TRUE(passes::appendBackward(training, &problem)) << problem;
  std::optional<onnx::ModelProto> fromForward = exportGraph(forward), fromTraining = exportGraph(training);
  ASSERT_TRUE(fromForward && fromTraining) << diags_.render();
  EXPECT_EQ(fromTraining->graph().SerializeAsString(), fromForward->graph().SerializeAsString());
}

TEST_F(OnnxExportTest, RefusesAPredictionThatNeedsTraining) {
  ir::Graph graph = graphOf(kImageModel);
  std::string problem;
  ASSERT_TRUE(passes::appendBackward(graph, &problem)) << problem;
  ASSERT_FALSE(graph.gradients.empty());
  graph.bind(ir::PortRole::Prediction, "out", graph.gradients.front().second);
  EXPECT_FALSE(exportGraph(graph));
  EXPECT_NE(diags_.render().find("cannot export 'conv2d_weight_grad' to ONNX: a gradient is part of training, not of "
                                 "the model's prediction"),
            std::string::npos)
      << diags_.render();
}

TEST_F(OnnxExportTest, NeedsEveryParametersValues) {
  ir::Graph graph = graphOf(kImageModel);
  interop::ParameterValues values = valuesFor(graph);
  values.erase("c.bias");
  EXPECT_FALSE(interop::exportOnnx(graph, values, {"m", "test", false}, nullptr, diags_));
  EXPECT_NE(diags_.render().find("no values for parameter 'c.bias'"), std::string::npos) << diags_.render();
}

}  // namespace
}  // namespace nnc
