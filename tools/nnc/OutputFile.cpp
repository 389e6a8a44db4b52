#include "tools/nnc/OutputFile.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <span>

#include <fmt/format.h>

#include "runtime/AtomicFile.h"

namespace nnc::cli {

bool writeTextFile(const std::string& path, const std::string& text, Diagnostics& diags, std::ostream* stdoutStream) {
  if (path == "-" && stdoutStream) {
    *stdoutStream << text << std::flush;
    return true;
  }
  std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(text.data()), text.size());
  std::span<const std::byte> pieces[] = {bytes};
  if (std::error_code error = runtime::writeFileAtomically(path, pieces)) {
    diags.error(fmt::format("cannot write '{}': {}", path, error.message()));
    return false;
  }
  return true;
}

bool checkNotAnInput(const std::string& option, const std::string& output, const std::vector<std::string>& inputs,
                     Diagnostics& diags) {
  struct stat target {};
  if (output == "-" || ::stat(output.c_str(), &target) != 0) return true;  // nothing there to replace
  for (const std::string& input : inputs) {
    struct stat source {};
    if (::stat(input.c_str(), &source) == 0 && source.st_dev == target.st_dev && source.st_ino == target.st_ino) {
      diags.error(fmt::format("{} {}: it is the input '{}'; writing it would destroy it (name another file)", option,
                              output, input));
      return false;
    }
  }
  return true;
}

bool makeOutputDirectory(const std::string& option, const std::string& dir, Diagnostics& diags) {
  std::error_code code;
  std::filesystem::create_directories(dir, code);
  if (code || !std::filesystem::is_directory(dir) || access(dir.c_str(), W_OK) != 0) {
    diags.error(fmt::format("{} {}: cannot write into it{}", option, dir, code ? ": " + code.message() : ""));
    return false;
  }
  return true;
}

}  // namespace nnc::cli
