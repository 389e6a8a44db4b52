#include "interop/OnnxNodes.h"

#include <bit>

#include <fmt/format.h>

namespace nnc::interop {

onnx::NodeProto& OnnxNodeList::add(std::string_view opType, const std::vector<std::string>& inputs, std::string output) {
  onnx::NodeProto& node = *nodes_->Add();
  node.set_op_type(std::string(opType));
  for (const std::string& input : inputs) node.add_input(input);
  if (output.empty()) output = fresh(opType);
  else reserve(output);
  node.add_output(output);
  return node;
}

std::string OnnxNodeList::fresh(std::string_view hint) {
  std::string name(hint);
  for (int k = 2; taken_.count(name); ++k) name = fmt::format("{}_{}", hint, k);
  taken_.insert(name);
  return name;
}

bool OnnxNodeList::renameLast(const std::string& from, const std::string& to) {
  if (nodes_->empty()) return false;
  onnx::NodeProto& last = *nodes_->rbegin();
  if (last.op_type() == "Constant" || last.output_size() != 1 || last.output(0) != from) return false;
  reserve(to);
  last.set_output(0, to);
  return true;
}

std::string OnnxNodeList::constant(float value) {
  auto [it, added] = floats_.try_emplace(std::bit_cast<uint32_t>(value));
  if (!added) return it->second;
  onnx::NodeProto& node = add("Constant", {}, fresh("c"));
  setAttribute(node, "value_float", value);
  return it->second = output(node);
}

std::string OnnxNodeList::constant(const std::vector<int64_t>& values) {
  auto [it, added] = integers_.try_emplace(values);
  if (!added) return it->second;
  onnx::NodeProto& node = add("Constant", {}, fresh("ints"));
  setAttribute(node, "value_ints", values);
  return it->second = output(node);
}

void setAttribute(onnx::NodeProto& node, const std::string& name, int64_t value) {
  onnx::AttributeProto& attribute = *node.add_attribute();
  attribute.set_name(name);
  attribute.set_type(onnx::AttributeProto::INT);
  attribute.set_i(value);
}

void setAttribute(onnx::NodeProto& node, const std::string& name, float value) {
  onnx::AttributeProto& attribute = *node.add_attribute();
  attribute.set_name(name);
  attribute.set_type(onnx::AttributeProto::FLOAT);
  attribute.set_f(value);
}

void setAttribute(onnx::NodeProto& node, const std::string& name, const std::vector<int64_t>& values) {
  onnx::AttributeProto& attribute = *node.add_attribute();
  attribute.set_name(name);
  attribute.set_type(onnx::AttributeProto::INTS);
  for (int64_t v : values) attribute.add_ints(v);
}

}  // namespace nnc::interop
