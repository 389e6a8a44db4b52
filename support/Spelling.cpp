#include "support/Spelling.h"

#include <algorithm>
#include <array>

namespace nnc {

size_t editDistance(std::string_view a, std::string_view b, size_t limit) {
  // Optimal string alignment: insert, delete, substitute or swap two
  // neighbours, each cost 1 (so "tahn" is one edit from "tanh"). Three rows
  // of the table. Every alignment passes through one of any two neighbouring
  // rows (a swap steps over one row, never two) and costs only grow along
  // it, so two neighbouring rows all over the limit settle it.
  const size_t over = limit + 1;
  if ((a.size() > b.size() ? a.size() - b.size() : b.size() - a.size()) > limit) return over;
  // Rows on the stack for the short names suggestions compare (millions of
  // pairs when thousands of names are unknown), on the heap for long ones.
  constexpr size_t kStackRow = 128;
  std::array<size_t, 3 * kStackRow> stackRows;
  std::vector<size_t> heapRows;
  size_t* rows = stackRows.data();
  if (b.size() + 1 > kStackRow) {
    heapRows.resize(3 * (b.size() + 1));
    rows = heapRows.data();
  }
  const size_t width = b.size() + 1;
  size_t* previous2 = rows;
  size_t* previous = rows + width;
  size_t* current = rows + 2 * width;
  // Only cells within `limit` of the diagonal can end within the limit
  // (Ukkonen's band); the cell just outside each side of a row's band reads
  // as over the limit for the next row.
  for (size_t j = 0; j <= b.size(); ++j) previous[j] = std::min(j, over);
  size_t previousRowMin = 0;
  for (size_t i = 1; i <= a.size(); ++i) {
    const size_t lo = i > limit ? i - limit : 1, hi = std::min(b.size(), i + (limit < b.size() ? limit : b.size()));
    current[lo - 1] = lo == 1 ? std::min(i, over) : over;
    size_t rowMin = current[lo - 1];
    for (size_t j = lo; j <= hi; ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      size_t value = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) value = std::min(value, previous2[j - 2] + 1);
      current[j] = std::min(value, over);
      rowMin = std::min(rowMin, current[j]);
    }
    if (hi < b.size()) current[hi + 1] = over;
    if (rowMin > limit && previousRowMin > limit) return over;
    previousRowMin = rowMin;
    size_t* oldest = previous2;
    previous2 = previous;
    previous = current;
    current = oldest;
  }
  return std::min(previous[b.size()], over);
}

std::optional<std::string> closestSpelling(std::string_view name,
                                           const std::vector<std::string>& candidates) {
  if (name.size() > kMaxSuggestedNameLength) return std::nullopt;
  size_t limit = std::max<size_t>(1, name.size() / 3);
  std::optional<std::string> best;
  size_t bestDistance = limit + 1;
  for (const std::string& candidate : candidates) {
    // Only a closer candidate matters: search within one less than the best so far.
    size_t distance = editDistance(name, candidate, bestDistance - 1);
    if (distance < bestDistance) {
      bestDistance = distance;
      best = candidate;
    }
  }
  return best;
}

}  // namespace nnc
