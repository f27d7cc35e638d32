"""Team Car's lower layer: configuration, the store, and export readers.

Nothing here imports ``dash``; ``dashboard`` builds on this package, never the reverse.
"""
