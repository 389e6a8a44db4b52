#include "runtime/AtomicFile.h"

#include <cerrno>
#include <filesystem>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace nnc::runtime {
namespace {

std::error_code lastError() { return {errno, std::system_category()}; }

std::error_code writeAll(int fd, std::span<const std::byte> bytes) {
  while (!bytes.empty()) {
    ssize_t written = ::write(fd, bytes.data(), bytes.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return lastError();
    }
    bytes = bytes.subspan(static_cast<size_t>(written));
  }
  return {};
}

// Writes and syncs the whole file at `path`, which the caller created.
std::error_code writeAndSync(int fd, std::span<const std::span<const std::byte>> pieces) {
  for (std::span<const std::byte> piece : pieces)
    if (std::error_code error = writeAll(fd, piece)) return error;
  if (::fsync(fd) != 0) return lastError();
  return {};
}

// Makes the rename itself durable: without this a crash can bring back the
// old directory entry, or none.
std::error_code syncDirectoryOf(const std::string& path) {
  std::filesystem::path directory = std::filesystem::path(path).parent_path();
  if (directory.empty()) directory = ".";
  int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return lastError();
  std::error_code error;
  // EINVAL: this file system cannot sync directories; nothing more to do.
  if (::fsync(fd) != 0 && errno != EINVAL) error = lastError();
  ::close(fd);
  return error;
}

}  // namespace

std::error_code writeFileAtomically(const std::string& path, std::span<const std::span<const std::byte>> pieces) {
  // A device, a pipe or a terminal (/dev/null, /dev/stdout, a FIFO) is
  // written in place: renaming a file over it would replace it.
  struct stat info;
  if (::stat(path.c_str(), &info) == 0 && !S_ISREG(info.st_mode) && !S_ISDIR(info.st_mode)) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return lastError();
    std::error_code error;
    for (std::span<const std::byte> piece : pieces)
      if (!error) error = writeAll(fd, piece);
    if (::close(fd) != 0 && !error) error = lastError();
    return error;
  }
  // In the same directory, so that rename() is atomic (same file system); the
  // pid keeps two processes saving the same path apart.
  std::string temporary = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0) return lastError();  // nothing was created, so nothing to remove

  std::error_code error = writeAndSync(fd, pieces);
  if (::close(fd) != 0 && !error) error = lastError();
  if (!error && ::rename(temporary.c_str(), path.c_str()) != 0) error = lastError();
  if (error) {
    ::unlink(temporary.c_str());
    return error;
  }
  return syncDirectoryOf(path);
}

}  // namespace nnc::runtime
