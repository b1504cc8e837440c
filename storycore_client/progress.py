"""A plain-text progress bar on stderr (no dependency): redrawn in place on a terminal,
one line per change when stderr is a file or a pipe (logs, CI)."""
from __future__ import annotations

import sys
from typing import TextIO


class ProgressBar:
    def __init__(self, label: str, *, stream: TextIO | None = None, width: int = 30):
        self.label = label
        self.stream = stream or sys.stderr
        self.width = width
        self.interactive = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.last: str | None = None

    def update(self, fraction: float, text: str = "") -> None:
        fraction = min(max(fraction, 0.0), 1.0)
        filled = round(fraction * self.width)
        line = f"{self.label} [{'#' * filled}{'-' * (self.width - filled)}] {fraction * 100:3.0f}% {text}".rstrip()
        if line == self.last:
            return
        self.last = line
        if self.interactive:
            self.stream.write("\r\033[K" + line)
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.interactive and self.last is not None:
            self.stream.write("\n")
            self.stream.flush()

    def __enter__(self) -> "ProgressBar":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
