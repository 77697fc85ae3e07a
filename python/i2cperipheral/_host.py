# CPython only: the engine, glue and sim port built as a shared library and
# called through ctypes.  Exposes the same flat functions, with the same
# Python-visible signatures, as the native module `_i2ct` on a board.
import ctypes
import os
import subprocess

_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_DEFAULT_LIB = os.path.join(_ROOT, "build", "host", "libi2ct_sim.so")

# name: number of int arguments, for every function that takes only ints.
_INT_FUNCTIONS = {
    "abi_version": 0, "port": 0, "close": 1, "is_open": 1, "configure": 3,
    "set_readonly": 5, "request": 1, "status": 1, "rx_want": 3, "tx_sent": 1,
    "tx_pending": 1, "ack": 2, "seg_close": 1, "counter": 2,
    "service": 1, "sim_address": 4, "sim_write_byte": 2, "sim_read_byte": 1,
    "sim_controller_nack": 1, "sim_stop": 1, "sim_bus_error": 1, "sim_poll": 1,
    "sim_set_time": 1,
}


def _c_buffer(buf, writable):
    """A ctypes view of buf (no copy when writable) and its length."""
    view = memoryview(buf).cast("B")
    if writable:
        if view.readonly:
            raise TypeError("buffer must be writable (bytearray), not %s" % type(buf).__name__)
        return (ctypes.c_uint8 * len(view)).from_buffer(view), len(view)
    data = bytes(view)
    return (ctypes.c_uint8 * len(data)).from_buffer_copy(data), len(data)


class HostLib:
    """The flat function set over the ctypes library."""

    def __init__(self, path):
        self._dll = ctypes.CDLL(path)
        self._regmaps = {}  # (t, address) -> ctypes view keeping the bytearray pinned
        for name, nargs in _INT_FUNCTIONS.items():
            fn = getattr(self._dll, "i2ct_" + name)
            fn.argtypes = [ctypes.c_int] * nargs
            fn.restype = ctypes.c_int
            # A method of this class wraps the C function of the same name.
            setattr(self, "_" + name if hasattr(type(self), name) else name, fn)
        ptr = ctypes.POINTER(ctypes.c_uint8)
        for name, argtypes in (
            ("open", [ctypes.c_int, ctypes.c_int, ctypes.c_int, ptr, ctypes.c_int, ctypes.c_int]),
            ("set_regmap", [ctypes.c_int, ctypes.c_int, ptr, ctypes.c_int, ctypes.c_int]),
            ("rx_take", [ctypes.c_int, ptr, ctypes.c_int]),
            ("tx_put", [ctypes.c_int, ptr, ctypes.c_int]),
            ("reg_dirty", [ctypes.c_int, ctypes.c_int, ptr, ctypes.c_int]),
        ):
            fn = getattr(self._dll, "i2ct_" + name)
            fn.argtypes = argtypes
            fn.restype = ctypes.c_int
            setattr(self, "_" + name, fn)

    def open(self, t, scl, sda, addresses, flags):
        cbuf, n = _c_buffer(addresses, False)
        return self._open(t, scl, sda, cbuf, n, flags)

    def close(self, t):
        for key in [k for k in self._regmaps if k[0] == t]:
            del self._regmaps[key]
        return self._close(t)

    def set_regmap(self, t, address, mem, flags):
        if mem is None:
            self._regmaps.pop((t, address), None)
            return self._set_regmap(t, address, None, 0, flags)
        cbuf, n = _c_buffer(mem, True)
        result = self._set_regmap(t, address, cbuf, n, flags)
        if result == 0:
            self._regmaps[(t, address)] = cbuf
        return result

    def rx_take(self, t, buf):
        cbuf, n = _c_buffer(buf, True)
        return self._rx_take(t, cbuf, n)

    def reg_dirty(self, t, address, span):
        cbuf, n = _c_buffer(span, True)
        return self._reg_dirty(t, address, cbuf, n)

    def tx_put(self, t, buf):
        cbuf, n = _c_buffer(buf, False)
        return self._tx_put(t, cbuf, n)


_lib = None


def load(path=None):
    """Load (building it with `make host` when missing) the host library."""
    global _lib
    if path is None and _lib is not None:
        return _lib
    path = path or os.environ.get("I2CT_HOSTLIB") or _DEFAULT_LIB
    if not os.path.exists(path):
        subprocess.run(["make", "-s", "-C", _ROOT, "host"], check=True)
    lib = HostLib(path)
    if path == _DEFAULT_LIB or _lib is None:
        _lib = lib
    return lib
