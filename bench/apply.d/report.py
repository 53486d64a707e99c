#!/usr/bin/env python3
"""bench/apply.d/report.py HOST RAW: docs/apply-bench.md from bench/apply's results.

HOST holds `host KEY VALUE...` lines written by bench/apply; RAW the `info`, `sample` and
`calls` lines of bench/apply.d/run. Prints the document (markdown) on stdout.

Each round times both sides of each case once; a round's ratio is apply's time over the
other side's in that round. A target is met when the median of the rounds' ratios meets it;
the spread (lowest and highest round) is given with it. Exit status: 0 when both targets are
met, 3 when one is not (the document is written all the same), 1 when the results cannot be
read.
"""
import statistics
import sys
from collections import defaultdict

TARGETS = {"insync": 1.5, "empty": 1.05}
ROWS = [
    ("insync", "in-sync namespace (prints `unchanged`)", "show",
     "`rfou show` + `rfou tunnel show`"),
    ("empty", "empty namespace", "batch", "`rfou -b` of the same"),
]


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
    samples = defaultdict(dict)  # (case, side) -> {round: seconds}
    for case, side, run, seconds in raw["sample"]:
        samples[(case, side)][int(run)] = float(seconds)
    runs = int(info.get("runs", "0"))
    for case, _, other, _ in ROWS:
        for side in ("apply", other):
            if len(samples[(case, side)]) < runs or runs < 1:
                sys.exit(f"report.py: missing rounds of {case} {side} in {raw_path}")
    n = int(info["n"])

    out = []
    p = out.append
    p("# `rfou apply`: speed against `show` and `-b`")
    p("")
    p("Written by `bench/apply` (do not edit by hand; run `bench/apply` as root).")
    p("")
    p(f"Work: a desired-state file of {n:,} fou ports (every other one GUE) and {n:,} ipip "
      "tunnels with FOU or GUE encap (every other one), and the equivalent `rfou -b` batch "
      "(`add port` and `tunnel add` lines). Wall time of whole commands, in "
      f"{runs} rounds in one VM boot, each round timing both sides of each case once (the "
      "order of the two swapped every round). A round's ratio is apply's time over the "
      "other side's in that round; the ratio given is the median of the rounds' ratios, "
      "with their spread (the lowest and the highest round), and a target is met when that "
      "median meets it. Times are the medians of the rounds, for scale.")
    p("")
    p("| Case | `rfou apply` | Against | Its time | Ratio (median) | Spread of the rounds | Target | Met |")
    p("|---|---:|---|---:|---:|---|---:|---|")
    unmet = []
    ratios = {}
    for case, what, other, other_words in ROWS:
        a, b = samples[(case, "apply")], samples[(case, other)]
        ratios[case] = {r: a[r] / b[r] for r in sorted(a) if r in b}
        values = list(ratios[case].values())
        ratio = statistics.median(values)
        met = ratio <= TARGETS[case]
        if not met:
            unmet.append(what)
        p(f"| {what} | {statistics.median(a.values()) * 1000:.0f} ms | {other_words} | "
          f"{statistics.median(b.values()) * 1000:.0f} ms | {ratio:.2f}x | "
          f"{min(values):.2f} to {max(values):.2f} | {TARGETS[case]}x | {'yes' if met else '**no**'} |")
    p("")
    p("Every round (seconds, and the round's ratio):")
    p("")
    p("| Round | " + " | ".join(f"{c} {s}" for c, _, o, _ in ROWS for s in ("apply", o))
      + " | " + " | ".join(f"{c} ratio" for c, _, _, _ in ROWS) + " |")
    p("|---" * (1 + 3 * len(ROWS)) + "|")
    for r in range(1, runs + 1):
        cells = [f"{samples[(c, s)][r]:.3f}" for c, _, o, _ in ROWS for s in ("apply", o)]
        cells += [f"{ratios[c][r]:.2f}" for c, _, _, _ in ROWS]
        p(f"| {r} | " + " | ".join(cells) + " |")
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
    load = [float(x) for x in host.get("load_samples", "").split()]
    during = ""
    if load:
        during = (f"; every 5 s during the run (1 min): lowest {min(load):.2f}, median "
                  f"{statistics.median(load):.2f}, highest {max(load):.2f}")
    p(f"- host load average (1, 5, 15 min): {host.get('load_start', '?')} at the start, "
      f"{host.get('load_end', '?')} at the end{during}; other QEMU processes (other VMs): "
      f"{host.get('qemu_at_start', '?')} at the start, {host.get('qemu_at_end', '?')} at the "
      "end (this one not counted). The host is shared: both sides of a ratio run in the "
      "same round, a moment apart, so a load shared by both shifts the times more than the "
      "ratios, and the rounds' spread shows what is left.")
    if "uptime" in host:
        p(f"- `uptime` at the end: {host['uptime'].strip()}")
    p("")
    p("Both targets met." if not unmet else f"**Not met**: {'; '.join(unmet)}.")
    print("\n".join(out))
    return 3 if unmet else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
