"""Run a device script on the PC and reach it with the real Linux I2C tools.

    python -m tools.packaging.i2csim serve DEVICE.py [--socket PATH] [--bus N]
    python -m tools.packaging.i2csim run [--socket PATH] [--bus N] -- i2cget -y 1 0x40 0x01

`serve` runs DEVICE.py (written with the i2cperipheral API, unchanged, as it
would run on a board) against the simulated bus, and serves that bus on a
unix socket.  `run` starts a program with build/host/libi2cshim.so preloaded
(make i2c-shim), so its /dev/i2c-N (default N=1) is that bus: i2cdetect,
i2cget, i2cset, i2cdump, i2ctransfer, smbus2, ... work unchanged.

Every transaction a tool asks for becomes one controller transfer on the
simulated bus (repeated STARTs between its messages, one STOP).  Address
NACK gives the tool ENXIO, a NACKed data byte EREMOTEIO, as Linux adapters
do.  The device script's loop must call request() (it pumps the bus); when
the script returns and a target is still open (register mode with
serve_memory), serving goes on without it.
"""
import argparse
import errno
import os
import select
import socket
import struct
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHIM = os.path.join(ROOT, "build", "host", "libi2cshim.so")
DEFAULT_SOCKET = "/tmp/i2csim-%d.sock" % os.getuid()
MAGIC = 0x53433249
MAX_MSGS = 42
MAX_LEN = 8192


class ProtocolError(Exception):
    pass


class _Client:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""
        self.msgs = None        # parsed request waiting for the bus
        self.transfer = None    # its transfer on the bus

    def parse(self):
        """A complete request from buf, or None (needs more bytes)."""
        b = self.buf
        if len(b) < 8:
            return None
        magic, n = struct.unpack_from("<II", b, 0)
        if magic != MAGIC or not 1 <= n <= MAX_MSGS:
            raise ProtocolError("bad request header %r" % b[:8])
        pos, msgs = 8, []
        for _ in range(n):
            if len(b) < pos + 6:
                return None
            addr, flags, length = struct.unpack_from("<HHH", b, pos)
            pos += 6
            if addr > 0x7F or length > MAX_LEN:
                raise ProtocolError("bad message addr 0x%x len %d" % (addr, length))
            if flags & 1:
                msgs.append(("r", addr, length, bool(flags & 2)))
            else:
                if len(b) < pos + length:
                    return None
                msgs.append(("w", addr, bytes(b[pos:pos + length]), False))
                pos += length
        self.buf = b[pos:]
        return msgs


class Server:
    """The unix socket side; poll() is called before every bus step."""

    def __init__(self, path, bus):
        self.path = path
        self.bus = bus
        if os.path.exists(path):
            os.unlink(path)
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(path)
        self.listener.listen(8)
        self.listener.setblocking(False)
        self.clients = []
        self.transactions = 0

    def close(self):
        for c in self.clients:
            c.sock.close()
        self.listener.close()
        if os.path.exists(self.path):
            os.unlink(self.path)

    def _start(self, client, msgs):
        from i2cperipheral import sim
        segments = []
        for d, addr, arg, recv_len in msgs:
            if d == "w":
                segments.append(("w", addr, arg))
            else:
                if not recv_len:
                    segments.append(("r", addr, arg))
                elif arg in (1, 2):   # count byte first (+ the PEC byte after the block)
                    segments.append(("r", addr, sim.BLOCK if arg == 1 else sim.BLOCK_PEC))
                else:
                    self._reply(client, -errno.EINVAL, [])
                    return
        try:
            client.transfer = self.bus.transfer(segments)
        except (ValueError, TypeError):
            client.transfer = None
            self._reply(client, -errno.EINVAL, [])
            return
        client.msgs = msgs

    def _reply(self, client, status, data):
        out = struct.pack("<i", status)
        if status == 0:
            for d in data:
                out += struct.pack("<H", len(d)) + bytes(d)
        try:
            client.sock.sendall(out)
        except OSError:
            self._drop(client)
        self.transactions += 1

    def _drop(self, client):
        if client in self.clients:
            self.clients.remove(client)
        client.sock.close()

    def _finish(self, client):
        tr = client.transfer
        client.transfer = None
        client.msgs = None
        if tr.error:
            status = -errno.ENXIO if "address" in tr.error else -errno.EREMOTEIO
            self._reply(client, status, [])
        else:
            self._reply(client, 0, tr.data)

    def poll(self, wait):
        """Accept, read requests, queue transfers, answer finished ones.
        wait: seconds to block when there is nothing to do."""
        for c in self.clients:
            if c.transfer is not None and c.transfer.done:
                self._finish(c)
        busy = any(c.transfer is not None for c in self.clients) or not self.bus.idle()
        socks = [self.listener] + [c.sock for c in self.clients]
        ready, _, _ = select.select(socks, [], [], 0 if busy else wait)
        for s in ready:
            if s is self.listener:
                try:
                    conn, _ = self.listener.accept()
                except BlockingIOError:
                    continue
                conn.setblocking(True)
                conn.settimeout(10)
                self.clients.append(_Client(conn))
                continue
            client = next(c for c in self.clients if c.sock is s)
            try:
                chunk = s.recv(65536)
            except OSError:
                chunk = b""
            if not chunk:
                self._drop(client)
                continue
            client.buf += chunk
        for c in list(self.clients):
            if c.transfer is None and c.buf:
                try:
                    msgs = c.parse()
                except ProtocolError as e:
                    print("i2csim: %s; dropping the client" % e, file=sys.stderr)
                    self._drop(c)
                    continue
                if msgs is not None:
                    self._start(c, msgs)


def serve(script, path, ready_file=None, clock_hz=100000):
    sys.path.insert(0, os.path.join(ROOT, "python"))
    from i2cperipheral import sim
    bus = sim.reset(stretching=True, clock_hz=clock_hz, stop_when_idle=False)
    server = Server(path, bus)
    step = bus.pump

    def pump():
        server.poll(0.002)
        return step()

    bus.pump = pump  # the device script's request() pumps the bus through here
    if ready_file:
        with open(ready_file, "w") as f:
            f.write(path + "\n")
    print("i2csim: %s on %s (LD_PRELOAD=%s I2CSIM_SOCKET=%s)" % (
        os.path.relpath(script), path, SHIM, path), file=sys.stderr, flush=True)
    try:
        with open(script) as f:
            code = compile(f.read(), script, "exec")
        exec(code, {"__name__": "__main__", "__file__": script})
        # The script returned: serve on while a target (register mode) is open.
        while any(bus.lib.is_open(t) for t in range(bus.max_targets)):
            pump()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    return 0


def run(argv, path, bus_number):
    if not os.path.exists(SHIM):
        print("i2csim: %s missing: make i2c-shim" % SHIM, file=sys.stderr)
        return 2
    if not argv:
        print("i2csim run: give a command, e.g. -- i2cdetect -y 1", file=sys.stderr)
        return 2
    env = dict(os.environ, I2CSIM_SOCKET=path, I2CSIM_BUS=str(bus_number))
    env["LD_PRELOAD"] = SHIM + ((" " + env["LD_PRELOAD"]) if env.get("LD_PRELOAD") else "")
    os.execvpe(argv[0], argv, env)


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m tools.packaging.i2csim", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve", help="run a device script on a simulated bus, served on a socket")
    s.add_argument("script")
    s.add_argument("--socket", default=DEFAULT_SOCKET)
    s.add_argument("--ready-file", help="written once the socket listens")
    s.add_argument("--clock-hz", type=int, default=100000)
    r = sub.add_parser("run", help="run a program whose /dev/i2c-N is the simulated bus")
    r.add_argument("--socket", default=DEFAULT_SOCKET)
    r.add_argument("--bus", type=int, default=1)
    r.add_argument("command", nargs=argparse.REMAINDER)
    args = ap.parse_args(argv)
    if args.cmd == "serve":
        if not os.path.isfile(args.script):
            ap.error("no such device script: %s" % args.script)
        return serve(args.script, args.socket, args.ready_file, args.clock_hz)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    return run(command, args.socket, args.bus)


if __name__ == "__main__":
    sys.exit(main())
