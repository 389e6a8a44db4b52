"""Runs `nnc repl` on a pseudo-terminal, types lines (with tabs for
completion), and prints what the terminal showed, for FileCheck.

usage: repl_pty.py NNC LINE...   (each LINE is typed, then Enter; "\\t" is Tab)
"""
import os
import pty
import re
import select
import sys
import time


def read_until_quiet(fd, quiet=0.3, limit=20.0):
    out = b""
    deadline = time.time() + limit
    while time.time() < deadline:
        ready, _, _ = select.select([fd], [], [], quiet)
        if not ready:
            break
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # the child has gone
            break
        if not chunk:
            break
        out += chunk
    return out


def main():
    nnc, lines = sys.argv[1], sys.argv[2:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(nnc, [nnc, "repl"])
    shown = read_until_quiet(fd)
    for line in lines:
        os.write(fd, line.encode().replace(b"\\t", b"\t") + b"\r")
        shown += read_until_quiet(fd)
    os.write(fd, b"\x04")  # Ctrl-D: end of input
    # Everything up to the end, however slow the machine: the child closing
    # the terminal ends the reading. (Lines typed early are fine: the
    # terminal keeps them until the REPL reads its next line.)
    shown += read_until_quiet(fd, quiet=20.0)
    _, status = os.waitpid(pid, 0)
    text = shown.decode("utf-8", "replace").replace("\r", "")
    # Drop terminal control sequences (libedit redraws lines).
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]|\x07|\x08", "", text)
    sys.stdout.write(text)
    print(f"\nexit status {os.waitstatus_to_exitcode(status)}")


if __name__ == "__main__":
    main()
