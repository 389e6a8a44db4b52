#pragma once
// Running deeply recursive work (parsing, simplifying and printing formulas
// at the parser's limits) on a thread with a stack of known size, rather than
// on the caller's, whose size nnc cannot know (8 MB for a main thread, 128 KB
// by default for a musl thread, less in some thread pools).
#include <cstddef>
#include <functional>

namespace nnc {

// Enough for every formula the parser accepts, in a sanitizer build too.
// Reserved address space: only what is used is touched.
inline constexpr size_t kLargeStackBytes = size_t{512} << 20;

// Runs `body` on a new thread with a stack of `bytes` and waits for it. If no
// such thread can be made, runs it on the calling thread.
void runWithLargeStack(const std::function<void()>& body, size_t bytes = kLargeStackBytes);

}  // namespace nnc
