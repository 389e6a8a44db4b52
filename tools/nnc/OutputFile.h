#pragma once
// Writing a command's text output (JSON metrics, SVG charts) to a file:
// atomically, so a reader never sees half a file; `-` is standard output.
#include <ostream>
#include <string>

#include "support/Diagnostics.h"

namespace nnc::cli {

// False (with an error naming the path) if it could not be written.
bool writeTextFile(const std::string& path, const std::string& text, Diagnostics& diags, std::ostream* stdoutStream = nullptr);

}  // namespace nnc::cli
