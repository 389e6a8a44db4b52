#include "runtime/ReadWholeFile.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <new>
#include <system_error>

#include <fmt/format.h>

#include "support/InputFile.h"

namespace nnc::runtime {

namespace {
struct GzClose {
  void operator()(gzFile file) const { gzclose(file); }
};
using GzFile = std::unique_ptr<gzFile_s, GzClose>;
}  // namespace

static std::string errnoText(int error) { return std::generic_category().message(error); }

// zlib prefixes its messages with the file's name, "<fd:3>" here, which says
// nothing to a user: keep only what follows.
static std::string zlibError(gzFile file) {
  int code = Z_OK;
  const char* message = gzerror(file, &code);
  if (code == Z_ERRNO) return errnoText(errno);
  std::string text = message ? message : "";
  size_t colon = text.find(": ");
  return colon == std::string::npos ? text : text.substr(colon + 2);
}

// A gzip file ends with its data's size mod 2^32 (of its last member, when
// several are concatenated): a good first guess at the room needed, saving a
// doubling or two of a buffer of tens of megabytes. Only a guess, and a
// damaged file may lie, so it is capped at a plausible compression ratio.
static size_t gzipSizeHint(int fd, size_t fileSize) {
  constexpr size_t kMaxGuessedRatio = 16;
  unsigned char magic[2], size[4];
  if (fileSize < 18 || ::pread(fd, magic, 2, 0) != 2 || magic[0] != 0x1f || magic[1] != 0x8b ||
      ::pread(fd, size, 4, static_cast<off_t>(fileSize - 4)) != 4)
    return 2 * fileSize;
  size_t stored = size_t{size[0]} | size_t{size[1]} << 8 | size_t{size[2]} << 16 | size_t{size[3]} << 24;
  return std::min(stored, kMaxGuessedRatio * fileSize);
}

// zlib's read buffer; its default (8 KiB) costs a system call per 8 KiB.
constexpr unsigned kReadBuffer = 1u << 18;
// gzread takes an int-sized length.
constexpr size_t kMaxRead = size_t{1} << 30;

std::optional<std::string> readWholeFile(const std::string& path, Diagnostics& diags) {
  // Opened here rather than by gzopen so that the reason is reliable, and
  // without blocking on a FIFO (support/InputFile.h).
  std::string whyNot;
  int fd = openInputFile(path, whyNot);
  struct stat info {};
  if (fd >= 0 && ::fstat(fd, &info) != 0) {
    whyNot = errnoText(errno);
    ::close(fd);
    fd = -1;
  }
  if (fd < 0) {
    diags.error(fmt::format("cannot open '{}': {}", path, whyNot));
    return std::nullopt;
  }
  GzFile file(gzdopen(fd, "rb"));
  if (!file) {
    ::close(fd);
    diags.error(fmt::format("cannot open '{}': {}", path, errnoText(ENOMEM)));
    return std::nullopt;
  }
  gzbuffer(file.get(), kReadBuffer);

  // Room to read the whole file at once, and a byte more to see the end
  // without growing; grown by doubling if the guess was short.
  auto fileSize = static_cast<size_t>(std::max<off_t>(info.st_size, 0));
  std::string bytes;
  size_t have = 0;
  try {
    bytes.resize((gzdirect(file.get()) ? fileSize : gzipSizeHint(fd, fileSize)) + 1);
    for (;;) {
      if (have == bytes.size()) bytes.resize(2 * bytes.size());
      auto room = static_cast<unsigned>(std::min(bytes.size() - have, kMaxRead));
      int got = gzread(file.get(), bytes.data() + have, room);
      if (got < 0) {
        diags.errorInFile(path, {}, "", fmt::format("cannot read: {}", zlibError(file.get())));
        return std::nullopt;
      }
      if (got == 0) break;
      have += static_cast<size_t>(got);
    }
  } catch (const std::bad_alloc&) {
    diags.errorInFile(path, {}, "", fmt::format("cannot read: not enough memory after {} bytes", have));
    return std::nullopt;
  }
  int code = Z_OK;
  gzerror(file.get(), &code);
  if (code == Z_BUF_ERROR) {
    diags.errorInFile(path, {}, "",
                      fmt::format("truncated: the gzip stream ends early, after {} bytes of data", have));
    return std::nullopt;
  }
  bytes.resize(have);
  return bytes;
}

}  // namespace nnc::runtime
