#include "runtime/CsvReader.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <new>
#include <vector>

#include <fmt/format.h>

#include "runtime/ReadWholeFile.h"

namespace nnc::runtime {

namespace {
struct Line {
  std::string_view text;  // without its line end
  uint32_t number;        // 1-based
};

struct Field {
  std::string_view text;  // without surrounding spaces
  uint32_t column;        // 1-based byte column of its first character
};

// A field's value, or why it has none.
struct Number {
  enum Kind { Ok, Empty, NotANumber, OutOfRange } kind;
  double value = 0;
};

// Reports a file's errors at their lines, keeping the first kMaxCsvErrors and
// counting the rest, so one bad column does not bury the terminal.
class ErrorReporter {
public:
  ErrorReporter(const std::string& name, Diagnostics& diags) : name_(name), diags_(diags) {}

  void atLine(const Line& line, uint32_t column, size_t length, std::string message) {
    if (++count_ > kMaxCsvErrors) return;
    uint32_t shown = static_cast<uint32_t>(std::max<size_t>(length, 1));
    diags_.errorInFile(name_, SourceRange{SourceLoc{line.number, column}, shown}, std::string(line.text),
                       std::move(message));
  }
  void atField(const Line& line, const Field& field, std::string message) {
    atLine(line, field.column, field.text.size(), std::move(message));
  }
  void inFile(std::string message) {
    ++count_;
    diags_.errorInFile(name_, {}, "", std::move(message));
  }
  // Reports how many errors were only counted.
  void finish() {
    if (count_ <= kMaxCsvErrors) return;
    size_t more = count_ - kMaxCsvErrors;
    diags_.errorInFile(name_, {}, "", fmt::format("... and {} more error{}", more, more == 1 ? "" : "s"));
  }
  bool any() const { return count_ > 0; }

private:
  const std::string& name_;
  Diagnostics& diags_;
  size_t count_ = 0;
};
}  // namespace

static bool isBlank(char c) { return c == ' ' || c == '\t'; }

static std::vector<Line> splitLines(std::string_view text) {
  constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";
  if (text.starts_with(kByteOrderMark)) text.remove_prefix(kByteOrderMark.size());
  std::vector<Line> lines;
  uint32_t number = 0;
  while (!text.empty()) {
    size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    ++number;
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (std::all_of(line.begin(), line.end(), isBlank)) continue;
    lines.push_back({line, number});
  }
  return lines;
}

static std::vector<Field> splitFields(std::string_view line) {
  std::vector<Field> fields;
  size_t start = 0;
  for (;;) {
    size_t end = std::min(line.find(',', start), line.size());
    size_t first = start, last = end;
    while (first < last && isBlank(line[first])) ++first;
    while (last > first && isBlank(line[last - 1])) --last;
    fields.push_back({line.substr(first, last - first), static_cast<uint32_t>(first + 1)});
    if (end == line.size()) return fields;
    start = end + 1;
  }
}

static Number parseNumber(std::string_view text) {
  if (text.empty()) return {Number::Empty};
  std::string_view digits = text;
  // from_chars refuses the '+' that people and spreadsheets write.
  if (digits.size() > 1 && digits[0] == '+' && digits[1] != '-') digits.remove_prefix(1);
  double value = 0;
  auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (end != digits.data() + digits.size() || error == std::errc::invalid_argument) return {Number::NotANumber};
  if (error == std::errc::result_out_of_range) return {Number::OutOfRange};
  return {Number::Ok, value};
}

// Reports a field that holds no usable number; true if it was reported.
static bool reportNonNumber(const Number& number, const Line& line, const Field& field, ErrorReporter& errors) {
  switch (number.kind) {
    case Number::Ok: return false;
    case Number::Empty: errors.atField(line, field, "empty field, expected a number"); return true;
    case Number::NotANumber: errors.atField(line, field, fmt::format("'{}' is not a number", field.text)); return true;
    case Number::OutOfRange:
      errors.atField(line, field, fmt::format("'{}' is out of range for float32", field.text));
      return true;
  }
  return true;
}

static bool isHeader(const std::vector<Field>& fields, CsvHeader header) {
  switch (header) {
    case CsvHeader::Present: return true;
    case CsvHeader::Absent: return false;
    case CsvHeader::Detect:
      return std::none_of(fields.begin(), fields.end(),
                          [](const Field& f) { return parseNumber(f.text).kind == Number::Ok; });
  }
  return false;
}

// Reports a row whose field count is wrong: at the end of a short row, or at
// the first surplus field of a long one.
static void reportColumnCount(const Line& line, const std::vector<Field>& fields, size_t columns,
                              ErrorReporter& errors) {
  std::string message = fmt::format("expected {} columns, found {}", columns, fields.size());
  if (fields.size() < columns) {
    errors.atLine(line, static_cast<uint32_t>(line.text.size() + 1), 1, std::move(message));
  } else {
    uint32_t column = fields[columns].column;
    errors.atLine(line, column, line.text.size() + 1 - column, std::move(message));
  }
}

std::optional<Dataset> parseCsvDataset(std::string_view text, const std::string& name, Diagnostics& diags,
                                       const CsvOptions& options) {
  ErrorReporter errors(name, diags);
  std::vector<Line> lines = splitLines(text);
  if (lines.empty()) {
    errors.inFile("file is empty");
    return std::nullopt;
  }

  // The first row, header or data, fixes the number of columns.
  std::vector<Field> firstRow = splitFields(lines.front().text);
  size_t columns = firstRow.size();
  bool unlabelled = options.unlabelledColumns > 0 && static_cast<int64_t>(columns) == options.unlabelledColumns;
  if (columns < 2 && !unlabelled) {
    errors.atLine(lines.front(), 1, lines.front().text.size(),
                  "a row needs at least 2 columns, the features and a label; found 1");
    return std::nullopt;
  }
  int64_t targets = unlabelled ? 0 : std::max<int64_t>(options.targetColumns, 0);
  int64_t labelColumn = unlabelled                ? static_cast<int64_t>(columns)  // past the last: no label
                        : options.labelColumn >= 0 ? options.labelColumn
                        : targets > 0             ? static_cast<int64_t>(columns) - targets
                                                  : static_cast<int64_t>(columns) + options.labelColumn;
  // The label's or targets' columns end here.
  int64_t labelEnd = unlabelled ? labelColumn : labelColumn + std::max<int64_t>(targets, 1);
  if (labelColumn < 0 || labelEnd > static_cast<int64_t>(columns)) {
    if (targets > 0)
      errors.inFile(fmt::format("{} target columns from column {} do not fit: rows have {} columns", targets,
                                labelColumn, columns));
    else
      errors.inFile(fmt::format("label column {} does not exist: rows have {} columns", options.labelColumn, columns));
    return std::nullopt;
  }
  if (!unlabelled && labelEnd - labelColumn >= static_cast<int64_t>(columns)) {
    errors.inFile(fmt::format("rows have {} columns, all of them targets: none is left for features", columns));
    return std::nullopt;
  }
  size_t firstData = isHeader(firstRow, options.header) ? 1 : 0;
  if (firstData == lines.size()) {
    errors.inFile("no data rows");
    return std::nullopt;
  }

  std::vector<float> features, targetValues;
  std::vector<int32_t> labels;
  int64_t rows = 0;
  features.reserve((lines.size() - firstData) * (columns - 1));
  labels.reserve(lines.size() - firstData);
  for (size_t l = firstData; l < lines.size(); ++l) {
    const Line& line = lines[l];
    std::vector<Field> fields = splitFields(line.text);
    if (fields.size() != columns) {
      reportColumnCount(line, fields, columns, errors);
      continue;
    }
    ++rows;
    for (size_t c = 0; c < columns; ++c) {
      const Field& field = fields[c];
      Number number = parseNumber(field.text);
      if (reportNonNumber(number, line, field, errors)) continue;
      bool isTarget = targets > 0 && static_cast<int64_t>(c) >= labelColumn && static_cast<int64_t>(c) < labelEnd;
      if (!isTarget && static_cast<int64_t>(c) == labelColumn && targets == 0) {
        double v = number.value;
        if (!(v >= 0 && v < static_cast<double>(kMaxCsvClasses) && v == std::floor(v))) {
          errors.atField(line, field, fmt::format("label '{}' is not a class index (an integer from 0 to {})",
                                                  field.text, kMaxCsvClasses - 1));
          continue;
        }
        labels.push_back(static_cast<int32_t>(v));
      } else if (!std::isfinite(number.value)) {
        errors.atField(line, field, fmt::format("non-finite value '{}'", field.text));
      } else if (std::abs(number.value) > std::numeric_limits<float>::max()) {
        errors.atField(line, field, fmt::format("'{}' is out of range for float32", field.text));
      } else {
        (isTarget ? targetValues : features).push_back(static_cast<float>(number.value));
      }
    }
  }
  errors.finish();
  if (errors.any()) return std::nullopt;

  Dataset data;
  int64_t labelWidth = labelEnd - labelColumn;
  data.features = Tensor({rows, static_cast<int64_t>(columns) - labelWidth});
  std::copy(features.begin(), features.end(), data.features.data());
  if (targets > 0) {
    data.targets = Tensor({rows, targets});
    std::copy(targetValues.begin(), targetValues.end(), data.targets.data());
    return data;
  }
  if (unlabelled) return data;
  data.labels = std::move(labels);
  data.numClasses = *std::max_element(data.labels.begin(), data.labels.end()) + 1;
  return data;
}

std::optional<Dataset> loadCsvDataset(const std::string& path, Diagnostics& diags, const CsvOptions& options) {
  std::optional<std::string> text = readWholeFile(path, diags);
  if (!text) return std::nullopt;
  try {
    return parseCsvDataset(*text, path, diags, options);
  } catch (const std::bad_alloc&) {
    // Parsing holds the text and the values together: say which file did not fit.
    diags.errorInFile(path, {}, "",
                      fmt::format("not enough memory to parse its {} bytes into samples", text->size()));
    return std::nullopt;
  }
}

}  // namespace nnc::runtime
