#pragma once
// Fixed-capacity ring buffer: push is O(1), the oldest element falls off when full.
#include <cstddef>
#include <stdexcept>
#include <vector>

namespace tbml {

template <typename T>
class RingBuffer {
 public:
  explicit RingBuffer(std::size_t capacity) : data_(capacity) {
    if (capacity == 0) throw std::invalid_argument("RingBuffer capacity must be > 0");
  }

  void push(const T& value) {
    data_[(start_ + size_) % data_.size()] = value;
    if (size_ < data_.size()) {
      ++size_;
    } else {
      start_ = (start_ + 1) % data_.size();
    }
  }

  // i = 0 is the oldest element still held.
  const T& operator[](std::size_t i) const { return data_[(start_ + i) % data_.size()]; }
  T& operator[](std::size_t i) { return data_[(start_ + i) % data_.size()]; }
  const T& back() const { return (*this)[size_ - 1]; }
  std::size_t size() const { return size_; }
  std::size_t capacity() const { return data_.size(); }
  bool empty() const { return size_ == 0; }
  void clear() { start_ = size_ = 0; }

 private:
  std::vector<T> data_;
  std::size_t start_ = 0;
  std::size_t size_ = 0;
};

}  // namespace tbml
