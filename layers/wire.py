"""The wire form of columnar layer rows: typed arrays as base64, text plain or dictionary-encoded.

The browser side (``assets/map/cityops-map.js``) turns each numeric column back into the
typed array named by ``dtype`` without copying a row at a time.
"""

from __future__ import annotations

import base64
from typing import Any

import numpy as np

from layers.spec import Columns

#: numpy dtype -> the JS typed array the browser builds from the bytes
DTYPES = {
    np.dtype("float32"): "float32",
    np.dtype("float64"): "float64",
    np.dtype("uint8"): "uint8",
    np.dtype("uint16"): "uint16",
    np.dtype("uint32"): "uint32",
    np.dtype("int8"): "int8",
    np.dtype("int16"): "int16",
    np.dtype("int32"): "int32",
}


def encode_array(array: np.ndarray) -> dict[str, Any]:
    """One numeric column: ``{"dtype", "size", "b64"}`` (size = values per row)."""
    dtype = np.dtype(array.dtype)
    if dtype not in DTYPES:
        raise TypeError(f"no typed array for dtype {dtype}")
    size = 1 if array.ndim == 1 else int(array.shape[1])
    raw = np.ascontiguousarray(array, dtype=dtype.newbyteorder("<")).tobytes()
    return {"dtype": DTYPES[dtype], "size": size, "b64": base64.b64encode(raw).decode("ascii")}


def decode_array(encoded: dict[str, Any]) -> np.ndarray:
    """The inverse of :func:`encode_array` (tests and tools)."""
    dtype = np.dtype(encoded["dtype"]).newbyteorder("<")
    flat = np.frombuffer(base64.b64decode(encoded["b64"]), dtype=dtype)
    size = int(encoded["size"])
    return flat if size == 1 else flat.reshape(-1, size)


def encode_columns(columns: Columns) -> dict[str, Any]:
    """A :class:`Columns` table as JSON-ready data."""
    out: dict[str, Any] = {}
    for name, array in columns.numeric.items():
        out[name] = encode_array(array)
    for name, col in columns.text.items():
        if isinstance(col, tuple):
            codes, values = col
            out[name] = {"codes": encode_array(np.asarray(codes)), "values": list(values)}
        else:
            out[name] = list(col)
    return {"length": columns.length, "columns": out}
