// "did you mean" suggestions: the bounded edit distance and its cost limits.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/Spelling.h"

namespace nnc {
namespace {

TEST(Spelling, EditDistanceCountsInsertionsDeletionsSubstitutionsAndSwaps) {
  EXPECT_EQ(editDistance("tanh", "tanh"), 0u);
  EXPECT_EQ(editDistance("tahn", "tanh"), 1u);  // one swap
  EXPECT_EQ(editDistance("rleu", "relu"), 1u);
  EXPECT_EQ(editDistance("sigmod", "sigmoid"), 1u);
  EXPECT_EQ(editDistance("", "abc"), 3u);
  EXPECT_EQ(editDistance("kitten", "sitting"), 3u);
  EXPECT_EQ(editDistance("ca", "abc"), 3u);  // optimal string alignment, not Damerau
}

// A limit changes nothing within it and answers limit + 1 past it.
TEST(Spelling, EditDistanceStopsPastItsLimit) {
  const std::vector<std::pair<std::string, std::string>> pairs = {
      {"kitten", "sitting"}, {"tahn", "tanh"}, {"abcdef", "badcfe"}, {"relu", "gelu_tanh"}, {"x", "xyzzy"}};
  for (const auto& [a, b] : pairs) {
    size_t exact = editDistance(a, b);
    for (size_t limit = 0; limit <= exact + 2; ++limit)
      EXPECT_EQ(editDistance(a, b, limit), std::min(exact, limit + 1)) << a << " " << b << " limit " << limit;
  }
}

TEST(Spelling, SuggestsOnlyCloseNames) {
  std::vector<std::string> names = {"relu", "gelu", "tanh", "sigmoid", "swish"};
  EXPECT_EQ(closestSpelling("rleu", names), "relu");
  EXPECT_EQ(closestSpelling("sigmod", names), "sigmoid");
  EXPECT_EQ(closestSpelling("softmax", names), std::nullopt);
}

// Two 20,000-character names took 3.2 GB (a full table); thousands of
// unknown names against thousands of candidates took 23 s.
TEST(Spelling, LongNamesAndManyCandidatesStayCheap) {
  std::string longName(20000, 'a'), otherLong(20000, 'b');
  EXPECT_EQ(closestSpelling(longName, {otherLong, longName + "c"}), std::nullopt);
  EXPECT_EQ(editDistance(longName, otherLong, 3), 4u);
  std::vector<std::string> candidates;
  for (int i = 0; i < 8000; ++i) candidates.push_back("name" + std::to_string(i));
  size_t found = 0;
  for (int i = 0; i < 2000; ++i) found += closestSpelling("nmae" + std::to_string(i), candidates).has_value();
  EXPECT_EQ(found, 2000u);  // "nmaeN" is one swap from "nameN"
}

}  // namespace
}  // namespace nnc
