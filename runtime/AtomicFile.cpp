#include "runtime/AtomicFile.h"

#include <cerrno>
#include <filesystem>

#include <fcntl.h>
#include <signal.h>
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

// Temporaries of saves that were killed before their rename: `name.tmp.PID`
// beside `path` whose process is gone. Removed by the next save, so kills
// leave nothing behind for long. (A live PID's is another save in progress.)
void removeStaleTemporaries(const std::filesystem::path& path) {
  std::error_code code;
  std::filesystem::path directory = path.parent_path().empty() ? "." : path.parent_path();
  const std::string prefix = path.filename().string() + ".tmp.";
  for (const auto& entry : std::filesystem::directory_iterator(directory, code)) {
    std::string name = entry.path().filename().string();
    if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) continue;
    std::string pid = name.substr(prefix.size());
    if (pid.find_first_not_of("0123456789") != std::string::npos || pid.size() > 9) continue;
    if (::kill(static_cast<pid_t>(std::stol(pid)), 0) != 0 && errno == ESRCH) std::filesystem::remove(entry.path(), code);
  }
}

}  // namespace

std::error_code writeFileAtomically(const std::string& requested, std::span<const std::span<const std::byte>> pieces) {
  // Through symbolic links to the file they name: the link stays a link.
  std::error_code code;
  std::string path = requested;
  if (std::filesystem::is_symlink(requested, code)) {
    std::filesystem::path target = std::filesystem::weakly_canonical(requested, code);
    if (!code) path = target.string();
  }
  // A device, a pipe or a terminal (/dev/null, /dev/stdout, a FIFO) is
  // written in place: renaming a file over it would replace it.
  struct stat info;
  const bool exists = ::stat(path.c_str(), &info) == 0;
  if (exists && !S_ISREG(info.st_mode) && !S_ISDIR(info.st_mode)) {
    // Non-blocking to open (a FIFO with no reader fails at once rather than
    // waiting for one), blocking to write.
    int fd = ::open(path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return lastError();
    std::error_code error;
    if (int flags = ::fcntl(fd, F_GETFL); flags < 0 || ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0) error = lastError();
    for (std::span<const std::byte> piece : pieces)
      if (!error) error = writeAll(fd, piece);
    if (::close(fd) != 0 && !error) error = lastError();
    return error;
  }
  removeStaleTemporaries(path);
  // In the same directory, so that rename() is atomic (same file system); the
  // pid keeps two processes saving the same path apart.
  std::string temporary = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0) return lastError();  // nothing was created, so nothing to remove
  // A replaced file keeps its permissions (a 0600 checkpoint stays 0600)
  // and, where allowed, its owner.
  std::error_code error;
  if (exists) {
    if (::fchmod(fd, info.st_mode & 07777) != 0) error = lastError();
    if (!error && (info.st_uid != ::geteuid() || info.st_gid != ::getegid()))
      (void)!::fchown(fd, info.st_uid, info.st_gid);  // only root may give files away; the mode is what matters
  }
  if (!error) error = writeAndSync(fd, pieces);
  if (::close(fd) != 0 && !error) error = lastError();
  if (!error && ::rename(temporary.c_str(), path.c_str()) != 0) error = lastError();
  if (error) {
    ::unlink(temporary.c_str());
    return error;
  }
  return syncDirectoryOf(path);
}

}  // namespace nnc::runtime
