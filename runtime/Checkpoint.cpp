#include "runtime/Checkpoint.h"

#include <algorithm>

namespace nnc::runtime {

const Tensor* Checkpoint::find(std::string_view name) const {
  auto it = std::find_if(tensors.begin(), tensors.end(), [&](const NamedTensor& t) { return t.name == name; });
  return it == tensors.end() ? nullptr : &it->tensor;
}

}  // namespace nnc::runtime
