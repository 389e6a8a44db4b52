// The readers' fuzz target: everything that reads files other than .nn text
// (see README.md). The first byte of an input chooses what reads the rest:
//   0  a safetensors checkpoint (runtime::loadCheckpoint), as a file;
//   1  IDX images and labels (runtime::loadIdxDataset), as two files: the
//      next two bytes (little-endian) say where the images end;
//   2  a CSV data set (runtime::parseCsvDataset), the label column taken from
//      the next byte (signed: -1 is the last column);
//   3  REPL input: lines gathered into entries (cli::ReplEntry) as `nnc
//      repl` gathers them.
// Other first bytes are taken modulo 4. Errors in the input are fine; a
// crash, hang, leak or undefined behaviour is a bug.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "runtime/Checkpoint.h"
#include "runtime/CsvReader.h"
#include "runtime/IdxReader.h"
#include "tools/nnc/ReplEntry.h"

namespace {

using namespace nnc;

// The bytes as a file the readers open by path, without touching the disk.
class MemoryFile {
public:
  explicit MemoryFile(std::string_view bytes) : fd_(::memfd_create("nnc-fuzz", 0)) {
    if (fd_ < 0) return;
    for (size_t at = 0; at < bytes.size();) {
      ssize_t written = ::write(fd_, bytes.data() + at, bytes.size() - at);
      if (written <= 0) break;
      at += static_cast<size_t>(written);
    }
  }
  ~MemoryFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  MemoryFile(const MemoryFile&) = delete;
  MemoryFile& operator=(const MemoryFile&) = delete;
  std::string path() const { return "/proc/self/fd/" + std::to_string(fd_); }

private:
  int fd_;
};

void fuzzCheckpoint(std::string_view bytes) {
  MemoryFile file(bytes);
  Diagnostics diags;
  (void)runtime::loadCheckpoint(file.path(), diags);
}

void fuzzIdx(std::string_view bytes) {
  size_t split = bytes.size() >= 2 ? static_cast<unsigned char>(bytes[0]) | static_cast<unsigned char>(bytes[1]) << 8 : 0;
  bytes.remove_prefix(std::min<size_t>(2, bytes.size()));
  split = std::min(split, bytes.size());
  MemoryFile images(bytes.substr(0, split)), labels(bytes.substr(split));
  Diagnostics diags;
  (void)runtime::loadIdxDataset(images.path(), labels.path(), diags);
}

void fuzzCsv(std::string_view bytes) {
  runtime::CsvOptions options;
  if (!bytes.empty()) {
    options.labelColumn = static_cast<signed char>(bytes[0]);
    bytes.remove_prefix(1);
  }
  Diagnostics diags;
  (void)runtime::parseCsvDataset(bytes, "fuzz.csv", diags, options);
}

void fuzzReplLines(std::string_view bytes) {
  cli::ReplEntry entry;
  while (!bytes.empty()) {
    size_t newline = bytes.find('\n');
    std::string_view line = bytes.substr(0, newline);
    bytes.remove_prefix(newline == std::string_view::npos ? bytes.size() : newline + 1);
    entry.addLine(line);
    if (entry.complete()) entry.clear();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 4) {
    case 0: fuzzCheckpoint(bytes); break;
    case 1: fuzzIdx(bytes); break;
    case 2: fuzzCsv(bytes); break;
    case 3: fuzzReplLines(bytes); break;
  }
  return 0;
}
