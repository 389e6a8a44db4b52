// nnc's activation kernels as PyTorch operators: the part every extension
// that `nnc torch` generates shares (it writes this file beside the
// generated one). The kernels are compiled ahead of time by nnc, one loop
// per activation forward and one backward that recomputes the activation
// from its saved input; this file runs them over a tensor, rows split
// across PyTorch's threads.
#pragma once

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/autograd.h>
#include <torch/library.h>

#include <string>
#include <vector>

namespace nnc_torch {

// The ABI of an nnc kernel: element (r, c) of each array is at r * stride + c.
template <typename T>
using Kernel = void (*)(int64_t rows, int64_t cols, int64_t stride, const T* const* inputs, const T* const* params,
                        T* const* outputs, T* const* columnSums);

// One activation's kernels, [one parameter value per layer, one per unit].
struct Activation {
  const char* name;
  int inputs;      // tensors of one shape (a gate such as swiglu(a, b) has 2)
  int parameters;  // learnable parameters, in order
  Kernel<float> forward32[2], backward32[2];
  Kernel<double> forward64[2], backward64[2];
};

// The backward loop sums parameter gradients over rows in this many fixed
// pieces, added in order: the same bits on any number of threads.
constexpr int64_t kPieces = 8;

// The shape every array is seen as: [rows, units], units the last dimension.
struct Rows {
  int64_t rows = 0, units = 1;
};

inline Rows rowsOf(const at::Tensor& x) {
  Rows r;
  r.units = x.dim() == 0 ? 1 : x.size(-1);
  r.rows = r.units == 0 ? 0 : x.numel() / r.units;
  return r;
}

// Checks the operands; returns whether the parameters are one per unit.
inline bool checkOperands(const Activation& a, const std::vector<at::Tensor>& inputs,
                          const std::vector<at::Tensor>& params) {
  TORCH_CHECK(static_cast<int>(inputs.size()) == a.inputs && static_cast<int>(params.size()) == a.parameters,
              a.name, ": expected ", a.inputs, " inputs and ", a.parameters, " parameters");
  const at::Tensor& x = inputs[0];
  TORCH_CHECK(x.device().is_cpu(), a.name, ": nnc's kernels run on the CPU, not on ", x.device());
  TORCH_CHECK(x.scalar_type() == at::kFloat || x.scalar_type() == at::kDouble, a.name,
              ": takes float32 or float64 tensors, not ", x.scalar_type());
  for (const at::Tensor& t : inputs) {
    TORCH_CHECK(t.sizes() == x.sizes(), a.name, ": its inputs must have one shape; got ", x.sizes(), " and ",
                t.sizes());
    TORCH_CHECK(t.scalar_type() == x.scalar_type(), a.name, ": its inputs must have one dtype");
  }
  int64_t units = rowsOf(x).units;
  bool perUnit = false;
  for (size_t i = 0; i < params.size(); ++i) {
    const at::Tensor& p = params[i];
    TORCH_CHECK(p.scalar_type() == x.scalar_type(), a.name, ": parameter ", i, " is ", p.scalar_type(),
                " but the input is ", x.scalar_type());
    bool one = p.numel() == 1 && p.dim() <= 1, each = p.dim() == 1 && p.size(0) == units && units != 1;
    TORCH_CHECK(one || each, a.name, ": parameter ", i, " must have one value (per layer) or ", units,
                " (one per unit of the last dimension); it has shape ", p.sizes());
    TORCH_CHECK(i == 0 || each == perUnit, a.name, ": the parameters must all be per layer or all per unit");
    perUnit = each;
  }
  return perUnit;
}

template <typename T>
std::vector<const T*> pointers(const std::vector<at::Tensor>& tensors, int64_t offset) {
  std::vector<const T*> out;
  for (const at::Tensor& t : tensors) out.push_back(t.data_ptr<T>() + offset);
  return out;
}

template <typename T>
at::Tensor forwardAs(Kernel<T> kernel, const std::vector<at::Tensor>& inputs, const std::vector<at::Tensor>& params) {
  at::Tensor y = at::empty_like(inputs[0], at::MemoryFormat::Contiguous);
  Rows r = rowsOf(y);
  if (r.rows == 0) return y;
  std::vector<const T*> p = pointers<T>(params, 0);
  int64_t grain = std::max<int64_t>(1, 32768 / r.units);
  at::parallel_for(0, r.rows, grain, [&](int64_t begin, int64_t end) {
    std::vector<const T*> in = pointers<T>(inputs, begin * r.units);
    T* out[] = {y.data_ptr<T>() + begin * r.units};
    kernel(end - begin, r.units, r.units, in.data(), p.data(), out, nullptr);
  });
  return y;
}

// d/d inputs (their shape), then d/d parameters (theirs).
template <typename T>
std::vector<at::Tensor> backwardAs(Kernel<T> kernel, const std::vector<at::Tensor>& inputs,
                                   const std::vector<at::Tensor>& params, const at::Tensor& dy, bool perUnit) {
  Rows r = rowsOf(inputs[0]);
  std::vector<at::Tensor> grads;
  for (const at::Tensor& x : inputs) grads.push_back(at::empty_like(x, at::MemoryFormat::Contiguous));
  int64_t pieces = std::min(kPieces, r.rows);
  // One row of column sums per (piece, parameter).
  at::Tensor sums = at::zeros({std::max<int64_t>(pieces, 1), static_cast<int64_t>(params.size()), r.units},
                              inputs[0].options());
  std::vector<at::Tensor> operands = inputs;
  operands.push_back(dy);
  std::vector<const T*> p = pointers<T>(params, 0);
  T* sumsBase = sums.data_ptr<T>();
  int64_t parameters = static_cast<int64_t>(params.size());
  at::parallel_for(0, pieces, 1, [&](int64_t first, int64_t last) {
    for (int64_t piece = first; piece < last; ++piece) {
      int64_t begin = r.rows * piece / pieces, end = r.rows * (piece + 1) / pieces;
      std::vector<const T*> in = pointers<T>(operands, begin * r.units);
      std::vector<T*> out, columnSums;
      for (at::Tensor& g : grads) out.push_back(g.data_ptr<T>() + begin * r.units);
      for (int64_t k = 0; k < parameters; ++k) columnSums.push_back(sumsBase + (piece * parameters + k) * r.units);
      kernel(end - begin, r.units, r.units, in.data(), p.data(), out.data(), columnSums.data());
    }
  });
  // The pieces in order, then (a parameter per layer) the units in order.
  at::Tensor byUnit = sums[0].clone();
  for (int64_t piece = 1; piece < pieces; ++piece) byUnit += sums[piece];
  for (size_t k = 0; k < params.size(); ++k) {
    at::Tensor g = byUnit[static_cast<int64_t>(k)];
    if (!perUnit) {
      at::Tensor total = at::zeros({}, g.options());
      T* t = total.data_ptr<T>();
      const T* values = g.data_ptr<T>();
      for (int64_t c = 0; c < r.units; ++c) *t += values[c];
      g = total;
    }
    grads.push_back(g.reshape(params[k].sizes()).clone());
  }
  return grads;
}

inline std::vector<at::Tensor> contiguous(std::vector<at::Tensor> tensors) {
  for (at::Tensor& t : tensors) t = t.contiguous();
  return tensors;
}

// The activation of `inputs` (one shape) with `params`.
inline at::Tensor forward(const Activation& a, std::vector<at::Tensor> inputs, std::vector<at::Tensor> params) {
  bool perUnit = checkOperands(a, inputs, params);
  inputs = contiguous(std::move(inputs));
  params = contiguous(std::move(params));
  if (inputs[0].scalar_type() == at::kDouble) return forwardAs<double>(a.forward64[perUnit], inputs, params);
  return forwardAs<float>(a.forward32[perUnit], inputs, params);
}

// The gradients of the inputs, then of the parameters, given dy.
inline std::vector<at::Tensor> backward(const Activation& a, std::vector<at::Tensor> inputs,
                                        std::vector<at::Tensor> params, const at::Tensor& dy) {
  bool perUnit = checkOperands(a, inputs, params);
  TORCH_CHECK(dy.sizes() == inputs[0].sizes() && dy.scalar_type() == inputs[0].scalar_type(), a.name,
              ": the gradient must have the input's shape and dtype");
  inputs = contiguous(std::move(inputs));
  params = contiguous(std::move(params));
  at::Tensor g = dy.contiguous();
  if (inputs[0].scalar_type() == at::kDouble) return backwardAs<double>(a.backward64[perUnit], inputs, params, g, perUnit);
  return backwardAs<float>(a.backward32[perUnit], inputs, params, g, perUnit);
}

}  // namespace nnc_torch
