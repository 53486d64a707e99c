#!/usr/bin/env python3
"""Writes docs/bulk.md (on standard output) from the results of bench/bulk.

    report.py HOST-FILE RAW-FILE

HOST-FILE: `host KEY VALUE...` lines written by bench/bulk on the host (date, CPU, load...).
RAW-FILE: what bench/bulk.d/run printed (in the VM): `info`, `note`, `round`, `sample`,
`cpusample`, `count`, `mem`, `cpu`, `calls`, `same`, `state` and `profile` lines; anything
else (a console line) is ignored.

Every measurement is taken once per round. A round's ratio is rfou's time over ip's in that
round; the verdict on a target is the median of the rounds' ratios, and the spread (lowest
and highest) is given with it. Exit status: 0 when every target is met, 3 when one is not
(the document is written all the same), 1 when the results cannot be read.
"""

import statistics
import sys
from collections import defaultdict

from text import METHOD, TCG_NOTE, ms, mb, yes

# (op, label, target words, test on the median ratio); None: no target.
BATCH_ROWS = [
    ("port-add", "port add, {n}-line batch", "< 1/3 of ip", lambda r: r < 1 / 3),
    ("port-del", "port delete, {n}-line batch", None, None),
    ("tunnel-add", "tunnel add (ipip, FOU encap), {n}-line batch", "≤ 0.8 × ip", lambda r: r <= 0.8),
    ("encap", "encap change, {n}-line batch", "≤ 0.8 × ip", lambda r: r <= 0.8),
    ("tunnel-del", "tunnel delete, {n}-line batch", "< 1/2 of ip", lambda r: r < 0.5),
    ("show-small", "show of {small} ports (`-j`)", "≤ 1.2 × ip, all listed", lambda r: r <= 1.2),
    ("show", "show of {show} ports (`-j`)", "≤ 1.2 × ip, all listed", lambda r: r <= 1.2),
    ("empty", "empty batch (start, namespace, sockets)", None, None),
    ("singles", "{singles} single commands, one process each (the 4 kinds below)", None, None),
    ("single-port-add", "· {k} × `add port`", "≤ ip", lambda r: r <= 1),
    ("single-tunnel-add", "· {k} × tunnel add", "≤ ip", lambda r: r <= 1),
    ("single-encap", "· {k} × encap change", "≤ ip", lambda r: r <= 1),
    ("single-tunnel-del", "· {k} × tunnel delete", "≤ ip", lambda r: r <= 1),
]
FLOOR_TARGET = 1.1
MEMORY_LIMIT = 50e6


class Results:
    def __init__(self, host_path, raw_path):
        self.host, self.info, self.notes = {}, {}, []
        self.samples = defaultdict(dict)  # (op, tool) -> {round: seconds}
        self.pairs = defaultdict(list)  # tool -> [(round, seconds)] of the floor pairs
        self.counts = defaultdict(dict)  # (op, tool) -> {round: ports listed}
        self.mems = defaultdict(list)  # (what, tool) -> [kB]
        self.cpus = defaultdict(list)  # (what, tool) -> [(user s, system s)]
        self.cpu_samples = defaultdict(list)  # (op, tool) -> [(user ms, system ms)]
        self.calls = {}  # (op, tool) -> (lines, sends, receives, total)
        self.same = defaultdict(dict)  # op -> {round: tunnels compared}
        self.states, self.profiles = {}, defaultdict(list)
        with open(host_path, encoding="utf-8") as f:
            for line in f:
                parts = line.rstrip("\r\n").split(" ", 2)
                if len(parts) == 3 and parts[0] == "host":
                    self.host[parts[1]] = parts[2]
        with open(raw_path, encoding="utf-8", errors="replace") as f:
            for line in f:
                try:
                    self.take(line.rstrip("\r\n"))
                except (ValueError, IndexError):
                    continue

    def take(self, line):
        kind, _, rest = line.partition(" ")
        w = rest.split()
        if kind == "info" and w:
            self.info[w[0]] = rest[len(w[0]) + 1 :]
        elif kind == "note":
            self.notes.append(rest)
        elif kind == "sample" and len(w) == 4 and w[0] == "floor-pair":
            self.pairs[w[1]].append((int(w[2]), float(w[3])))
        elif kind == "sample" and len(w) == 4:
            self.samples[(w[0], w[1])][int(w[2])] = float(w[3])
        elif kind == "count" and len(w) == 4:
            self.counts[(w[0], w[1])][int(w[2])] = int(w[3])
        elif kind == "mem" and len(w) == 4:
            self.mems[(w[0], w[1])].append(int(w[3]))
        elif kind == "cpu" and len(w) == 5:
            self.cpus[(w[0], w[1])].append((float(w[3]), float(w[4])))
        elif kind == "cpusample" and len(w) == 5:
            self.cpu_samples[(w[0], w[1])].append((int(w[3]), int(w[4])))
        elif kind == "calls" and len(w) == 6:
            self.calls[(w[0], w[1])] = tuple(int(x) for x in w[2:])
        elif kind == "same" and len(w) == 3:
            self.same[w[0]][int(w[1])] = int(w[2])
        elif kind == "state" and len(w) >= 2:
            self.states[(w[0], w[1])] = " ".join(w[2:])
        elif kind == "profile" and len(w) >= 4:
            self.profiles[w[0]].append((float(w[1]), w[2], " ".join(w[3:])))

    def median(self, op, tool):
        values = list(self.samples.get((op, tool), {}).values())
        return statistics.median(values) if values else None

    def ratios(self, op, tool, against="ip"):
        """The ratio of `tool` to `against` in each round that has both, by round."""
        a, b = self.samples.get((op, tool), {}), self.samples.get((op, against), {})
        return {r: a[r] / b[r] for r in sorted(a) if r in b and b[r] > 0}

    def pair_rounds(self):
        """The floor pairs' ratios (rfou over the floor), by round."""
        rounds = defaultdict(list)
        for (r, a), (_, b) in zip(self.pairs.get("rfou", []), self.pairs.get("floor", [])):
            rounds[r].append(a / b)
        return dict(sorted(rounds.items()))


def spread(values):
    return f"{min(values):.2f} to {max(values):.2f}" if values else ""


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: report.py HOST-FILE RAW-FILE")
    res = Results(*sys.argv[1:])
    info, host = res.info, res.host
    n = int(info.get("n", "0"))
    runs = int(info.get("runs", "0"))
    singles = int(info.get("singles", "0"))
    words = {
        "n": f"{n:,}",
        "show": f"{int(info.get('show_n', '0')):,}",
        "small": f"{int(info.get('show_small_n', '0')):,}",
        "singles": singles,
        "k": singles // 4,
    }
    only = info.get("only", "ports,tunnels,singles,show,calls").split(",")
    wanted = {
        "ports": ["port-add", "port-del", "empty"],
        "tunnels": ["tunnel-add", "encap", "tunnel-del"],
        "singles": ["singles"],
        "show": ["show"],
    }
    missing = [
        f"{op} {tool}"
        for section, ops in wanted.items()
        if section in only
        for op in ops
        for tool in ("ip", "rfou", "rfou-dyn")
        if len(res.samples.get((op, tool), {})) < runs
    ]
    if "ports" in only and not res.pair_rounds():
        missing.append("floor pairs")
    if missing or runs < 1:
        sys.exit(f"report.py: missing rounds of: {', '.join(missing) or 'everything'}")

    out = []
    w = out.append
    w("# Bulk operations: rfou against iproute2")
    w("")
    w(
        "Written by `bench/bulk` (one command, as root; it boots the VM itself). Run it again "
        "to refresh this page rather than editing it."
    )
    w("")
    setting(res, w, runs)
    w("## Results")
    w("")
    w(
        f"N = {n:,}. Each of the {runs} rounds times every tool once on each operation, the "
        "wall time of the whole command (process start included), the tools taking turns at "
        "going first. A round's ratio is rfou's time over ip's in that round (below 1, rfou "
        "is faster); the ratio given is the median of the rounds' ratios, with their spread "
        "(the lowest and the highest round), and a target is met when that median meets it. "
        "Times are the medians of the rounds, for scale."
    )
    w("")
    w(
        "rfou as it ships (linked statically) against ip as Debian ships it (linked "
        "dynamically): both as users run them."
    )
    w("")
    w("| operation | rfou | ip | ratio (median) | spread of the rounds | target | met? |")
    w("| --- | --- | --- | --- | --- | --- | --- |")
    verdicts = []
    for op, label, target, test in BATCH_ROWS:
        ratios = list(res.ratios(op, "rfou").values())
        if not ratios:
            continue
        ratio = statistics.median(ratios)
        cells = f"| {label.format(**words)} | {ms(res.median(op, 'rfou'))} | {ms(res.median(op, 'ip'))} | {ratio:.2f} | {spread(ratios)} |"
        if target is None:
            w(cells + " | |")
            continue
        ok = test(ratio)
        if op in ("show", "show-small"):
            size = int(words["show" if op == "show" else "small"].replace(",", ""))
            listed = res.counts.get((op, "rfou"), {})
            ok = ok and bool(listed) and all(c == size for c in listed.values())
        w(f"{cells} {target} | {yes(ok)} |")
        verdicts.append((label.format(**words), ok))
    floor_row(res, w, verdicts)
    memory_rows(res, w, verdicts, words)
    w("")
    w(
        "The same rfou linked dynamically, as ip is (`cargo build --release`): the ratio "
        "without the head start a static binary has at its start (no target)."
    )
    w("")
    w("| operation | rfou, linked dynamically | ip | ratio (median) | spread of the rounds |")
    w("| --- | --- | --- | --- | --- |")
    for op, label, _, _ in BATCH_ROWS:
        ratios = list(res.ratios(op, "rfou-dyn").values())
        if ratios:
            w(
                f"| {label.format(**words)} | {ms(res.median(op, 'rfou-dyn'))} | "
                f"{ms(res.median(op, 'ip'))} | {statistics.median(ratios):.2f} | {spread(ratios)} |"
            )
    w("")
    listed_counts(res, w, words)
    w("## Targets")
    w("")
    met = [name for name, ok in verdicts if ok]
    unmet = [name for name, ok in verdicts if not ok]
    w(f"Met: {'; '.join(met) if met else 'none'}.")
    w("")
    if unmet:
        w(f"**Not met**: {'; '.join(unmet)}.")
        w("")
    same_result(res, w, n)
    time_goes(res, w, words)
    every_round(res, w, runs, n)
    w("## How it is measured")
    w("")
    for item in METHOD:
        w(f"- {item.format(**words, runs=runs, pairs=info.get('pairs', '?'))}")
    if set(only) != {"ports", "tunnels", "singles", "show", "calls"}:
        w(f"- Sections run (`RFOU_BULK_ONLY`): {', '.join(only)}; the others were left out.")
    if res.notes:
        w("")
        w("Notes from the run:")
        w("")
        for note in res.notes:
            w(f"- {note}")
    print("\n".join(out))
    return 3 if unmet else 0


def setting(res, w, runs):
    host, info = res.host, res.info
    where, accel = host.get("where", "?"), host.get("accel", "")
    if where == "vm":
        machine = (
            f"host: {host.get('cpu', '?')}, {host.get('cpus', '?')} cores; VM: "
            f"{info.get('vm_cpu', '?')} ({accel or 'QEMU'}), {info.get('vm_cpus', '?')} vCPUs, "
            f"{info.get('vm_memory', '?')}"
        )
    else:
        machine = f"{info.get('vm_cpu', host.get('cpu', '?'))}, {info.get('vm_cpus', '?')} CPUs (no VM)"
    samples = [float(x) for x in host.get("load_samples", "").split()]
    others = max(int(host.get("foreign_qemu_max", "0") or 0), int(host.get("qemu_at_start", "0") or 0))
    load = (
        f"load average at the start {host.get('load_start', '?')}, at the end "
        f"{host.get('load_end', '?')} (1, 5, 15 min)"
    )
    if samples:
        load += (
            f"; the 1-minute load average every 5 s during the run: lowest {min(samples):.2f}, "
            f"median {statistics.median(samples):.2f}, highest {max(samples):.2f} "
            f"({len(samples)} samples)"
        )
    load += f"; other QEMU processes (other VMs) on the host: up to {others}"
    if "uptime" in host:
        load += f"; `uptime` at the end: {host['uptime'].strip()}"
    if "vm_seconds" in host:
        total, command = host["vm_seconds"].split()
        duration = f"VM {float(total):.0f} s, of which the measurements {float(command):.0f} s"
    else:
        duration = f"{host.get('wall_seconds', '?')} s"
    w("| | |")
    w("| --- | --- |")
    w(f"| date | {host.get('date', '?')} |")
    w(f"| kernel | {info.get('kernel', '?')} ({info.get('kernel_version', '?')}) |")
    w(f"| machine | {machine} |")
    w(f"| tools | {info.get('rfou', '?')} (commit {host.get('commit', '?')}); {info.get('ip', '?')} |")
    w(f"| linked | {info.get('linking', '?')} |")
    w(f"| rounds | {runs}, each timing every tool once on every operation |")
    w(f"| load | {load} |")
    w(f"| duration | {duration} |")
    w("")
    if where == "vm" and "TCG" in accel:
        w(TCG_NOTE)
        w("")


def floor_row(res, w, verdicts):
    rounds = res.pair_rounds()
    if not rounds:
        return
    per_round = [statistics.median(v) for v in rounds.values()]
    ratio = statistics.median(per_round)
    ok = ratio <= FLOOR_TARGET
    rfou = statistics.median(s for _, s in res.pairs["rfou"])
    floor = statistics.median(s for _, s in res.pairs["floor"])
    w(
        f"| port add against the pipelined floor (a minimal program, timed as a command, "
        f"{len(res.pairs['rfou']) // len(rounds)} pairs side by side a round; the round's ratio "
        f"is the median of its pairs'; the floor {ms(floor)}) | {ms(rfou)} | | {ratio:.2f} "
        f"(÷ floor) | {spread(per_round)} | ≤ {FLOOR_TARGET} × floor | {yes(ok)} |"
    )
    verdicts.append(("port add against the pipelined floor", ok))
    inside = [s for _, s in res.pairs.get("floor-kernel", [])]
    if inside:
        w(
            f"| · the floor's requests alone, first sendmsg to last ack (timed inside it) | "
            f"{ms(statistics.median(inside))} | | | | | |"
        )


def memory_rows(res, w, verdicts, words):
    mem_r, mem_i = res.mems.get(("batch-port-add", "rfou"), []), res.mems.get(("batch-port-add", "ip"), [])
    if mem_r:
        peak = max(mem_r)
        ok = peak * 1024 < MEMORY_LIMIT
        ratio = f"{peak / max(mem_i):.2f}" if mem_i else ""
        w(
            f"| peak memory, {words['show']}-line batch (`add port`, highest of {len(mem_r)}) | "
            f"{mb(peak)} | {mb(max(mem_i)) if mem_i else ''} | {ratio} | | < 50 MB | {yes(ok)} |"
        )
        verdicts.append((f"peak memory of a {words['show']}-line batch", ok))
    sr, si = res.mems.get(("show", "rfou")), res.mems.get(("show", "ip"))
    if sr and si:
        w(f"| peak memory, show of {words['show']} ports | {mb(max(sr))} | {mb(max(si))} | {max(sr) / max(si):.2f} | | | |")


def listed_counts(res, w, words):
    for op, size in (("show-small", words["small"]), ("show", words["show"])):
        if not res.counts.get((op, "ip")):
            continue
        parts = [
            f"{tool} {', '.join(f'{c:,}' for c in res.counts[(op, tool)].values())}"
            for tool in ("rfou", "rfou-dyn", "ip")
            if res.counts.get((op, tool))
        ]
        w(f"Ports each show listed of {size}, round by round: {'; '.join(parts)}.")
        w("")


def same_result(res, w, n):
    if not res.same:
        return
    w("## Same result")
    w("")
    rounds = sorted(set().union(*(set(v) for v in res.same.values())))
    w(
        f"In each of {len(rounds)} rounds, the {n:,} tunnels each tool made, and then the same "
        "tunnels after the encap change, read back the same with every tool, attribute for "
        "attribute (`ip -d -o link show type ipip`, sorted, less the index and the namespace "
        "ids): the run stops where they differ. The first after the encap change, as read in "
        "round 1:"
    )
    w("")
    w("```")
    w(res.states.get(("encap", "all"), "").replace("\\", "\n"))
    w("```")
    w("")


def time_goes(res, w, words):
    if res.calls:
        w("## Where the time goes")
        w("")
        w(
            "System calls, counted with `strace -f -c` (untimed) on a batch of the first "
            "lines of each file in a new namespace, on one show of the last round's show "
            "namespace, and on one single command of each kind (lines 1). Sends and "
            "receives: `sendto`/`sendmsg` and `recvfrom`/`recvmsg` (netlink); all: every "
            "system call of the process, its start included."
        )
        w("")
        w("| operation | lines | rfou sends | ip sends | rfou receives | ip receives | rfou all | ip all |")
        w("| --- | --- | --- | --- | --- | --- | --- | --- |")
        for op in ("port-add", "port-del", "tunnel-add", "encap", "tunnel-del", "show",
                   "single-port-add", "single-tunnel-add", "single-encap", "single-tunnel-del"):
            r, i = res.calls.get((op, "rfou")), res.calls.get((op, "ip"))
            if r and i:
                w(f"| {op} | {r[0]:,} | {r[1]} | {i[1]} | {r[2]} | {i[2]} | {r[3]} | {i[3]} |")
        w("")
    if res.cpu_samples:
        w(
            "Wall time against CPU time (user + system time of the tool's processes, from "
            "bash's `times`), medians of the rounds. Where the CPU time is much less than the "
            "wall time, the command waits."
        )
        w("")
        w("| operation | rfou wall | rfou CPU user + system | ip wall | ip CPU user + system |")
        w("| --- | --- | --- | --- | --- |")

        def cpu(op, tool):
            values = res.cpu_samples.get((op, tool))
            if not values:
                return None
            return tuple(statistics.median(v[k] for v in values) / 1000 for k in (0, 1))

        for op in ("port-add", "port-del", "tunnel-add", "encap", "tunnel-del", "show", "empty", "singles"):
            cr, ci = cpu(op, "rfou"), cpu(op, "ip")
            if cr and ci:
                w(
                    f"| {op} | {ms(res.median(op, 'rfou'))} | {ms(cr[0])} + {ms(cr[1])} | "
                    f"{ms(res.median(op, 'ip'))} | {ms(ci[0])} + {ms(ci[1])} |"
                )
        w("")
    for what, rows in res.profiles.items():
        w(f"`perf record -e cpu-clock` of rfou ({what}, untimed), functions of at least 2%:")
        w("")
        w("| samples | object | function |")
        w("| --- | --- | --- |")
        for percent, dso, symbol in rows:
            w(f"| {percent:.1f}% | {dso} | `{symbol}` |")
        w("")


def every_round(res, w, runs, n):
    w("## Every round")
    w("")
    w("Each round's times, and each round's ratios to ip.")
    w("")
    w("| operation | tool | " + " | ".join(f"round {k}" for k in range(1, runs + 1)) + " |")
    w("| --- | --- | " + " | ".join("---" for _ in range(runs)) + " |")
    ops = []
    for op, _ in res.samples:
        if op not in ops:
            ops.append(op)
    for op in ops:
        for tool in ("rfou", "rfou-dyn", "ip"):
            values = res.samples.get((op, tool))
            if values:
                w(f"| {op} | {tool} | " + " | ".join(ms(values[r]) if r in values else "" for r in range(1, runs + 1)) + " |")
        for tool in ("rfou", "rfou-dyn"):
            ratios = res.ratios(op, tool)
            if ratios:
                w(f"| {op} | {tool} / ip | " + " | ".join(f"{ratios[r]:.2f}" if r in ratios else "" for r in range(1, runs + 1)) + " |")
    w("")
    if res.pairs.get("rfou"):
        w(
            f"rfou's {n:,}-line port-add batch and the floor, side by side after the rounds, "
            "each in a namespace of its own, taking turns at going first:"
        )
        w("")
        w("| pair | round | rfou | floor | rfou ÷ floor | the floor's requests (timed inside it) |")
        w("| --- | --- | --- | --- | --- | --- |")
        inside = res.pairs.get("floor-kernel", [])
        for k, ((r, a), (_, b)) in enumerate(zip(res.pairs["rfou"], res.pairs["floor"])):
            kernel = ms(inside[k][1]) if k < len(inside) else ""
            w(f"| {k + 1} | {r} | {ms(a)} | {ms(b)} | {a / b:.2f} | {kernel} |")
        w("")


if __name__ == "__main__":
    sys.exit(main())
