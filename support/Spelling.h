#pragma once
// "did you mean ...?" suggestions for misspelt names.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nnc {

// Edit distance: insertions, deletions, substitutions and transpositions,
// or `limit` + 1 as soon as it is known to exceed `limit` (the cost is
// O(|a| * limit) time and O(|b|) memory, not O(|a| * |b|)).
size_t editDistance(std::string_view a, std::string_view b, size_t limit = SIZE_MAX - 1);

// Names longer than this get no suggestion: nobody misspells a 100-letter
// name, and comparing long ones costs time in proportion to their lengths.
inline constexpr size_t kMaxSuggestedNameLength = 64;

// The candidate closest to `name`, if it is close enough to be a plausible
// typo: at most a third of the name's length (and at least 1) edits away.
std::optional<std::string> closestSpelling(std::string_view name,
                                           const std::vector<std::string>& candidates);

}  // namespace nnc
