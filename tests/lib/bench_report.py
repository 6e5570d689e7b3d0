#!/usr/bin/env python3
"""make bench, host side: cut the fio json results out of the guest console log and report.

Reads build/vm/bench.log (written by tests/lib/runvm.sh for tests/guest/t_bench.sh) and writes
  OUT/bench.json  every fio run's raw json with its job/driver/round, binding facts, memory,
                  module sizes and run metadata
  OUT/bench.md    per job: IOPS, MB/s, mean and p99 completion latency (median of rounds,
                  min-max), the rocknvme/nvme ratio of medians with the spread of the paired
                  per-round ratios, the A/A control, issue 5's polled-QD1 ratio, module sizes
                  and memory
  OUT/bench.png   gnuplot bars of those ratios with their spread, a line at 1.0
and prints bench.md. Exit 1 when a fio run is missing or unreadable (the polled job excepted:
its failure is recorded, not fatal), or when nothing came back.

Standard library only (Debian's python3); gnuplot (gnuplot-nox) draws the plot.
"""
import argparse
import hashlib
import json
import lzma
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


def metrics(fio):
    """IOPS, MB/s, mean and p99 clat (us) of one fio json (group_reporting: one job entry)."""
    job = fio["jobs"][0]
    out = {"iops": 0.0, "mbs": 0.0, "ios": 0, "error": job.get("error", 0)}
    lat_sum = 0.0
    p99 = {}
    for d in ("read", "write"):
        s = job.get(d, {})
        n = s.get("total_ios", 0)
        if not n:
            continue
        out["iops"] += s["iops"]
        out["mbs"] += s["bw_bytes"] / 1e6
        out["ios"] += n
        clat = s["clat_ns"]
        lat_sum += clat["mean"] * n
        p99[d] = clat.get("percentile", {}).get("99.000000", 0) / 1000
    out["clat_mean_us"] = lat_sum / out["ios"] / 1000 if out["ios"] else 0
    out["p99_us"] = p99
    return out


def spread(vals):
    return (min(vals), max(vals)) if vals else (0, 0)


def med(vals):
    return statistics.median(vals) if vals else 0


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
        try:
            r["fio"] = json.loads(r["text"]) if r["text"].strip() else None
        except ValueError as e:
            r["parse_error"] = str(e)
        if r["fio"] is not None:
            r["m"] = metrics(r["fio"])
            # Interrupts on the driver's I/O vectors per I/O. They were counted over the whole
            # fio run, ramp included, while fio's totals leave the ramp out: add the ramp's
            # I/Os at the measured rate.
            try:
                ramp = float(r["fio"].get("global options", {}).get("ramp_time", 0))
            except ValueError:
                ramp = 0.0
            ios = r["m"]["ios"] + r["m"]["iops"] * ramp
            if r.get("irqs") is not None and ios:
                r["m"]["irq_per_io"] = r["irqs"] / ios
        ok = r["fio"] is not None and r["rc"] == "0" and not r["m"]["error"]
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
        return s

    def paired(ra, rb):
        """Per-round ratios a/b (IOPS) where both rounds exist."""
        a = {r["round"]: r["m"]["iops"] for r in ra}
        b = {r["round"]: r["m"]["iops"] for r in rb}
        return [a[k] / b[k] for k in sorted(a) if k in b and b[k]]

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
                      "ratio": ratio, "paired": pr})

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
                  "sa": sa, "sb": sb, "ratio": ratio, "paired": pr}
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
                 f"paired median {med(aa['paired']):.3f}). Any A/B ratio within that distance of "
                 "1.0 is not a measured difference.")
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
                 "shadow doorbells). The in-kernel nvme turns it on when offered and then skips "
                 "most doorbell MMIO writes; rocknvme has no shadow doorbells yet (README) and "
                 "writes the SQ tail and CQ head doorbells on every batch. Under emulation each "
                 "MMIO write is a trap into QEMU, so this favours nvme here; real SSDs rarely "
                 "offer the feature.")
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
    return 0 if nruns and not ofail and table else 1


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
    if not rows or not shutil.which("gnuplot"):
        return
    data = os.path.join(args.out, "bench-plot.dat")
    with open(data, "w") as f:
        for i, (label, r, lo, hi, c, pm) in enumerate(rows):
            f.write(f'{i} {r:.4f} {lo:.4f} {hi:.4f} {c} "{label}" {pm:.4f}\n')
    ymax = max(1.3, max(row[3] for row in rows) * 1.08)
    ystep = 0.1 if ymax <= 1.6 else 0.2 if ymax <= 3 else 0.5
    gp = f"""
set terminal pngcairo size 1200,650 font ",11"
set output "{os.path.join(args.out, 'bench.png')}"
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
set arrow from graph 0, first 1.0 to graph 1, first 1.0 nohead lw 2 lc rgb "#cc3311"
set label "1.0 = parity" at graph 1.01, first 1.0 left tc rgb "#cc3311"
plot "{data}" using 1:2:5:xtic(6) with boxes lc palette notitle, \\
     "" using 1:2:3:4 with yerrorbars lc rgb "black" pt 0 lw 1.5 notitle, \\
     "" using 1:7 with points pt 13 ps 1.5 lc rgb "black" title "median of the per-round paired ratios", \\
     "" using 1:({ymax:.3f} * 0.03):(sprintf("%.3f", $2)) with labels font ",10" notitle
"""
    gpf = os.path.join(args.out, "bench.gp")
    with open(gpf, "w") as f:
        f.write(gp)
    subprocess.run(["gnuplot", gpf], check=False)


if __name__ == "__main__":
    sys.exit(main())
