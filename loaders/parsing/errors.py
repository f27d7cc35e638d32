"""The one error every loader raises for a person to read.

A ``LoadError``'s message names the file, and where it can the line and column, and says what was
expected: the CLI, the upload page and the watcher show it as it is.
"""

from __future__ import annotations


class LoadError(Exception):
    """A file cannot be loaded; the message says which file, where, and what was expected."""
