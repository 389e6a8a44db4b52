#pragma once
// "did you mean ...?" suggestions for misspelt names.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nnc {

// Edit distance: insertions, deletions, substitutions and transpositions.
size_t editDistance(std::string_view a, std::string_view b);

// The candidate closest to `name`, if it is close enough to be a plausible
// typo: at most a third of the name's length (and at least 1) edits away.
std::optional<std::string> closestSpelling(std::string_view name,
                                           const std::vector<std::string>& candidates);

}  // namespace nnc
