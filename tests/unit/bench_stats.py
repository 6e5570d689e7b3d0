#!/usr/bin/env python3
"""Host check, run by tests/unit/run.sh: the statistics make bench prints (tests/lib/
bench_report.py), against values worked out by hand. Prints RNV-RESULT PASS|FAIL
unit-bench-{ci-size,ci-order,ci-small}; exit 1 on any failure."""
import os
import sys

sys.dont_write_bytecode = True   # no __pycache__ in tests/lib from a check
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import bench_report  # noqa: E402

failed = 0


def check(name, ok, detail):
    global failed
    print(f"RNV-RESULT {'PASS' if ok else 'FAIL'} unit-bench-{name} {detail}")
    failed += not ok


# n = 12: P(Bin(12, 1/2) <= 2) = (1 + 12 + 66) / 4096, so k = 3 covers 1 - 158/4096 = 0.9614;
# k = 4 would cover 1 - 2 * 299/4096 = 0.854 < 0.95. The interval is x(3)..x(10).
ci = bench_report.median_ci([float(i) for i in range(1, 13)])
check("ci-size", ci is not None and ci[:2] == (3.0, 10.0) and abs(ci[2] - 0.96143) < 1e-4,
      f"12 ratios 1..12: interval {ci}, expected (3.0, 10.0, 0.9614)")
# The same ratios in any order give the same interval (order statistics, not positions).
vals = [1.08, 0.91, 0.97, 1.30, 0.72, 1.01, 0.99, 0.88, 1.12, 0.95, 1.04, 0.93]
ci2 = bench_report.median_ci(vals)
check("ci-order", ci2 is not None and ci2[:2] == (0.91, 1.08),
      f"12 shuffled ratios: interval {ci2}, expected 0.91-1.08 (3rd and 10th smallest)")
# n = 5: even the widest interval (min..max) covers only 1 - 2/32 = 0.9375 < 0.95.
ci3 = bench_report.median_ci([1.0, 1.1, 0.9, 1.2, 0.8])
check("ci-small", ci3 is None and "too few" in bench_report.ci_txt([1.0] * 5),
      f"5 ratios: {ci3} (expected None: no 95% interval exists)")
sys.exit(1 if failed else 0)
