"""Checks nnc evaluate's output (argv[1]) against nnc train's metrics JSON
(argv[2]) for the same weights and test data: the same accuracy, a
confusion matrix whose entries sum to the samples and whose diagonal is the
correct ones, and per-class figures that follow from the matrix."""
import json
import re
import sys

text = open(sys.argv[1]).read().splitlines()
metrics = json.load(open(sys.argv[2]))
accuracy, samples = re.match(r"loss [0-9.]+  accuracy ([0-9.]+)  \((\d+) samples\)", text[0]).groups()
samples = int(samples)
assert abs(float(accuracy) - metrics["test_accuracy"]) < 1e-4, (accuracy, metrics["test_accuracy"])
classes = len(text[2].split())
matrix = [[int(v) for v in line.split()[1:]] for line in text[3:3 + classes]]
assert sum(map(sum, matrix)) == samples, matrix
correct = sum(matrix[c][c] for c in range(classes))
assert abs(correct / samples - float(accuracy)) < 1e-4, (correct, samples, accuracy)
for c, line in enumerate(text[4 + classes:4 + 2 * classes]):
    right, total = map(int, re.search(r"\((\d+) of (\d+)\)", line).groups())
    assert right == matrix[c][c] and total == sum(matrix[c]), (line, matrix[c])
print(f"evaluate agrees with train: accuracy {accuracy} over {samples} samples, the matrix sums to them")
