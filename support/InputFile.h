#pragma once
// Opening a file that nnc reads (sources, data, checkpoints) without
// blocking: open(2) on a FIFO with no writer waits for one for ever, so the
// file is opened non-blocking and refused unless it is one that a read
// cannot hang on (a regular file or a character device such as /dev/null;
// /dev/zero is bounded by each reader's size limit).
#include <string>

namespace nnc {

// A descriptor open for reading (blocking reads again), or -1 with `whyNot`
// set to the reason, as strerror words it or "it is a FIFO (named pipe),
// not a regular file".
int openInputFile(const std::string& path, std::string& whyNot);

}  // namespace nnc
