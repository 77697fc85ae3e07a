"""Command line: link and dump.  Errors are one line on stderr, exit status 1."""

import argparse
import sys

from . import mpyformat
from .arch import ARCHES
from .errors import ToolError


def _cmd_link(args):
    from .link import link_files
    module = link_files(args.arch, args.objects, args.output, libs=args.lib or (), entry=args.entry,
                        source_name=args.source_name, bss_in_text=args.bss_in_text,
                        max_text=args.max_text)
    if args.verbose:
        print("%s: %s, text %d, bss %d, %d relocations, %d qstrs"
              % (args.output, module.arch_name, len(module.text), module.bss_size,
                 len(module.relocations), len(module.qstrs)))
    return 0


def _read(path):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise ToolError("%s: cannot read: %s" % (path, e.strerror))
    try:
        return mpyformat.read_mpy(data)
    except mpyformat.MpyFormatError as e:
        raise ToolError("%s: %s" % (path, e))


def _cmd_dump(args):
    from .inspect import check, describe
    status = 0
    for path in args.files:
        module = _read(path)
        print("file:        %s" % path)
        for line in describe(module):
            print(line)
        problems = check(module)
        for p in problems:
            print("PROBLEM: %s" % p)
        if problems:
            status = 1
    return status


def _cmd_check(args):
    from .inspect import check
    status = 0
    for path in args.files:
        problems = check(_read(path))
        for p in problems:
            print("%s: %s" % (path, p), file=sys.stderr)
        status |= 1 if problems else 0
    return status


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tools.mpytool",
                                     description="MicroPython native module (.mpy 6.3) linker and reader")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("link", help="link ELF objects into a .mpy")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--arch", required=True, choices=sorted(ARCHES))
    p.add_argument("--lib", action="append", help="static library (e.g. libgcc.a) for missing symbols")
    p.add_argument("--entry", default="mpy_init")
    p.add_argument("--source-name", help="name stored as qstr 0 (default: output file name)")
    p.add_argument("--bss-in-text", action="store_true",
                   help="place .bss reached PC-relative into the (writable) text")
    p.add_argument("--max-text", type=int, default=64 * 1024)
    p.add_argument("-v", "--verbose", action="store_true")
    p.add_argument("objects", nargs="+")
    p.set_defaults(func=_cmd_link)
    p = sub.add_parser("dump", help="describe .mpy files and check them")
    p.add_argument("files", nargs="+")
    p.set_defaults(func=_cmd_dump)
    p = sub.add_parser("check", help="check .mpy files, print only problems")
    p.add_argument("files", nargs="+")
    p.set_defaults(func=_cmd_check)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except ToolError as e:
        print("mpytool: error: %s" % e, file=sys.stderr)
        return 1
    except BrokenPipeError:
        # The reader went away (`dump x.mpy | head`): not an error of ours.
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
