# Benchmarks (issue 9).  Included by the top-level Makefile.
#   make bench         figures for every chip and host, table on stdout, BENCHMARKS.md
#   make bench-smoke   the same with tiny repeat counts (checks it runs; writes nothing)
.PHONY: bench bench-smoke
bench: host natmod
	$(PYTHON) -m bench --out BENCHMARKS.md

bench-smoke: host natmod-x64
	$(PYTHON) -m bench --smoke
