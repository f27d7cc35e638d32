"""Reading figures as Dash sends them (for the benchmarks and the tests)."""

from __future__ import annotations


def decoded(value):
    """A figure dict with plotly's base64 typed arrays (``bdata``) turned back into arrays."""
    import base64

    import numpy as np

    if isinstance(value, dict):
        if "bdata" in value and "dtype" in value:
            array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
            shape = value.get("shape")
            if shape:
                dims = [int(n) for n in str(shape).split(",")] if isinstance(shape, str) else shape
                array = array.reshape(dims)
            return array
        return {k: decoded(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [decoded(v) for v in value]
    return value
