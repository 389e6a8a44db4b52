#pragma once
// A fixed-size array on 64-byte-aligned memory (one cache line, one AVX-512
// register), the storage generated kernels read and write.
#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <limits>
#include <memory>
#include <new>
#include <span>

namespace nnc::runtime {

inline constexpr size_t kBufferAlignment = 64;

template <typename T>
class AlignedBuffer {
public:
  AlignedBuffer() = default;
  explicit AlignedBuffer(size_t size) : size_(size) {
    if (size == 0) return;
    // A size whose bytes do not fit in size_t would wrap to a small block.
    if (size > (std::numeric_limits<size_t>::max() - kBufferAlignment) / sizeof(T)) throw std::bad_alloc();
    size_t bytes = (size * sizeof(T) + kBufferAlignment - 1) / kBufferAlignment * kBufferAlignment;
    data_.reset(static_cast<T*>(std::aligned_alloc(kBufferAlignment, bytes)));
    if (!data_) throw std::bad_alloc();
    std::uninitialized_value_construct_n(data_.get(), size);
  }

  AlignedBuffer(const AlignedBuffer& other) : AlignedBuffer(other.size_) {
    std::copy(other.data(), other.data() + size_, data());
  }
  AlignedBuffer& operator=(const AlignedBuffer& other) {
    if (this != &other) *this = AlignedBuffer(other);
    return *this;
  }
  AlignedBuffer(AlignedBuffer&&) noexcept = default;
  AlignedBuffer& operator=(AlignedBuffer&&) noexcept = default;

  T* data() { return data_.get(); }
  const T* data() const { return data_.get(); }
  size_t size() const { return size_; }
  T& operator[](size_t i) { return data_.get()[i]; }
  const T& operator[](size_t i) const { return data_.get()[i]; }
  std::span<T> span() { return {data(), size_}; }
  std::span<const T> span() const { return {data(), size_}; }

private:
  struct Free {
    void operator()(T* p) const { std::free(p); }
  };
  std::unique_ptr<T, Free> data_;
  size_t size_ = 0;
};

}  // namespace nnc::runtime
