#pragma once
// Writing a command's text output (JSON metrics, SVG charts) to a file:
// atomically, so a reader never sees half a file; `-` is standard output.
#include <ostream>
#include <string>
#include <vector>

#include "support/Diagnostics.h"

namespace nnc::cli {

// False (with an error naming the path) if it could not be written.
bool writeTextFile(const std::string& path, const std::string& text, Diagnostics& diags, std::ostream* stdoutStream = nullptr);

// An output must not replace a file the command reads (as gcc refuses `-o`
// naming an input): false, with an error, when `output` is one of `inputs`,
// the same file by device and inode (so another spelling of its path, or a
// link to it, counts too). `option` names the output ("--save").
bool checkNotAnInput(const std::string& option, const std::string& output, const std::vector<std::string>& inputs,
                     Diagnostics& diags);

// Creates `dir` (and its parents) for a command's output files; false,
// with "OPTION DIR: cannot write into it", if it cannot be written.
bool makeOutputDirectory(const std::string& option, const std::string& dir, Diagnostics& diags);

}  // namespace nnc::cli
