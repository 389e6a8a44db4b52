#pragma once
// Where exported ONNX nodes go: the node list of a graph or of a function,
// with the tensor names and constants they share.
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <onnx/onnx_pb.h>

namespace nnc::interop {

class OnnxNodeList {
public:
  explicit OnnxNodeList(google::protobuf::RepeatedPtrField<onnx::NodeProto>& nodes) : nodes_(&nodes) {}

  // A node `opType(inputs) -> output`; `output` empty: a fresh name from
  // the op's. Returns the node, for its attributes.
  onnx::NodeProto& add(std::string_view opType, const std::vector<std::string>& inputs, std::string output = "");
  // The output of the node add() made last.
  static const std::string& output(const onnx::NodeProto& node) { return node.output(0); }
  // `hint` if no tensor has it yet, else `hint_2`, `hint_3`, ...
  std::string fresh(std::string_view hint);
  // Reserves a name someone else gives (a graph input, an initializer).
  void reserve(const std::string& name) { taken_.insert(name); }
  // Renames the output of the node added last, if it is `from` and made by
  // an op other than Constant (constants are shared); false otherwise.
  bool renameLast(const std::string& from, const std::string& to);
  // A float32 scalar (a Constant node, one per value in the list).
  std::string constant(float value);
  // An int64 vector (shapes, slice bounds, axes).
  std::string constant(const std::vector<int64_t>& values);

private:
  google::protobuf::RepeatedPtrField<onnx::NodeProto>* nodes_;
  std::set<std::string> taken_;
  std::map<uint32_t, std::string> floats_;  // by bit pattern: -0 and 0 differ
  std::map<std::vector<int64_t>, std::string> integers_;
};

void setAttribute(onnx::NodeProto& node, const std::string& name, int64_t value);
void setAttribute(onnx::NodeProto& node, const std::string& name, float value);
void setAttribute(onnx::NodeProto& node, const std::string& name, const std::vector<int64_t>& values);

}  // namespace nnc::interop
