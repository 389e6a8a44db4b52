#pragma once
// Reads a data file into memory in one go, decompressing it on the way when it
// is gzip (whatever its name), so `train-images-idx3-ubyte.gz` and its
// unpacked twin read the same. Reading whole files keeps the parsers simple
// and lets them check a header's claims against the bytes actually present
// before allocating anything on the header's word.
#include <optional>
#include <string>

#include "support/Diagnostics.h"

namespace nnc::runtime {

// The file's (decompressed) bytes, or nullopt after reporting why not: it
// cannot be opened, a read fails, or the gzip data is corrupt or cut short.
std::optional<std::string> readWholeFile(const std::string& path, Diagnostics& diags);

}  // namespace nnc::runtime
