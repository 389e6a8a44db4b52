#pragma once
// Replacing a file so that a crash, a full disk or a kill at any moment leaves
// either the old file or the complete new one at its path, never a partial one.
#include <cstddef>
#include <span>
#include <string>
#include <system_error>

namespace nnc::runtime {

// Writes the concatenated `pieces` to a temporary file beside `path`, syncs
// it to disk, renames it over `path` and syncs the directory. On failure the
// temporary file is removed and the error comes back (its message() is the
// strerror text); on success the error is empty. Only if the last step, the
// directory sync, fails is the new file already in place when an error comes
// back (complete, but not yet sure to survive a power loss).
//
// A symbolic link is followed: its target is replaced and the link kept. A
// replaced file keeps its permission bits (and owner, where allowed). The
// temporaries of earlier saves to `path` that were killed (`path.tmp.PID`
// with no such process) are removed. A device, FIFO or terminal is written
// in place.
std::error_code writeFileAtomically(const std::string& path, std::span<const std::span<const std::byte>> pieces);

}  // namespace nnc::runtime
