"""Drive a MicroPython firmware running under qemu over its emulated UART.

Not part of CI: needs a firmware built from an upstream MicroPython tree (see
build_firmware.sh).  Written for this project; it only talks the raw REPL
protocol (Ctrl-A enters it, Ctrl-D runs the text sent, the reply is
"OK" <stdout> 0x04 <stderr> 0x04 ">").

    with QemuTarget(board, firmware) as t:
        t.put_files({"/_i2ct.mpy": data})      # a RAM filesystem on /ram
        out, err = t.exec("import _i2ct; print(_i2ct.port())")
"""
import binascii
import os
import re
import select
import subprocess
import time

import serial

# Per board: qemu binary and machine arguments.  VIRT_RV32: upstream asks for
# "-cpu rv32,zcd=off,zcmp=on", which qemu 7.2 (Debian 12) does not know; the
# firmware is built for rv32imac_zicsr and boots on the default rv32 CPU.
BOARDS = {
    "MPS2_AN385": ["qemu-system-arm", "-machine", "mps2-an385", "-semihosting"],
    "MPS2_AN500": ["qemu-system-arm", "-machine", "mps2-an500", "-semihosting"],
    "VIRT_RV32": ["qemu-system-riscv32", "-machine", "virt", "-bios", "none", "-semihosting"],
}

# The RAM filesystem, sent to the target before any file: a dict of
# path -> bytes mounted read-only at /ram, enough for import (stat, open,
# readinto, ilistdir).
RAMFS_CODE = """\
import io, sys, vfs
class _RamFile(io.IOBase):
    def __init__(self, data, text):
        self._d = memoryview(data)
        self._p = 0
        self._text = text
    def __enter__(self):
        return self
    def __exit__(self, *a):
        pass
    def readinto(self, buf):
        n = min(len(buf), len(self._d) - self._p)
        buf[:n] = self._d[self._p:self._p + n]
        self._p += n
        return n
    def read(self, n=-1):
        if n < 0:
            n = len(self._d) - self._p
        b = bytearray(min(n, len(self._d) - self._p))
        self.readinto(b)
        return str(b, 'utf-8') if self._text else bytes(b)
    def ioctl(self, req, arg):
        return 0 if req == 4 else -1
    def close(self):
        pass
class _RamFS:
    def __init__(self):
        self.files = {}
    def _dir(self, p):
        pre = p.rstrip('/') + '/'
        return p in ('', '/') or any(k.startswith(pre) for k in self.files)
    def mount(self, ro, mkfs):
        pass
    def umount(self):
        pass
    def chdir(self, p):
        pass
    def stat(self, p):
        if p in self.files:
            return (0x8000, 0, 0, 0, 0, 0, len(self.files[p]), 0, 0, 0)
        if self._dir(p):
            return (0x4000, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        raise OSError(2)
    def open(self, p, mode):
        if p not in self.files:
            raise OSError(2)
        return _RamFile(self.files[p], 'b' not in mode)
    def ilistdir(self, p):
        pre = p.rstrip('/') + '/'
        seen = []
        for k in self.files:
            if k.startswith(pre):
                name = k[len(pre):].split('/')[0]
                if name not in seen:
                    seen.append(name)
                    yield (name, 0x8000 if pre + name in self.files else 0x4000, 0)
_ramfs = _RamFS()
vfs.mount(_ramfs, '/ram')
sys.path.insert(0, '/ram')
"""


class TargetError(Exception):
    pass


class QemuTarget:
    def __init__(self, board, firmware, timeout=60.0, log=None):
        if board not in BOARDS:
            raise TargetError("unknown board %r (known: %s)" % (board, ", ".join(sorted(BOARDS))))
        if not os.path.isfile(firmware):
            raise TargetError("firmware not found: %s (run build_firmware.sh first)" % firmware)
        self.board = board
        self.firmware = firmware
        self.timeout = timeout
        self.log = log
        self.proc = None
        self.ser = None

    # ---- process and serial line ------------------------------------------
    def start(self):
        argv = BOARDS[self.board] + ["-nographic", "-monitor", "null", "-serial", "pty",
                                     "-kernel", self.firmware]
        self.argv = argv
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        pty = None
        seen = b""
        deadline = time.monotonic() + 10
        while pty is None and time.monotonic() < deadline:
            r, _, _ = select.select([self.proc.stdout], [], [], 0.5)
            if r:
                line = self.proc.stdout.readline()
                if not line:
                    break
                seen += line
                m = re.search(rb"char device redirected to (\S+)", line)
                if m:
                    pty = m.group(1).decode()
        if pty is None:
            self.stop()
            raise TargetError("qemu did not report its serial pty: %r" % seen)
        self.pty = pty
        self.ser = serial.Serial(pty, 115200, timeout=0.2)
        self._enter_raw()
        return self

    def stop(self):
        if self.ser is not None:
            self.ser.close()
            self.ser = None
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(5)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
            self.proc = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def _read_until(self, ending, timeout):
        data = b""
        deadline = time.monotonic() + timeout
        while not data.endswith(ending):
            if time.monotonic() > deadline:
                raise TargetError("timeout waiting for %r; got %r" % (ending, data[-400:]))
            if self.proc.poll() is not None:
                raise TargetError("qemu exited (%s); got %r" % (self.proc.returncode, data[-400:]))
            chunk = self.ser.read(1)
            if chunk:
                data += chunk
        return data

    def _enter_raw(self):
        # Interrupt whatever runs, enter raw REPL, soft reset for a clean heap.
        time.sleep(0.2)
        self.ser.write(b"\r\x03\x03")
        time.sleep(0.1)
        self.ser.reset_input_buffer()
        self.ser.write(b"\r\x01")
        self._read_until(b"raw REPL; CTRL-B to exit\r\n>", 20)

    # ---- running code -----------------------------------------------------
    def exec(self, code, timeout=None):
        """Runs code in the raw REPL; returns (stdout, stderr) as str."""
        if isinstance(code, str):
            code = code.encode()
        data = code + b"\x04"
        for i in range(0, len(data), 256):
            self.ser.write(data[i:i + 256])
        self._read_until(b"OK", 20)
        out = self._read_until(b"\x04", timeout or self.timeout)[:-1]
        err = self._read_until(b"\x04", 20)[:-1]
        self._read_until(b">", 10)
        out, err = out.decode(errors="replace"), err.decode(errors="replace")
        if self.log:
            self.log("[%s] >>> %s\n%s%s" % (self.board, code.decode(errors="replace").strip()[:2000],
                                            out, err))
        return out, err

    def check(self, code, timeout=None):
        """Runs code; raises TargetError with the target's traceback on error."""
        out, err = self.exec(code, timeout)
        if err:
            raise TargetError("%s: error on target:\n%s%s" % (self.board, out, err))
        return out

    def put_files(self, files):
        """files: {"/path/in/ramfs": bytes}; mounts /ram on first use."""
        if not getattr(self, "_ramfs", False):
            self.check(RAMFS_CODE)
            self._ramfs = True
        for path, data in files.items():
            # One allocation per file (growing a bytearray chunk by chunk
            # leaves the small heap fragmented).
            self.check("import binascii\n_ramfs.files[%r] = bytearray(%d)" % (path, len(data)))
            for i in range(0, len(data), 1536):
                b64 = binascii.b2a_base64(data[i:i + 1536], newline=False).decode()
                self.check("_ramfs.files[%r][%d:%d] = binascii.a2b_base64(%r)"
                           % (path, i, i + len(data[i:i + 1536]), b64))
            got = self.check("print(len(_ramfs.files[%r]))" % path).strip()
            if got != str(len(data)):
                raise TargetError("upload of %s: %s bytes on target, %d sent" % (path, got, len(data)))
