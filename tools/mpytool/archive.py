"""Reading static libraries (System V / GNU `ar` archives, e.g. libgcc.a)."""

import struct

from .errors import ToolError

AR_MAGIC = b"!<arch>\n"


class Archive:
    """Members of an `ar` archive and the symbol index that names them."""

    def __init__(self, path, data):
        self.path = path
        self.members = {}        # header offset -> (name, bytes)
        self.symbols = {}        # symbol -> header offset of the member defining it
        if not data.startswith(AR_MAGIC):
            raise ToolError("%s: not an ar archive" % path)
        long_names = b""
        index = None
        pos = len(AR_MAGIC)
        while pos + 60 <= len(data):
            header = data[pos:pos + 60]
            name = header[0:16].decode("ascii", "replace").rstrip()
            try:
                size = int(header[48:58].decode("ascii").strip())
            except ValueError:
                raise ToolError("%s: bad member header at %d" % (path, pos))
            body = data[pos + 60:pos + 60 + size]
            if name == "/":
                index = body
            elif name == "//":
                long_names = body
            else:
                if name.startswith("/") and name[1:].isdigit():
                    start = int(name[1:])
                    end = long_names.find(b"/\n", start)
                    name = long_names[start:end].decode("ascii", "replace")
                else:
                    name = name.rstrip("/")
                self.members[pos] = (name, body)
            pos += 60 + size + (size & 1)
        if index is None:
            raise ToolError("%s: archive has no symbol index (run ranlib)" % path)
        (count,) = struct.unpack_from(">I", index, 0)
        offsets = struct.unpack_from(">%dI" % count, index, 4)
        names = index[4 + 4 * count:].split(b"\x00")
        for offset, sym in zip(offsets, names):
            self.symbols.setdefault(sym.decode("ascii", "replace"), offset)

    @classmethod
    def load(cls, path):
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError as e:
            raise ToolError("%s: cannot read: %s" % (path, e.strerror))
        return cls(path, data)

    def member_for(self, symbol):
        """(name, bytes) of the member defining `symbol`, or None."""
        offset = self.symbols.get(symbol)
        if offset is None:
            return None
        return self.members[offset]
