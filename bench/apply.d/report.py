#!/usr/bin/env python3
"""bench/apply.d/report.py HOST RAW: docs/apply-bench.md from bench/apply's results.

HOST holds `host KEY VALUE...` lines written by bench/apply; RAW the `info`, `sample` and
`calls` lines of bench/apply.d/run. Prints the document (markdown) on stdout.
"""
import statistics
import sys
from collections import defaultdict

TARGETS = {"insync": 1.5, "empty": 1.1}


def read(path):
    lines = defaultdict(list)
    with open(path) as f:
        for line in f:
            words = line.split()
            if len(words) >= 2:
                lines[words[0]].append(words[1:])
    return lines


def main(host_path, raw_path):
    host = {w[0]: " ".join(w[1:]) for w in read(host_path)["host"]}
    raw = read(raw_path)
    info = {w[0]: " ".join(w[1:]) for w in raw["info"]}
    samples = defaultdict(list)
    for case, side, _run, seconds in raw["sample"]:
        samples[(case, side)].append(float(seconds))
    if not samples:
        sys.exit("report.py: no samples in " + raw_path)
    med = {k: statistics.median(v) for k, v in samples.items()}
    n = int(info["n"])
    runs = info["runs"]

    out = []
    p = out.append
    p("# `rfou apply`: speed against `show` and `-b`")
    p("")
    p("Written by `bench/apply` (do not edit by hand; run `vm-slot bench/apply` as root).")
    p("")
    p(f"Work: a desired-state file of {n:,} fou ports (every other one GUE) and {n:,} ipip "
      "tunnels with FOU or GUE encap (every other one), and the equivalent `rfou -b` batch "
      "(`add port` and `tunnel add` lines). Wall time of whole commands, median of "
      f"{runs} runs in one VM boot, the order of the two sides swapped every run.")
    p("")
    p("| Case | `rfou apply` | Against | Its time | Ratio | Target | Met |")
    p("|---|---:|---|---:|---:|---:|---|")
    rows = [
        ("insync", "in-sync namespace (prints `unchanged`)", "show",
         "`rfou show` + `rfou tunnel show`"),
        ("empty", "empty namespace", "batch", "`rfou -b` of the same"),
    ]
    verdicts = []
    for case, what, other, other_words in rows:
        a, b = med[(case, "apply")], med[(case, other)]
        ratio = a / b
        met = ratio <= TARGETS[case]
        verdicts.append(met)
        p(f"| {what} | {a * 1000:.0f} ms | {other_words} | {b * 1000:.0f} ms | "
          f"{ratio:.2f}x | {TARGETS[case]}x | {'yes' if met else 'no'} |")
    p("")
    p("Every sample (seconds):")
    p("")
    for key in sorted(samples):
        p(f"- {key[0]} {key[1]}: " + ", ".join(f"{s:.3f}" for s in samples[key]))
    calls = raw.get("calls", [])
    if calls:
        p("")
        p("System calls of one run of each (strace -f -c, untimed):")
        p("")
        p("| Command | netlink sends | netlink receives | all calls |")
        p("|---|---:|---:|---:|")
        for what, sends, receives, total in calls:
            p(f"| {what} | {sends} | {receives} | {total} |")
    p("")
    p("Where and when:")
    p("")
    p(f"- date: {host.get('date', '?')}; commit: {host.get('commit', '?')}")
    p(f"- kernel: {info.get('kernel', host.get('release', '?'))} in a QEMU VM "
      f"({host.get('accel', '?')}, 2 CPUs) on {host.get('cpu', '?')}, {host.get('cpus', '?')} CPUs")
    p(f"- host load average (1, 5, 15 min): {host.get('load_start', '?')} at the start, "
      f"{host.get('load_end', '?')} at the end; QEMU processes running: "
      f"{host.get('qemu_at_start', '?')} at the start (this one not yet), "
      f"{host.get('qemu_at_end', '?')} at the end (this one ended). The host is shared: "
      "both sides of a ratio run in the same boot, alternately, so a load shared by both "
      "shifts the times more than the ratios.")
    p("")
    p("Both targets met." if all(verdicts) else "Not every target met.")
    print("\n".join(out))


if __name__ == "__main__":
    main(*sys.argv[1:3])
