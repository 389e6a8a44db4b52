#include "support/InputFile.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace nnc {

namespace {

const char* kindOf(mode_t mode) {
  if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISBLK(mode)) return "a block device";
  return "a special file";
}

}  // namespace

int openInputFile(const std::string& path, std::string& whyNot) {
  int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    whyNot = std::strerror(errno);
    return -1;
  }
  struct stat info {};
  if (::fstat(fd, &info) != 0) {
    whyNot = std::strerror(errno);
    ::close(fd);
    return -1;
  }
  if (S_ISDIR(info.st_mode)) {
    whyNot = std::strerror(EISDIR);
    ::close(fd);
    return -1;
  }
  if (!S_ISREG(info.st_mode) && !S_ISCHR(info.st_mode)) {
    whyNot = std::string("it is ") + kindOf(info.st_mode) + ", not a regular file";
    ::close(fd);
    return -1;
  }
  // Reads block again, as the readers expect.
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) {
    whyNot = std::strerror(errno);
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace nnc
