#pragma once
// A dense, row-major float32 tensor on 64-byte-aligned storage: parameters,
// activations, gradients and data batches. Rank-2 tensors view as Eigen
// matrices for GEMM.
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <vector>

#include "runtime/AlignedBuffer.h"

namespace nnc::runtime {

using Shape = std::vector<int64_t>;

class Tensor {
public:
  Tensor() = default;
  // Zero-filled.
  explicit Tensor(Shape shape);
  Tensor(std::initializer_list<int64_t> shape) : Tensor(Shape(shape)) {}

  const Shape& shape() const { return shape_; }
  int rank() const { return static_cast<int>(shape_.size()); }
  int64_t dim(int i) const { return shape_[static_cast<size_t>(i)]; }
  int64_t size() const { return static_cast<int64_t>(storage_.size()); }
  size_t bytes() const { return storage_.size() * sizeof(float); }

  float* data() { return storage_.data(); }
  const float* data() const { return storage_.data(); }
  std::span<float> values() { return storage_.span(); }
  std::span<const float> values() const { return storage_.span(); }
  float& operator[](int64_t i) { return storage_[static_cast<size_t>(i)]; }
  float operator[](int64_t i) const { return storage_[static_cast<size_t>(i)]; }

  void fill(float value);
  // "[128, 784]"
  std::string shapeString() const;

private:
  Shape shape_;
  AlignedBuffer<float> storage_;
};

// True if no element is NaN or infinite.
bool allFinite(const Tensor& t);
// The sum of the squared elements (the squared L2 norm).
double squaredNorm(const Tensor& t);

// Number of elements of a shape; -1 if it overflows int64 or has a negative
// dimension (so absurd sizes can be refused before allocating).
int64_t elementCount(const Shape& shape);

}  // namespace nnc::runtime
