# lit configuration for nnc's golden tests. Each test file carries its own
# `RUN:` lines; `%nnc` is the built compiler, `%examples` the examples folder.
import os
import subprocess
import lit.formats

config.name = "nnc"
config.test_format = lit.formats.ShTest(execute_external=True)
config.suffixes = [".test", ".nn"]
config.excludes = ["Inputs", "lit.cfg.py", "lit.site.cfg.py.in"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(os.path.dirname(config.nnc_binary), "..", "tests", "lit-out")

config.substitutions.append(("%nnc", config.nnc_binary))
config.substitutions.append(("%examples", config.examples_dir))
# The build tree (to install from) and the sources (for examples/embed).
config.substitutions.append(("%build_dir", config.nnc_build_dir))
config.substitutions.append(("%source_dir", config.nnc_source_dir))
config.substitutions.append(("FileCheck", config.filecheck))
# `not` inverts an exit code; Debian ships LLVM's as part of llvm-19-tools.
config.substitutions.append(("not ", "/usr/lib/llvm-19/bin/not "))
config.environment["LC_ALL"] = "C.UTF-8"
# lit passes few variables on; the OpenBLAS kernels the environment chose
# must reach the tests, which have to pass under each.
for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_VERBOSE"):
    if name in os.environ:
        config.environment[name] = os.environ[name]
# `%as-user CMD` runs CMD as an unprivileged user (nobody) when the tests run
# as root, who may write into read-only folders; otherwise as it is. Tests
# that need it say `REQUIRES: unwritable-paths`: nobody must be able to reach
# the build folder.
as_user = "setpriv --reuid=65534 --regid=65534 --clear-groups" if os.geteuid() == 0 else ""
config.substitutions.append(("%as-user", as_user))
# (`grad`, not `--version`: the launcher answers that without loading the
# compiler library from the build folder.)
if subprocess.call(as_user.split() + [config.nnc_binary, "grad", "x"],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) == 0:
    config.available_features.add("unwritable-paths")
# A sanitizer build (scripts/sanitize.sh) instruments nnc's libraries, so a
# program built outside it with a plain compiler cannot link or load them:
# the tests that build one say `UNSUPPORTED: sanitizers`.
if "-fsanitize" in config.cxx_flags:
    config.available_features.add("sanitizers")
# ONNX Runtime, for the export tests, lives in the virtual environment
# scripts/interop-venv.sh makes (scripts/test.sh runs it): tests that need
# it say `REQUIRES: onnxruntime` and run `%interop_python`.
config.substitutions.append(("%interop_python", config.interop_python))
if os.path.exists(config.interop_python) and subprocess.call(
        [config.interop_python, "-c", "import onnxruntime"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) == 0:
    config.available_features.add("onnxruntime")
# PyTorch with its C++ headers (Debian's python3-torch and libtorch-dev,
# which scripts/install-deps.sh installs for the tests), for the operators
# nnc torch generates: tests that need it say `REQUIRES: torch` and run
# `%torch_python`.
torch_python = "/usr/bin/python3"
config.substitutions.append(("%torch_python", torch_python))
probe = ("import os, torch.utils.cpp_extension as c; "
         "assert any(os.path.exists(os.path.join(p, 'torch', 'library.h')) for p in c.include_paths())")
if os.path.exists(torch_python) and subprocess.call([torch_python, "-c", probe], stdout=subprocess.DEVNULL,
                                                    stderr=subprocess.DEVNULL) == 0:
    config.available_features.add("torch")
