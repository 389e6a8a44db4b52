#pragma once
// Reads a numeric CSV file as a data set: each row holds the feature values
// and one integer class label (or, if asked, real-valued targets),
// separated by commas. Fields
// may be padded with spaces; CRLF line ends, blank lines and a UTF-8 byte
// order mark are tolerated; gzip files are decompressed while read. Every
// bad row is reported (up to a cap), with file:line:col and the line.
#include <optional>
#include <string>
#include <string_view>

#include "runtime/Dataset.h"
#include "support/Diagnostics.h"

namespace nnc::runtime {

enum class CsvHeader {
  Detect,   // the first row is a header when none of its fields is a number
  Present,  // the first row is a header
  Absent,   // every row is data
};

struct CsvOptions {
  // The column holding the label; a negative index counts from the end, so
  // -1 is the last column. The other columns, in order, are the features.
  int labelColumn = -1;
  // > 0: real-valued targets instead of a class label, this many columns
  // from labelColumn on (a negative labelColumn counts back from the end:
  // -1 with 2 targets is the last two columns).
  int64_t targetColumns = 0;
  // > 0: a file whose first row has exactly this many columns holds
  // features only, with no label or targets (samples to predict); other
  // files are read as above.
  int64_t unlabelledColumns = 0;
  CsvHeader header = CsvHeader::Detect;
};

// Labels must be integers in [0, kMaxCsvClasses): a label of a billion would
// otherwise ask for a billion-wide output layer.
inline constexpr int64_t kMaxCsvClasses = 65536;
// Errors reported per file before the rest are only counted.
inline constexpr size_t kMaxCsvErrors = 10;

std::optional<Dataset> loadCsvDataset(const std::string& path, Diagnostics& diags, const CsvOptions& options = {});

// The same for text already in memory; `name` stands for the file in messages.
std::optional<Dataset> parseCsvDataset(std::string_view text, const std::string& name, Diagnostics& diags,
                                       const CsvOptions& options = {});

}  // namespace nnc::runtime
