#pragma once
// How commands print numbers: 9 significant digits (enough to read a float
// back exactly), and "nan" whatever the NaN's sign bit (x86 makes negative
// NaNs; "-nan" would suggest a meaning it does not have).
#include <cmath>
#include <string>

#include <fmt/format.h>

namespace nnc::cli {

inline std::string formatNumber(double v) { return std::isnan(v) ? "nan" : fmt::format("{:.9g}", v); }

}  // namespace nnc::cli
