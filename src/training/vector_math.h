#pragma once
// exp and the activations built on it, for the hand-written inference loops (recurrent_inference.cpp,
// transformer_inference.cpp), in a form the compiler vectorises: no library call in the loop (glibc's
// scalar expf/tanhf were most of the recurrent loops' time). Callers check their inputs finite before
// the loops run, so no NaN or inf reaches these. Private to the training stage.
#include <cstdint>
#include <cstring>

// GCC keeps the clamps below as branches and vectorises nothing unless finite-math-only lets them
// become MINPS/MAXPS; `optimize` is GCC's own attribute (clang ignores it with a warning, and vectorises
// the selects without it), so it is given to GCC only.
#if defined(__GNUC__) && !defined(__clang__)
#define TBML_VECTOR_MATH __attribute__((optimize("finite-math-only", "no-signed-zeros")))
#else
#define TBML_VECTOR_MATH
#endif

namespace tbml::training {

// Cephes' range reduction and degree-6 polynomial, within 2 ulp of expf over the clamped range, which
// holds every finite activation input's answer.
TBML_VECTOR_MATH inline float exp_approx(float x) {
  x = x < 88.3f ? x : 88.3f;
  x = x > -87.3f ? x : -87.3f;
  const float n = (x * 1.44269504f + 12582912.0f) - 12582912.0f;  // round to nearest (|x log2 e| < 2^22)
  const float r = x - n * 0.693359375f + n * 2.12194440e-4f;       // x - n ln 2 in two parts
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float e = p * r * r + r + 1.0f;
  const std::int32_t bits = (static_cast<std::int32_t>(n) + 127) << 23;  // 2^n
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return e * scale;
}

TBML_VECTOR_MATH inline void sigmoid_inplace(float* __restrict v, std::int64_t n) {
  for (std::int64_t j = 0; j < n; ++j) v[j] = 1.0f / (1.0f + exp_approx(-v[j]));
}

// tanh(v) = 2 sigmoid(2v) - 1: absolute error a few float ulps, saturates to +-1.
TBML_VECTOR_MATH inline void tanh_inplace(float* __restrict v, std::int64_t n) {
  for (std::int64_t j = 0; j < n; ++j) v[j] = 2.0f / (1.0f + exp_approx(-2.0f * v[j])) - 1.0f;
}

// v[j] = exp(v[j] - shift): softmax's numerators. (Their sum is the caller's, in order: a float sum in
// this loop would keep it from vectorising.)
TBML_VECTOR_MATH inline void exp_shifted_inplace(float* __restrict v, std::int64_t n, float shift) {
  for (std::int64_t j = 0; j < n; ++j) v[j] = exp_approx(v[j] - shift);
}

// Sum and maximum of v[0, n) over eight running lanes: a float reduction in one accumulator waits on
// every add in turn (~4 cycles each) and does not vectorise; eight independent lanes do both. The sum's
// rounding differs from a left-to-right one by float ulps.
// sum_lanes_of adds f(v[j]) instead (layer norm's sum of squares).
template <typename F>
TBML_VECTOR_MATH inline float sum_lanes_of(const float* __restrict v, std::int64_t n, F f) {
  float lane[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  std::int64_t j = 0;
  for (; j + 8 <= n; j += 8)
    for (int l = 0; l < 8; ++l) lane[l] += f(v[j + l]);
  float sum = ((lane[0] + lane[4]) + (lane[1] + lane[5])) + ((lane[2] + lane[6]) + (lane[3] + lane[7]));
  for (; j < n; ++j) sum += f(v[j]);
  return sum;
}

TBML_VECTOR_MATH inline float sum_lanes(const float* __restrict v, std::int64_t n) {
  return sum_lanes_of(v, n, [](float x) { return x; });
}

TBML_VECTOR_MATH inline float max_lanes(const float* __restrict v, std::int64_t n) {
  float lane[8];
  for (int l = 0; l < 8; ++l) lane[l] = v[0];
  std::int64_t j = 0;
  for (; j + 8 <= n; j += 8)
    for (int l = 0; l < 8; ++l) lane[l] = v[j + l] > lane[l] ? v[j + l] : lane[l];
  float top = lane[0];
  for (int l = 1; l < 8; ++l) top = lane[l] > top ? lane[l] : top;
  for (; j < n; ++j) top = v[j] > top ? v[j] : top;
  return top;
}

}  // namespace tbml::training
