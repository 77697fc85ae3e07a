""".mpy size per chip from dist/, and the text size `tools.mpytool dump` reports."""
import glob
import os
import re
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GOAL = 6 * 1024


def mpy_sizes():
    rows = []
    for path in sorted(glob.glob(os.path.join(REPO, "dist", "*_*", "i2ct_*.mpy"))):
        arch = os.path.basename(os.path.dirname(path)).rsplit("_", 1)[0]
        port = os.path.basename(path)[5:-4]
        if port == "null":
            continue                      # toolchain check only, not a product
        row = {"arch": arch, "port": port, "file": os.path.relpath(path, REPO),
               "bytes": os.path.getsize(path), "text": None, "bss": None, "error": None}
        with open(path, "rb") as f:
            if f.read(1) != b"M":
                row["error"] = "not a .mpy file (no 'M' magic): rebuild with `make natmod`"
                rows.append(row)
                continue
        proc = subprocess.run([sys.executable, "-m", "tools.mpytool", "dump", path], cwd=REPO,
                              capture_output=True, text=True)
        m = re.search(r"^text:\s+(\d+) bytes", proc.stdout, re.M)
        b = re.search(r"^bss:\s+(\d+) bytes", proc.stdout, re.M)
        if proc.returncode != 0 or not m:
            row["error"] = "mpytool dump failed: " + (proc.stderr.strip().splitlines() or ["?"])[-1]
        else:
            row["text"] = int(m.group(1))
            row["bss"] = int(b.group(1)) if b else None
        rows.append(row)
    return rows
