"""Export files -> canonical frames (the read side of the loaders; no database here).

``read_export`` reads one file: it finds the header (skipping report titles), recognises the format
from it (or takes ``format``/``mapping``), parses every column at once, and returns a ``ReadResult``
holding a frame that has passed ``schema.conform``, the rejected rows with their line numbers and
reasons, and warnings. ``read_bundle`` reads a Salesforce Data Export ZIP or folder.

Formats (``FORMATS``): see ``docs/mapping.md`` for the list and for mapping files.
"""

from loaders.formats.base import Format, Options, ReadResult, Reject
from loaders.formats.detect import FORMATS, UnknownFormatError, detect_format
from loaders.formats.read import read_export
from loaders.formats.salesforce.bundle import BundleResult, read_bundle
from loaders.formats.salesforce.lookups import accounts_from, rates_from, users_from
from loaders.parsing.errors import LoadError

__all__ = [
    "FORMATS",
    "BundleResult",
    "Format",
    "Options",
    "LoadError",
    "ReadResult",
    "Reject",
    "UnknownFormatError",
    "accounts_from",
    "detect_format",
    "rates_from",
    "read_bundle",
    "read_export",
    "users_from",
]
