#!/usr/bin/env python3
"""make bench, host side: cut the fio json results out of the guest console log and report.

Reads build/vm/bench.log (written by tests/lib/runvm.sh for tests/guest/t_bench.sh) and writes
  OUT/bench.json  every fio run's raw json with its job/driver/round, binding facts, memory,
                  module sizes and run metadata
  OUT/bench.md    per job: IOPS, MB/s, mean and p99 completion latency (median of rounds,
                  min-max), the rocknvme/nvme ratio of medians with the spread of the paired
                  per-round ratios; a latency table: p50, p99 and p99.9 completion latency per
                  job, direction and driver with the paired per-round rocknvme/nvme ratios
                  (> 1: rocknvme slower); the A/A control in both; the polled-QD1 goals,
                  module sizes and memory per queue pair
  OUT/bench.png   two panels of gnuplot bars with the paired spread and a line at 1.0: the
                  IOPS ratios, and the p50/p99/p99.9 latency ratios
and prints bench.md. Exit 1 when a fio run is missing or unreadable (the polled job excepted:
its failure is recorded, not fatal), or when nothing came back.

Every number taken from a fio json comes from tests/lib/fio-json.awk (mode=metrics), the same
reader the guest's tests/guest/lib.sh uses; python's json module only embeds each run's raw
document in bench.json. Standard library only (Debian's python3) plus awk; gnuplot
(gnuplot-nox) draws the plot.
"""
import argparse
import hashlib
import json
import lzma
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

DRV_A, DRV_B = "rocknvme", "nvme"
POLL_JOB = "randread-4k-qd1-poll"
QD1_JOB = "randread-4k-qd1"
KV = re.compile(r"(\w+)=(\S*)")
FIO_JSON_AWK = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fio-json.awk")
DIRS = ("read", "write", "trim")
# fio's clat_ns.percentile 50, 99 and 99.9: in fio's default percentile_list (1, 5, 10, 20,
# ..., 50, ..., 99, 99.5, 99.9, 99.95, 99.99), which the fio-jobs/ leave as it is.
PCTS = ("p50", "p99", "p99.9")


def kv(text):
    return dict(KV.findall(text))


def parse_log(path):
    """Runs (dicts with tag fields, raw text, checksum state), INFO records, result lines."""
    runs, infos, results, errs, booted, times = [], [], [], {}, "", {}
    cur = None
    with open(path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if cur is not None:
                if line.startswith("RNV-BENCH-END "):
                    end = kv(line[len("RNV-BENCH-END "):])
                    cur["rc"] = end.get("rc", "?")
                    cur["irqs"] = int(end["irqs"]) if end.get("irqs", "").isdigit() else None
                    text = "".join(l + "\n" for l in cur.pop("lines"))
                    cur["sha256_ok"] = (end.get("sha256") ==
                                        hashlib.sha256(text.encode()).hexdigest())
                    cur["text"] = text
                    runs.append(cur)
                    cur = None
                else:
                    cur["lines"].append(line)
                continue
            if line.startswith("RNV-BENCH-BEGIN "):
                cur = kv(line[len("RNV-BENCH-BEGIN "):])
                cur["lines"] = []
            elif line.startswith("RNV-BENCH-INFO "):
                infos.append(line[len("RNV-BENCH-INFO "):])
            elif line.startswith("RNV-BENCH-ERR "):
                m = re.match(r"RNV-BENCH-ERR seq=(\d+) ?(.*)", line)
                if m:
                    errs.setdefault(m.group(1), []).append(m.group(2))
            elif line.startswith("RNV-RESULT "):
                results.append(line)
            elif line.startswith("RNV-BOOTED "):
                booted = line[len("RNV-BOOTED "):]
            elif "reboot: Power down" in line:
                m = re.match(r"\[\s*(\d+\.\d+)\]", line)
                if m:
                    times["uptime_at_poweroff"] = f"{float(m.group(1)):.0f}s"
            elif line.startswith("RNV-TIME "):
                p = line.split()
                if len(p) >= 3:
                    times[p[1]] = p[2]
    if cur is not None:  # the guest died inside a block
        cur.pop("lines")
        cur.update(rc="truncated", sha256_ok=False, text="")
        runs.append(cur)
    for r in runs:
        r["stderr"] = errs.get(r.get("seq", ""), [])
    return runs, infos, results, booted, times


def metrics(text):
    """The numbers of one fio json, read by fio-json.awk (mode=metrics): iops, mbs, ios,
    error, clat_mean_us, ramp_time, per direction D_ios and D_p50_us/D_p99_us/D_p99.9_us.
    Returns (metrics dict, None) or (None, why) when the document is incomplete."""
    awk = shutil.which("awk")
    if not awk:
        return None, "no awk on this host"
    p = subprocess.run([awk, "-v", "mode=metrics", "-f", FIO_JSON_AWK], input=text,
                       capture_output=True, text=True, check=False)
    if p.returncode:
        return None, f"fio-json.awk exit {p.returncode}: {p.stderr.strip()[:200]}"
    raw = {}
    for line in p.stdout.splitlines():
        k, _, v = line.partition(" ")
        try:
            raw[k] = float(v)
        except ValueError:
            pass
    if raw.get("complete") != 1 or not raw.get("jobs"):
        return None, "incomplete fio json (no closing brace or no jobs)"
    out = {"iops": raw["iops"], "mbs": raw["mbs"], "ios": int(raw["ios"]),
           "error": int(raw["error"]), "clat_mean_us": raw["clat_mean_us"],
           "ramp_time": raw.get("ramp_time", 0.0), "lat_us": {}}
    for d in DIRS:
        if raw.get(d + "_ios"):
            out["lat_us"][d] = {pc: raw[f"{d}_{pc}_us"] for pc in PCTS
                                if f"{d}_{pc}_us" in raw}
    # The p99 column of the main table (as before: per direction).
    out["p99_us"] = {d: v["p99"] for d, v in out["lat_us"].items() if "p99" in v}
    return out, None


def spread(vals):
    return (min(vals), max(vals)) if vals else (0, 0)


def med(vals):
    return statistics.median(vals) if vals else 0


def median_ci(vals, level=0.95):
    """Distribution-free confidence interval for the median of vals: the order statistics
    x(k) and x(n+1-k) with the largest k whose binomial(n, 1/2) coverage is still >= level.
    Returns (lo, hi, coverage), or None when n is too small for any such interval (n < 6
    at 95 %). No assumption about the shape of the ratios; deterministic, no resampling."""
    n = len(vals)
    xs = sorted(vals)
    best = None
    for k in range(1, n // 2 + 1):
        # P(x(k) <= median <= x(n+1-k)) = 1 - 2 * P(Binomial(n, 1/2) <= k - 1)
        tail = sum(math.comb(n, i) for i in range(k)) / 2 ** n
        cover = 1 - 2 * tail
        if cover < level:
            break
        best = (xs[k - 1], xs[n - k], cover)
    return best


def ci_txt(vals):
    ci = median_ci(vals)
    return f"95% CI {ci[0]:.3f}-{ci[1]:.3f}" if ci else "too few pairs for a 95% CI"


def fmt_n(x):
    if x >= 100:
        return f"{x:.0f}"
    if x >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def module_sizes(rocknvme_ko, kmods):
    """Berkeley text/data/bss of our module and of nvme + nvme-core (.ko or .ko.xz)."""
    tool = shutil.which("aarch64-linux-gnu-size") or shutil.which("size")
    found = {"rocknvme": rocknvme_ko}
    for root, _, files in os.walk(os.path.join(kmods, "kernel/drivers/nvme/host")):
        for f in files:
            base = re.sub(r"\.ko(\.xz|\.zst)?$", "", f)
            if base in ("nvme", "nvme-core"):
                found[base] = os.path.join(root, f)
    sizes = {}
    tmp = tempfile.mkdtemp()
    try:
        for name, path in found.items():
            if not os.path.exists(path):
                continue
            p = path
            if path.endswith(".xz"):
                p = os.path.join(tmp, name + ".ko")
                with lzma.open(path) as src, open(p, "wb") as dst:
                    dst.write(src.read())
            elif path.endswith(".zst"):
                p = os.path.join(tmp, name + ".ko")
                subprocess.run(["zstd", "-q", "-d", "-o", p, path], check=True)
            out = subprocess.run([tool, p], capture_output=True, text=True, check=True).stdout
            t, d, b = (int(x) for x in out.splitlines()[1].split()[:3])
            sizes[name] = {"file": path, "text": t, "data": d, "bss": b, "text_data": t + d,
                           "file_bytes": os.path.getsize(path)}
    finally:
        shutil.rmtree(tmp)
    return sizes


def main():
    ap = argparse.ArgumentParser()
    for a in ("log", "out", "abi", "qemu", "date", "elapsed", "mode", "runtime", "rounds",
              "aa", "load", "hoststat", "opts", "git", "rocknvme-ko", "kmods"):
        ap.add_argument("--" + a, default="")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    if not os.path.exists(args.log):
        print(f"bench: no console log {args.log}", file=sys.stderr)
        return 1
    runs, infos, results, booted, times = parse_log(args.log)

    # --- each run's json -------------------------------------------------------------
    problems = []
    for r in runs:
        r["fio"] = None
        r["m"] = None
        if r["text"].strip():
            r["m"], why = metrics(r["text"])
            if why:
                r["parse_error"] = why
            try:  # the raw document, kept whole in bench.json (no number is taken from it)
                r["fio"] = json.loads(r["text"])
            except ValueError:
                r["fio"] = r["text"]
        if r["m"] is not None:
            # Interrupts on the driver's I/O vectors per I/O. They were counted over the whole
            # fio run, ramp included, while fio's totals leave the ramp out: add the ramp's
            # I/Os at the measured rate.
            ios = r["m"]["ios"] + r["m"]["iops"] * r["m"]["ramp_time"]
            if r.get("irqs") is not None and ios:
                r["m"]["irq_per_io"] = r["irqs"] / ios
        ok = r["m"] is not None and r["rc"] == "0" and not r["m"]["error"]
        r["ok"] = ok
        if not ok:
            what = (f"{r.get('job')} {r.get('driver')} round {r.get('round')}: rc={r['rc']}"
                    f" sha256_ok={r['sha256_ok']} {' | '.join(r['stderr'])[:300]}")
            r["problem"] = what
            problems.append((r.get("job") == POLL_JOB, what))

    def sel(job, set_, drv=None, slot=None):
        return [r for r in runs if r.get("job") == job and r.get("set") == set_ and r["ok"]
                and (drv is None or r.get("driver") == drv)
                and (slot is None or r.get("slot") == slot)]

    def summary(rs):
        ms = [r["m"] for r in rs]
        s = {"rounds": len(ms)}
        for k in ("iops", "mbs", "clat_mean_us", "irq_per_io"):
            vals = [m[k] for m in ms if k in m]
            s[k] = {"median": med(vals), "min": min(vals), "max": max(vals)} if vals else None
        for d in ("read", "write"):
            vals = [m["p99_us"][d] for m in ms if d in m["p99_us"]]
            if vals:
                s["p99_" + d] = {"median": med(vals), "min": min(vals), "max": max(vals)}
        s["lat"] = {}
        for d in DIRS:
            for pc in PCTS:
                vals = [m["lat_us"][d][pc] for m in ms if pc in m["lat_us"].get(d, {})]
                if vals:
                    s["lat"].setdefault(d, {})[pc] = {"median": med(vals), "min": min(vals),
                                                      "max": max(vals)}
        return s

    def paired(ra, rb, val=lambda m: m["iops"]):
        """Per-round ratios a/b of val(metrics) (default IOPS) where both rounds have it."""
        a, b = {}, {}
        for src, dst in ((ra, a), (rb, b)):
            for r in src:
                v = val(r["m"])
                if v is not None:
                    dst[r["round"]] = v
        return [a[k] / b[k] for k in sorted(a) if k in b and b[k]]

    def paired_lat(ra, rb):
        """{direction: {percentile: [per-round latency ratios a/b]}} (> 1: a slower)."""
        out = {}
        for d in DIRS:
            for pc in PCTS:
                pr = paired(ra, rb, lambda m, d=d, pc=pc: m["lat_us"].get(d, {}).get(pc))
                if pr:
                    out.setdefault(d, {})[pc] = pr
        return out

    jobs = []
    for r in runs:
        if r.get("set") == "ab" and r.get("job") not in jobs:
            jobs.append(r["job"])
    table = []
    for job in jobs:
        ra, rb = sel(job, "ab", DRV_A), sel(job, "ab", DRV_B)
        sa, sb = summary(ra), summary(rb)
        pr = paired(ra, rb)
        ratio = (sa["iops"]["median"] / sb["iops"]["median"]
                 if sa["iops"] and sb["iops"] and sb["iops"]["median"] else 0)
        table.append({"job": job, "set": "ab", "a": DRV_A, "b": DRV_B, "sa": sa, "sb": sb,
                      "ratio": ratio, "paired": pr, "paired_lat": paired_lat(ra, rb)})

    def table_irq(job, drv):
        for t in table:
            if t["job"] == job:
                s_ = t["sa"] if t["a"] == drv else t["sb"]
                if s_["rounds"] and s_["irq_per_io"]:
                    return f"{s_['irq_per_io']['median']:.2f}"
        return "?"

    aa = None
    if args.aa:
        ra, rb = sel(args.aa, "aa", slot="B"), sel(args.aa, "aa", slot="A")
        if ra or rb:
            sa, sb = summary(ra), summary(rb)
            pr = paired(ra, rb)
            ratio = (sa["iops"]["median"] / sb["iops"]["median"]
                     if sa["iops"] and sb["iops"] and sb["iops"]["median"] else 0)
            aa = {"job": args.aa, "set": "aa", "a": "nvme (slot B)", "b": "nvme (slot A)",
                  "sa": sa, "sb": sb, "ratio": ratio, "paired": pr,
                  "paired_lat": paired_lat(ra, rb)}
    issue5 = None
    ra, rb = sel(POLL_JOB, "ab", DRV_A), sel(QD1_JOB, "ab", DRV_B)
    if ra and rb:
        pr = paired(ra, rb)
        ma, mb = med([r["m"]["iops"] for r in ra]), med([r["m"]["iops"] for r in rb])
        la = med([r["m"]["clat_mean_us"] for r in ra])
        lb = med([r["m"]["clat_mean_us"] for r in rb])
        issue5 = {"ratio": ma / mb if mb else 0, "paired": pr, "rocknvme_poll_iops": ma,
                  "nvme_irq_iops": mb, "rocknvme_poll_clat_us": la, "nvme_irq_clat_us": lb}

    # --- facts, memory, module sizes -----------------------------------------------------
    general, bindings, memory = {}, {}, {}
    for i in infos:
        if i.startswith("binding "):
            d = kv(i)
            bindings[d.get("config", d.get("driver"))] = d
        elif i.startswith("mem "):
            d = kv(i)
            memory[d["config"]] = d
        else:
            general.update(kv(i))
            m = re.search(r"fio=(\S+)", i)
            if m:
                general["fio"] = m.group(1)
    sizes = module_sizes(args.rocknvme_ko, args.kmods) if args.kmods else {}

    def mem_kib(cfg):
        return int(memory[cfg]["kib_median"]) if cfg in memory else None

    per_qp = {}
    for drv, base, more in (("rocknvme", "rocknvme-1q", "rocknvme-default"),
                            ("nvme", "nvme-default", "nvme-write_queues1")):
        if mem_kib(base) is not None and mem_kib(more) is not None:
            hb = bindings.get(base, {}).get("hctx")
            hm = bindings.get(more, {}).get("hctx")
            per_qp[drv] = {"kib": mem_kib(more) - mem_kib(base), "from": base, "to": more,
                           "hctx_from": hb, "hctx_to": hm}

    # --- bench.json ----------------------------------------------------------------------
    meta = {"date_utc": args.date, "mode": args.mode, "runtime_s": args.runtime,
            "rounds": args.rounds, "elapsed_s": args.elapsed, "kernel_abi": args.abi,
            "guest": booted, "qemu": args.qemu, "host_loadavg_start_end": args.load,
            "host_cpu_during_boot": args.hoststat,
            "git": args.git, "host_cpus": os.cpu_count(),
            "machine": "arm64 virt,gic-version=3 -cpu cortex-a76, TCG, 2 vCPUs, 1 GiB RAM, "
                       "no SMMU, QEMU nvme 2 GiB raw disk, 512 B LBA",
            "guest_info": general}
    try:
        with open("/proc/cpuinfo") as f:
            meta["host_cpu"] = next((l.split(":", 1)[1].strip() for l in f
                                     if l.startswith("model name")), "")
    except OSError:
        pass
    doc = {"meta": meta, "module_sizes": sizes, "bindings": bindings, "memory": memory,
           "memory_per_queue_pair": per_qp, "summary": table + ([aa] if aa else []),
           "issue5": issue5, "results": results, "guest_times": times,
           "problems": [p for _, p in problems],
           "runs": [{k: r.get(k) for k in ("seq", "job", "set", "slot", "driver", "disk",
                                           "round", "rc", "sha256_ok", "stderr", "ok", "problem",
                                           "parse_error", "m", "fio")} for r in runs]}
    with open(os.path.join(args.out, "bench.json"), "w") as f:
        json.dump(doc, f, indent=1)

    # --- bench.md --------------------------------------------------------------------------
    L = []
    L.append(f"# make bench: rocknvme vs in-kernel nvme ({args.mode} run, {args.date})")
    L.append("")
    L.append(f"QEMU TCG emulation, not hardware: {meta['machine']}. Guest kernel "
             f"{args.abi} ({booted.split(' driver=')[0]}); {args.qemu}; fio "
             f"{general.get('fio', '?')}; host {meta.get('host_cpu', '?')}, "
             f"{os.cpu_count()} CPUs, load avg at start / end {args.load}, host CPU during the "
             f"boot {args.hoststat or '?'}; tree {args.git}.")
    L.append(f"{args.rounds} paired rounds per job, {args.runtime} s per fio run (+1 s ramp), "
             "each pair run back to back in ABBA order (A=rocknvme, B=nvme: AB, BA, AB, ...). "
             "Medians over rounds, [min-max] over rounds; the ratio is rocknvme/nvme of the "
             "median IOPS with [min-max] of the per-round paired ratios; \"paired\" is the "
             "median of those per-round ratios (robust to slow drift). Latency is fio's "
             "completion latency (clat); IRQ/IO: interrupts on the driver's I/O queue vectors "
             "per I/O, over the whole run including the ramp (~0: completions were polled). The 1 GiB region was written once "
             f"before the rounds. Module options in the rounds: {args.opts or '?'}.")
    L.append("")
    L.append("| job | driver | n | IOPS median [min-max] | MB/s | mean clat us | p99 clat us "
             "| IRQ/IO | IOPS ratio [paired min-max] | paired |")
    L.append("|---|---|---|---|---|---|---|---|---|---|")

    def p99s(s):
        parts = []
        for d in ("read", "write"):
            if "p99_" + d in s:
                parts.append(("r " if d == "read" else "w ") + fmt_n(s["p99_" + d]["median"]))
        if len(parts) == 1:
            parts[0] = parts[0][2:]
        return " / ".join(parts) or "-"

    def row(label, drv, s, ratio_txt):
        if not s["rounds"]:
            return f"| {label} | {drv} | 0 | no result | | | | | {ratio_txt} |"
        i = s["iops"]
        irq = f"{s['irq_per_io']['median']:.2f}" if s["irq_per_io"] else "-"
        return (f"| {label} | {drv} | {s['rounds']} | {fmt_n(i['median'])} "
                f"[{fmt_n(i['min'])}-{fmt_n(i['max'])}] | {fmt_n(s['mbs']['median'])} | "
                f"{fmt_n(s['clat_mean_us']['median'])} | {p99s(s)} | {irq} | {ratio_txt} |")

    def ratio_txt(t, prefix=""):
        if not t["paired"]:
            return "- | -"
        lo, hi = spread(t["paired"])
        return f"{prefix}**{t['ratio']:.3f}** [{lo:.3f}-{hi:.3f}] | {med(t['paired']):.3f}"

    for t in table:
        L.append(row(t["job"], t["a"], t["sa"], ratio_txt(t)))
        L.append(row("", t["b"], t["sb"], " |"))
    if aa:
        L.append(row(f"A/A control: {aa['job']}", aa["a"], aa["sa"], ratio_txt(aa, "B/A ")))
        L.append(row("", aa["b"], aa["sb"], " |"))
    L.append("")
    if aa and aa["paired"]:
        lo, hi = spread(aa["paired"])
        L.append(f"Noise floor (A/A): the in-kernel nvme against itself, rebound between slots "
                 f"like every A/B pair, gives {aa['ratio']:.3f} (paired rounds {lo:.3f}-{hi:.3f}, "
                 f"paired median {med(aa['paired']):.3f}, {ci_txt(aa['paired'])}). Any A/B "
                 "ratio within that distance of 1.0 is not a measured difference.")
    if issue5:
        lo, hi = spread(issue5["paired"])
        pq = bindings.get("rocknvme-bench", bindings.get("rocknvme-default", {}))
        pirq = table_irq(POLL_JOB, DRV_A)
        L.append("")
        L.append(f"Issue 5, polled QD1 goal (>= 1.10): rocknvme {POLL_JOB} (io_uring, hipri) "
                 f"{issue5['rocknvme_poll_iops']:.0f} IOPS, mean clat "
                 f"{issue5['rocknvme_poll_clat_us']:.1f} us, vs nvme {QD1_JOB} (libaio, "
                 f"interrupts) {issue5['nvme_irq_iops']:.0f} IOPS, mean clat "
                 f"{issue5['nvme_irq_clat_us']:.1f} us: ratio **{issue5['ratio']:.3f}** "
                 f"[paired {lo:.3f}-{hi:.3f}, paired median {med(issue5['paired']):.3f}] -> goal "
                 f"{'met' if issue5['ratio'] >= 1.10 else 'NOT met'} in this run (compare with "
                 "the A/A noise floor before reading anything into it).")
        if pq.get("io_poll") == "1":
            L.append(f"rocknvme ran with a poll queue (io_poll=1, hctx types "
                     f"{pq.get('hctx_types', '?')}); its polled job took {pirq} interrupts per "
                     "I/O on the I/O vectors (~0: the completions were reaped by polling).")
        else:
            L.append(f"rocknvme has no poll queues (io_poll={pq.get('io_poll', '?')}, hctx types "
                     f"{pq.get('hctx_types', '?')}): the kernel dropped the polled flag and the "
                     "I/O completed by interrupt while fio spun on the completion queue, so this "
                     "ratio measures io_uring busy-waiting, not driver polling.")
        L.append("Under TCG a spinning guest CPU competes with QEMU's own threads for the host "
                 "cores (2 vCPUs and the I/O thread on 2 host cores here), so polled numbers from "
                 "this emulation say little about hardware; the goal needs a board.")
    pfail = [p for is_poll, p in problems if is_poll]
    if pfail:
        L.append("")
        L.append("Polled job failures (recorded, not fatal): " + "; ".join(pfail))
    ofail = [p for is_poll, p in problems if not is_poll]
    if ofail:
        L.append("")
        L.append("FAILED runs (left out of the table): " + "; ".join(ofail))

    L.extend(latency_md(table, aa))
    goal = next((t for t in table if t["job"] == POLL_JOB), None)
    if goal or per_qp:
        L.append("")
        L.append("## Issue 13 goals")
        L.append("")
    if goal and goal["paired"]:
        lo, hi = spread(goal["paired"])
        pm = med(goal["paired"])
        verdict = ("met" if goal["ratio"] >= 1.0 and pm >= 1.0 else
                   "NOT met" if goal["ratio"] < 1.0 and pm < 1.0 else
                   "split (one of the two below 1.00)")
        ci = median_ci(goal["paired"])
        shown = ("" if not ci else
                 " The interval lies above 1.00: rocknvme measurably faster." if ci[0] > 1.0 else
                 " The interval lies below 1.00: rocknvme measurably slower." if ci[1] < 1.0 else
                 " The interval contains 1.00: no difference is shown either way.")
        L.append(f"- Polled QD1, both drivers polled ({POLL_JOB}, goal >= 1.00): rocknvme/nvme "
                 f"ratio of medians **{goal['ratio']:.3f}**, paired median **{pm:.3f}** "
                 f"({ci_txt(goal['paired'])}) [paired rounds {lo:.3f}-{hi:.3f}, "
                 f"{len(goal['paired'])} pairs] -> {verdict} in this run.{shown} Read it against "
                 "the A/A noise floor above.")
    elif goal:
        L.append(f"- Polled QD1 ({POLL_JOB}): no complete pair, no ratio.")
    if per_qp:
        parts = [f"{drv} {p['kib']} KiB" for drv, p in per_qp.items()]
        line = "- Memory per I/O queue pair (below): " + ", ".join(parts)
        if "rocknvme" in per_qp and "nvme" in per_qp:
            ok = per_qp["rocknvme"]["kib"] <= per_qp["nvme"]["kib"]
            line += (f" -> rocknvme {'at or below' if ok else 'ABOVE'} the in-kernel driver's "
                     "(goal: at or below).")
        L.append(line)

    L.append("")
    L.append("## Bindings")
    L.append("")
    L.append("| config | disk | hctx (types) | tags per hctx | io_poll | max transfer KiB | notes |")
    L.append("|---|---|---|---|---|---|---|")
    for cfg, b in bindings.items():
        notes = " ".join(f"{k}={b[k]}" for k in ("queue_count", "irq_mode", "io_queue_depth",
                                                  "multipath", "poll_queues", "oacs") if b.get(k))
        L.append(f"| {cfg} | {b.get('disk')} | {b.get('hctx')} ({b.get('hctx_types')}) | "
                 f"{b.get('nr_tags')} | {b.get('io_poll')} | {b.get('max_hw_sectors_kb')} | "
                 f"{notes} |")
    nb = bindings.get("nvme-default", {})
    try:
        dbbuf = int(nb.get("oacs", "?"), 16) & 0x100
    except ValueError:
        dbbuf = None
    if dbbuf:
        L.append("")
        L.append(f"QEMU's controller offers Doorbell Buffer Config (OACS {nb['oacs']}, bit 8: "
                 "shadow doorbells). Both drivers turn it on when offered (rocknvme: "
                 "driver/dbbuf.c, its debugfs queues file says \"shadow doorbells: on\") and "
                 "ring an MMIO doorbell only when the controller's EventIdx asks for one. Under "
                 "emulation each MMIO write is a trap into QEMU; real SSDs rarely offer the "
                 "feature.")
    if nb and nb.get("mq_disk") != nb.get("disk"):
        L.append("")
        L.append(f"The in-kernel nvme runs as Debian ships it (multipath={nb.get('multipath')}): "
                 f"its /dev/{nb.get('disk')} is the native multipath head (bio-based, one extra "
                 f"remap per I/O) over the hidden path disk {nb.get('mq_disk')}.")
    elif nb:
        L.append("")
        L.append(f"The in-kernel nvme runs as Debian ships it (nvme_core multipath="
                 f"{nb.get('multipath')}); QEMU's controller does not report multi-controller "
                 "capability, so no multipath head is made and both drivers' disks are plain "
                 "blk-mq disks.")

    L.append("")
    L.append("## Module size (arm64, `aarch64-linux-gnu-size`, Berkeley format, bytes)")
    L.append("")
    if sizes:
        L.append("| module | text | data | bss | text+data |")
        L.append("|---|---|---|---|---|")
        for n in ("rocknvme", "nvme", "nvme-core"):
            if n in sizes:
                s = sizes[n]
                L.append(f"| {n}.ko | {s['text']} | {s['data']} | {s['bss']} | {s['text_data']} |")
        if all(n in sizes for n in ("rocknvme", "nvme", "nvme-core")):
            both = sizes["nvme"]["text_data"] + sizes["nvme-core"]["text_data"]
            r = sizes["rocknvme"]["text_data"]
            L.append(f"| nvme.ko + nvme-core.ko | | | | {both} |")
            L.append("")
            L.append(f"rocknvme text+data is {r / both:.2f} of nvme + nvme-core ({r} vs {both} "
                     "bytes). nvme-core also carries what rocknvme does not have (multipath, "
                     "fabrics, hwmon, auth, zoned namespaces, ...).")
    else:
        L.append("(not measured)")

    L.append("")
    L.append("## Memory per binding")
    L.append("")
    if memory:
        L.append("Method: in the guest, free memory = every zone's free pages plus the pages on "
                 "per-CPU lists (/proc/zoneinfo, after sync, drop_caches and vm.stat_refresh), "
                 "read with the controller unbound and again bound; the difference is what the "
                 "binding holds right after probe (queue rings, tag sets and their "
                 "preallocated requests, pools, the disk and its queues, IRQs), before any I/O "
                 "but the partition scan: pools that grow under load (PRP list pages) are not "
                 "in it. Median of the samples after one warm-up bind. Page-granular and noisy "
                 "to a few tens of KiB; a difference, not an allocation trace.")
        L.append("")
        L.append("Both modules with their default parameters here (no poll queues).")
        L.append("")
        L.append("| config | I/O queue pairs (hctx) | KiB held (median) | samples |")
        L.append("|---|---|---|---|")
        for cfg, m in memory.items():
            L.append(f"| {cfg} | {bindings.get(cfg, {}).get('hctx', '?')} | {m['kib_median']} | "
                     f"{m['kib_samples']} |")
        for drv, p in per_qp.items():
            L.append("")
            L.append(f"{drv}: one more I/O queue pair ({p['from']} -> {p['to']}, hctx "
                     f"{p['hctx_from']} -> {p['hctx_to']}) holds {p['kib']} KiB more.")
    else:
        L.append("(not measured: BENCH_MEM=0)")

    L.append("")
    L.append("## Guest results")
    L.append("")
    for r in results:
        L.append(f"    {r}")
    L.append("")
    L.append(f"Timings: {args.elapsed} s wall clock for the VM step (initramfs, boot, test, "
             f"power-off); guest uptime at power-off {times.get('uptime_at_poweroff', '?')}, of "
             f"which the bench test {times.get('bench', '?')}. Raw fio json of every run: "
             "bench.json.")
    md = "\n".join(L) + "\n"
    with open(os.path.join(args.out, "bench.md"), "w") as f:
        f.write(md)

    # --- bench.png -------------------------------------------------------------------------
    plot(args, table, aa, issue5)
    print(md)
    nruns = sum(1 for r in runs if r["ok"])
    if table and not any(t["paired_lat"] for t in table):
        print("bench: no completion latency percentiles (clat_ns.percentile 50/99/99.9) in any "
              "pair's fio json", file=sys.stderr)
        return 1
    return 0 if nruns and not ofail and table else 1


def fmt_lat(v):
    """median [min-max] of one latency percentile over rounds, in us."""
    return f"{fmt_n(v['median'])} [{fmt_n(v['min'])}-{fmt_n(v['max'])}]" if v else "-"


def fmt_ratio(pr):
    """paired median [min-max] of per-round ratios."""
    if not pr:
        return "-"
    lo, hi = spread(pr)
    return f"**{med(pr):.3f}** [{lo:.3f}-{hi:.3f}]"


def latency_md(table, aa):
    """The completion latency section of bench.md: per job, direction and driver the p50, p99
    and p99.9 completion latency (median over rounds [min-max]), and per ABBA pair the
    latency ratio rocknvme/nvme (paired median [min-max]; > 1: rocknvme slower)."""
    L = ["", "## Completion latency (fio clat percentiles)", "",
         "Per round, fio's p50, p99 and p99.9 completion latency (clat_ns.percentile, read by "
         "tests/lib/fio-json.awk); per driver the median over rounds [min-max], in us. The "
         "ratio is rocknvme/nvme of the same percentile in each ABBA pair: the median of those "
         "per-pair ratios [min-max]. **For latency a ratio > 1 means rocknvme is slower** (the "
         "opposite of the IOPS ratio). The A/A row is nvme (slot B) / nvme (slot A): its "
         "spread is the noise floor for these ratios. Under TCG the tail percentiles (p99.9 "
         "of a few thousand I/Os per run: a handful of samples) mostly measure host "
         "scheduling.", "",
         "| job | dir | driver | p50 us | p99 us | p99.9 us | p50 ratio (> 1: rocknvme slower) "
         "| p99 ratio (> 1: rocknvme slower) | p99.9 ratio (> 1: rocknvme slower) |",
         "|---|---|---|---|---|---|---|---|---|"]
    for t in table + ([aa] if aa else []):
        label = t["job"] if t["set"] == "ab" else f"A/A control: {t['job']}"
        for d in DIRS:
            la, lb = t["sa"].get("lat", {}).get(d), t["sb"].get("lat", {}).get(d)
            if not la and not lb:
                continue
            pl = t["paired_lat"].get(d, {})
            la, lb = la or {}, lb or {}
            L.append(f"| {label} | {d} | {t['a']} | " +
                     " | ".join(fmt_lat(la.get(pc)) for pc in PCTS) + " | " +
                     " | ".join(fmt_ratio(pl.get(pc)) for pc in PCTS) + " |")
            L.append(f"| | | {t['b']} | " + " | ".join(fmt_lat(lb.get(pc)) for pc in PCTS) +
                     " | | | |")
            label = ""
    return L


def plot(args, table, aa, issue5):
    rows = []  # label, ratio, lo, hi, color index
    for t in table:
        if t["paired"]:
            lo, hi = spread(t["paired"])
            rows.append((t["job"], t["ratio"], lo, hi, 1, med(t["paired"])))
    if aa and aa["paired"]:
        lo, hi = spread(aa["paired"])
        rows.append(("A/A: nvme / nvme\\n" + aa["job"], aa["ratio"], lo, hi, 2, med(aa["paired"])))
    if issue5 and issue5["paired"]:
        lo, hi = spread(issue5["paired"])
        rows.append(("issue 5: rocknvme\\npoll QD1 / nvme\\nirq QD1", issue5["ratio"], lo, hi, 3,
                     med(issue5["paired"])))
    lat = []  # label, {pc: (paired median, lo, hi)}
    for t in table + ([aa] if aa else []):
        for d in DIRS:
            pl = t["paired_lat"].get(d, {})
            if not pl:
                continue
            name = t["job"] if t["set"] == "ab" else "A/A: nvme / nvme\\n" + t["job"]
            if sum(1 for dd in DIRS if t["paired_lat"].get(dd)) > 1:
                name += f" ({d})"
            lat.append((name, {pc: (med(v), *spread(v)) for pc, v in pl.items()}))
    if not rows or not shutil.which("gnuplot"):
        return
    data = os.path.join(args.out, "bench-plot.dat")
    with open(data, "w") as f:
        for i, (label, r, lo, hi, c, pm) in enumerate(rows):
            f.write(f'{i} {r:.4f} {lo:.4f} {hi:.4f} {c} "{label}" {pm:.4f}\n')
    ymax = max(1.3, max(row[3] for row in rows) * 1.08)
    ystep = 0.1 if ymax <= 1.6 else 0.2 if ymax <= 3 else 0.5
    # Latency panel data: one block per percentile (gnuplot "index"), bars side by side.
    ldata = os.path.join(args.out, "bench-plot-lat.dat")
    lmax = 1.3
    with open(ldata, "w") as f:
        for k, pc in enumerate(PCTS):
            for i, (_, v) in enumerate(lat):
                if pc in v:
                    m, lo, hi = v[pc]
                    lmax = max(lmax, hi * 1.08)
                    f.write(f"{i + (k - 1) * 0.27:.2f} {m:.4f} {lo:.4f} {hi:.4f}\n")
            f.write("\n\n")
    clipped = ", clipped at 4 (numbers in bench.md)" if lmax > 4.0 else ""
    lmax = min(lmax, 4.0)  # a wild tail ratio is clipped, its number is in bench.md
    lstep = 0.1 if lmax <= 1.6 else 0.2 if lmax <= 3 else 0.5
    xt = ", ".join(f'"{name}" {i}' for i, (name, _) in enumerate(lat))
    lat_plot = ""
    if lat:
        colors = ("#66ccee", "#228833", "#aa3377")
        parts = []
        for k, pc in enumerate(PCTS):
            parts.append(f'"{ldata}" index {k} using 1:2 with boxes lc rgb "{colors[k]}" '
                         f'title "{pc}"')
            parts.append(f'"{ldata}" index {k} using 1:2:3:4 with yerrorbars lc rgb "black" '
                         "pt 0 lw 1 notitle")
        lat_plot = f"""
set title "completion latency rocknvme / nvme per ABBA pair (> 1: rocknvme SLOWER)\\nbars: median of the per-pair ratios of fio's clat p50, p99, p99.9; whiskers: min-max over the pairs{clipped}"
set ylabel "latency ratio (> 1: rocknvme slower)"
set yrange [0:{lmax:.3f}]
set ytics {lstep}
set xrange [-0.6:{len(lat) - 0.4}]
set boxwidth 0.25
set xtics ({xt})
set key top left reverse Left samplen 2 opaque
plot {", ".join(parts)}
"""
    panels = 2 if lat else 1
    gp = f"""
set terminal pngcairo size 1200,{650 * panels} font ",11"
set output "{os.path.join(args.out, 'bench.png')}"
set multiplot layout {panels},1
set title "rocknvme / in-kernel nvme, IOPS ratio of medians ({args.mode} run: {args.rounds} rounds x {args.runtime} s, ABBA)\\nbars: ratio of the median IOPS; whiskers: min-max of the per-round paired ratios; QEMU TCG arm64, kernel {args.abi}"
set ylabel "IOPS ratio (> 1: rocknvme faster)"
set yrange [0:{ymax:.3f}]
set ytics {ystep}
set xrange [-0.6:{len(rows) - 0.4}]
set style fill solid 0.6 border -1
set boxwidth 0.6
set grid ytics
set xtics rotate by -30 left noenhanced font ",10"
set bmargin 9
set rmargin 12
set key top left reverse Left samplen 1 opaque
set palette defined (1 "#4477aa", 2 "#999999", 3 "#ee7733")
set cbrange [1:3]
unset colorbox
set arrow 1 from graph 0, first 1.0 to graph 1, first 1.0 nohead lw 2 lc rgb "#cc3311"
set label 1 "1.0 = parity" at graph 1.01, first 1.0 left tc rgb "#cc3311"
plot "{data}" using 1:2:5:xtic(6) with boxes lc palette notitle, \\
     "" using 1:2:3:4 with yerrorbars lc rgb "black" pt 0 lw 1.5 notitle, \\
     "" using 1:7 with points pt 13 ps 1.5 lc rgb "black" title "median of the per-round paired ratios", \\
     "" using 1:({ymax:.3f} * 0.03):(sprintf("%.3f", $2)) with labels font ",10" notitle
{lat_plot}
unset multiplot
"""
    gpf = os.path.join(args.out, "bench.gp")
    with open(gpf, "w") as f:
        f.write(gp)
    subprocess.run(["gnuplot", gpf], check=False)


if __name__ == "__main__":
    sys.exit(main())
