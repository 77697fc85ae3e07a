"""Host figures: the Python request flow on the unix micropython (x64 .mpy)
and register-mode throughput of the engine through ctypes on CPython."""
import os
import shutil
import statistics
import subprocess
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FMPLUS_BYTES_PER_S = 1000000 / 9          # 1 MHz, 9 bit times per byte: 111 kB/s


def spread(values):
    v = sorted(values)
    return {"median": statistics.median(v), "min": v[0], "max": v[-1], "n": len(v)}


def micropython_requests(repeats=5, loops=1000):
    """Run bench/mp_requests.py; returns {name: [value per repeat]}."""
    mp = shutil.which("micropython")
    if not mp:
        raise RuntimeError("the unix `micropython` is not installed (see setup.sh)")
    mpy = os.path.join(REPO, "dist", "x64_6.3", "i2ct_sim.mpy")
    if not os.path.exists(mpy):
        raise RuntimeError("%s is missing: run `make natmod-x64`" % mpy)
    with tempfile.TemporaryDirectory() as d:
        shutil.copy(mpy, os.path.join(d, "_i2ct.mpy"))
        env = dict(os.environ, MICROPYPATH=os.pathsep.join(
            [d, os.path.join(REPO, "python"), ".frozen"]))
        proc = subprocess.run([mp, os.path.join(REPO, "bench", "mp_requests.py"),
                               str(repeats), str(loops)], env=env, capture_output=True,
                              text=True, timeout=600)
    if proc.returncode != 0 or "DONE" not in proc.stdout:
        raise RuntimeError("mp_requests.py failed:\n" + proc.stdout + proc.stderr)
    rows = {}
    for line in proc.stdout.splitlines():
        parts = line.split()
        if len(parts) >= 2:
            rows[parts[0]] = [float(x) for x in parts[1:]]
    return rows


def request_figures(rows):
    """Per repeat ratios (each against the empty call of the same repeat),
    then median/min/max over the repeats."""
    out = {}
    empty = rows["empty_us"]
    for key in ("w1", "w32", "r1", "r32"):
        n = int(key[1:])
        ours = rows["ours_%s_us" % key]
        queued = rows["queued_%s_us" % key]
        lean = rows["lean_%s_us" % key]
        peer = rows["peer_%s_us" % key]
        src = rows["src_%s_us" % key]
        simb = rows["sim_%s_us" % key]
        r = len(empty)
        ours_net = [ours[i] - lean[i] for i in range(r)]
        peer_net = [peer[i] - src[i] for i in range(r)]
        # on a board irq(), flags() and readinto()/write() are C methods: the
        # lower bound takes their Python call cost out (3 calls per event)
        events = n + 2
        peer_low = [peer_net[i] - 3 * events * empty[i] for i in range(r)]
        out[key] = {
            "bytes": n,
            "ours_raw": spread([ours[i] / empty[i] for i in range(r)]),
            "ours": spread([ours_net[i] / empty[i] for i in range(r)]),
            "queued": spread([(queued[i] - lean[i]) / empty[i] for i in range(r)]),
            "lean": spread([lean[i] / empty[i] for i in range(r)]),
            "sim": spread([simb[i] / empty[i] for i in range(r)]),
            "peer": spread([peer_net[i] / empty[i] for i in range(r)]),
            "peer_low": spread([peer_low[i] / empty[i] for i in range(r)]),
            "peer_vs_ours": spread([peer_net[i] / ours_net[i] for i in range(r)]),
            "req_per_s": spread([1e6 / ours_net[i] for i in range(r)]),
            "bytes_per_s": spread([n * 1e6 / ours_net[i] for i in range(r)]),
            "steps": rows["steps_%s" % key][0],
        }
    out["empty_us"] = spread(empty)
    return out


def _time_noop(port, n):
    t0 = time.perf_counter()
    for _ in range(n):
        port()
    return (time.perf_counter() - t0) / n


def _time_bytes(addr, w, rd, nack, stop, rounds, chunk, ack, sent):
    t0 = time.perf_counter()
    for _ in range(rounds):
        addr(0, 0x50, 0, 0)
        w(0, 0)
        for b in range(chunk):
            if w(0, b) != ack:
                raise AssertionError("register write NACKed")
        addr(0, 0x50, 1, 1)
        for _ in range(chunk):
            if rd(0) < sent:
                raise AssertionError("register read held")
        nack(0)
        stop(0)
    return (time.perf_counter() - t0) / (2 * chunk * rounds)


def ctypes_throughput(repeats=5, nbytes=20000):
    """Register mode through the host library, driven directly by ctypes
    calls (one sim-port call per byte, as an interrupt would run it); each
    figure the fastest of 3 bursts."""
    import sys
    sys.path.insert(0, os.path.join(REPO, "python"))
    from i2cperipheral import _host
    from i2cperipheral._abi import SIM_ACK, SIM_SENT
    lib = _host.load()
    if lib.is_open(0):
        lib.close(0)
    assert lib.open(0, 1, 2, bytes([0x50]), 0) == 0
    mem = bytearray(256)
    assert lib.set_regmap(0, 0x50, mem, 0) == 0
    lib.configure(0, 0, 0)
    chunk = 250
    rounds = nbytes // (2 * chunk)
    noop, per_byte, ratio = [], [], []
    port = lib.port
    w, rd, addr, stop, nack = (lib.sim_write_byte, lib.sim_read_byte, lib.sim_address,
                               lib.sim_stop, lib.sim_controller_nack)
    try:
        for _ in range(repeats):
            t_noop = min(_time_noop(port, nbytes // 3) for _ in range(3))
            t_byte = min(_time_bytes(addr, w, rd, nack, stop, rounds // 3 or 1, chunk,
                                     SIM_ACK, SIM_SENT) for _ in range(3))
            noop.append(t_noop)
            per_byte.append(t_byte)
            ratio.append(t_byte / t_noop)
        assert bytes(mem[:chunk]) == bytes(range(chunk))
    finally:
        lib.close(0)
    bps = [1 / t for t in per_byte]
    return {"bytes_per_s": spread(bps), "vs_fmplus": spread([b / FMPLUS_BYTES_PER_S for b in bps]),
            "byte_vs_noop": spread(ratio), "noop_us": spread([t * 1e6 for t in noop]),
            "byte_us": spread([t * 1e6 for t in per_byte])}


def native_engine(repeats=5):
    """Register mode through the engine in C, no Python at all (bench/engine_loop.c
    built with the host compiler): the engine's own per-byte cost on this machine."""
    gcc = shutil.which(os.environ.get("HOST_CC", "gcc"))
    if not gcc:
        return None
    out = os.path.join(REPO, "build", "bench", "engine_loop")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    src = [os.path.join(REPO, p) for p in ("bench/engine_loop.c", "natmod/engine/i2ct_engine.c",
                                           "natmod/i2ct_glue.c", "ports/sim/sim_port.c")]
    subprocess.run([gcc, "-std=c99", "-O2", "-I" + os.path.join(REPO, "natmod"),
                    "-I" + os.path.join(REPO, "ports", "sim"), "-o", out] + src,
                   check=True, capture_output=True, text=True)
    ns = []
    for _ in range(repeats):
        proc = subprocess.run([out], check=True, capture_output=True, text=True, timeout=60)
        ns.append(float(proc.stdout.split()[0]))
    return {"ns_per_byte": spread(ns)}
