#include "tools/nnc/OutputFile.h"

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

}  // namespace nnc::cli
