#!/usr/bin/env python3
"""Writes docs/bulk.md (on standard output) from the results of bench/bulk.

    report.py HOST-FILE RAW-FILE

HOST-FILE: `host KEY VALUE...` lines written by bench/bulk on the host (date, CPU, load...).
RAW-FILE: what bench/bulk.d/run printed (in the VM): `info`, `note`, `sample`, `count`,
`mem`, `calls` and `state` lines; anything else (a console line) is ignored.
"""

import statistics
import sys
from collections import defaultdict


def read(host_path, raw_path):
    host, info, notes = {}, {}, []
    samples = defaultdict(list)  # (op, tool) -> [seconds]
    counts = defaultdict(list)  # (what, tool) -> [n]
    mems = defaultdict(list)  # (what, tool) -> [kB]
    calls = {}  # (op, tool) -> (lines, sends, receives, total)
    cpus = defaultdict(list)  # (what, tool) -> [(user, system)]
    cpu_samples = defaultdict(list)  # (op, tool) -> [(user ms, system ms)] of the timed runs
    profiles = defaultdict(list)  # what -> [(percent, object, symbol)], rfou's
    states = {}  # (op, tool) -> text
    with open(host_path, encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\r\n").split(" ", 2)
            if len(parts) == 3 and parts[0] == "host":
                host[parts[1]] = parts[2]
    with open(raw_path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.rstrip("\r\n")
            kind, _, rest = line.partition(" ")
            words = rest.split()
            try:
                if kind == "info" and words:
                    info[words[0]] = rest[len(words[0]) + 1 :]
                elif kind == "note":
                    notes.append(rest)
                elif kind == "sample" and len(words) == 4:
                    samples[(words[0], words[1])].append(float(words[3]))
                elif kind == "count" and len(words) == 4:
                    counts[(words[0], words[1])].append(int(words[3]))
                elif kind == "mem" and len(words) == 4:
                    mems[(words[0], words[1])].append(int(words[3]))
                elif kind == "profile" and len(words) >= 4:
                    profiles[words[0]].append((float(words[1]), words[2], " ".join(words[3:])))
                elif kind == "cpusample" and len(words) == 5:
                    cpu_samples[(words[0], words[1])].append((int(words[3]), int(words[4])))
                elif kind == "cpu" and len(words) == 5:
                    cpus[(words[0], words[1])].append((float(words[3]), float(words[4])))
                elif kind == "calls" and len(words) == 6:
                    calls[(words[0], words[1])] = tuple(int(w) for w in words[2:])
                elif kind == "state" and len(words) >= 2:
                    states[(words[0], words[1])] = " ".join(words[2:])
            except ValueError:
                continue
    return host, info, notes, samples, counts, mems, calls, states, cpus, cpu_samples, profiles


def ms(seconds):
    value = seconds * 1000
    if abs(value) >= 100:
        return f"{value:,.0f} ms"
    if abs(value) >= 10:
        return f"{value:.1f} ms"
    return f"{value:.2f} ms"


def mb(kib):
    return f"{kib * 1024 / 1e6:.1f} MB"


def yes(ok):
    return "**yes**" if ok else "**no**"


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: report.py HOST-FILE RAW-FILE")
    (host, info, notes, samples, counts, mems, calls, states, cpus, cpu_samples, profiles) = read(
        *sys.argv[1:]
    )
    n = int(info.get("n", "0"))
    show_n = int(info.get("show_n", "0"))
    show_small_n = int(info.get("show_small_n", "0"))
    only = info.get("only", "ports,tunnels,singles,show,calls").split(",")
    runs = int(info.get("runs", "0"))
    singles = int(info.get("singles", "0"))

    def med(op, tool):
        values = samples.get((op, tool))
        return statistics.median(values) if values else None

    sections = {
        "ports": ("port-add", "port-del"),
        "tunnels": ("tunnel-add", "encap", "tunnel-del"),
        "singles": ("singles",),
        "show": ("show",),
    }
    required = [
        (op, tool)
        for section, ops in sections.items()
        if section in only
        for op in ops
        for tool in ("rfou", "ip")
    ] + ([("floor-pair", "rfou"), ("floor-pair", "floor")] if "ports" in only else [])
    missing = [f"{op} {tool}" for op, tool in required if med(op, tool) is None]
    if missing:
        sys.exit(f"report.py: no samples for: {', '.join(missing)}")

    out = []
    w = out.append
    w("# Bulk operations: rfou against iproute2")
    w("")
    w(
        "Written by `bench/bulk` (one command, as root; it boots the VM itself). Run it again "
        "to refresh this page rather than editing it."
    )
    w("")

    # --- the setting --------------------------------------------------------------------------
    where = host.get("where", "?")
    accel = host.get("accel", "")
    emulated = where == "vm" and "TCG" in accel
    if where == "vm":
        machine = (
            f"host: {host.get('cpu', '?')}, {host.get('cpus', '?')} cores; "
            f"VM: {info.get('vm_cpu', '?')} ({accel or 'QEMU'}), {info.get('vm_cpus', '?')} vCPUs, "
            f"{info.get('vm_memory', '?')}"
        )
    else:
        machine = f"{info.get('vm_cpu', host.get('cpu', '?'))}, {info.get('vm_cpus', '?')} CPUs (no VM)"
    foreign = int(host.get("foreign_qemu_max", "0") or 0)
    at_start = int(host.get("qemu_at_start", "0") or 0)
    if foreign == 0 and at_start == 0:
        load = (
            f"no other QEMU ran on the host during the run (load average at start "
            f"{host.get('load_start', '?')}, at the end {host.get('load_end', '?')})"
        )
    else:
        load = (
            f"**measured under load**: {max(foreign, at_start)} other QEMU process(es) ran on "
            f"the host during the run (load average at start {host.get('load_start', '?')}, "
            f"at the end {host.get('load_end', '?')})"
        )
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
    w(f"| load | {load} |")
    w(f"| duration | {duration} |")
    w("")
    if emulated:
        w(
            "**Emulated VM: compare ratios.** The host has no KVM, so the kernel runs under "
            "QEMU's TCG, which translates every guest instruction: absolute times are many "
            "times those of real hardware, and a tool that spends more of its time in user "
            "space (parsing, starting a process) is slowed down differently from one that "
            "spends it in the kernel. What carries over is the ratio of the two tools, measured "
            "side by side in the same boot. Starting a process weighs more than on hardware: "
            "QEMU translates the code a process runs, and with address-space randomisation the "
            "same code at a new address is translated again in every process (in this VM, "
            "turning randomisation off took `rfou -j show` of an empty namespace from 91 to 48 ms, "
            "the middle of three rounds of 20). So the less code a "
            "command runs, the faster it starts here, above what its instruction count says."
        )
    elif where == "vm":
        w("Measured in a VM: compare ratios rather than absolute times.")
    w("")

    # --- the table ----------------------------------------------------------------------------
    w("## Results")
    w("")
    w(
        f"N = {n:,}; every time is the median of {runs} runs, the wall time of the whole "
        f"command (process start included). Ratio = rfou / ip: below 1, rfou is faster."
    )
    w("")
    w("| operation | rfou | ip | ratio | target | met? |")
    w("| --- | --- | --- | --- | --- | --- |")

    verdicts = []  # (name, met, reason-or-None)

    def row(label, op, target=None, limit=None, strict=False):
        r, i = med(op, "rfou"), med(op, "ip")
        if r is None or i is None:
            return None
        ratio = r / i
        if limit is None:
            w(f"| {label} | {ms(r)} | {ms(i)} | {ratio:.2f} | | |")
            return ratio
        ok = ratio < limit if strict else ratio <= limit
        w(f"| {label} | {ms(r)} | {ms(i)} | {ratio:.2f} | {target} | {yes(ok)} |")
        verdicts.append((label, ok, op))
        return ratio

    # rfou against the floor: pairs run side by side (bench/bulk.d/run), each pair's ratio
    # little touched by load on the host that comes and goes; the verdict is their median.
    floor = med("floor-pair", "floor")
    port_add = med("floor-pair", "rfou")
    pair_ratios = [
        r / f
        for r, f in zip(
            samples.get(("floor-pair", "rfou"), []), samples.get(("floor-pair", "floor"), [])
        )
    ]
    row(f"port add, {n:,}-line batch", "port-add", "< 1/3 of ip", 1 / 3, strict=True)
    if med("port-add", "rfou") is not None and med("empty", "rfou") is not None:
        r_net = med("port-add", "rfou") - med("empty", "rfou")
        i_net = med("port-add", "ip") - med("empty", "ip")
        if i_net > 0 and r_net > 0:
            w(
                f"| · the same, less each tool's empty batch | {ms(r_net)} | {ms(i_net)} | "
                f"{r_net / i_net:.2f} | | |"
            )
    if floor is not None and port_add is not None and pair_ratios:
        floor_ratio = statistics.median(pair_ratios)
        floor_ok = floor_ratio <= 1.2
        w(
            f"| port add against the pipelined floor (a minimal program, timed as a command; "
            f"{len(pair_ratios)} pairs side by side, medians: the floor {ms(floor)}) "
            f"| {ms(port_add)} | | {floor_ratio:.2f} (÷ floor: the median of "
            f"the pairs' ratios, {min(pair_ratios):.2f} to {max(pair_ratios):.2f}) | "
            f"≤ 1.2 × floor | {yes(floor_ok)} |"
        )
        verdicts.append(("port add against the pipelined floor", floor_ok, "floor"))
    kernel_floor = med("floor-pair", "floor-kernel")
    empty_r = med("empty", "rfou")
    if kernel_floor is not None:
        w(
            f"| · the floor's requests alone, first sendmsg to last ack (timed inside it) | "
            f"{ms(kernel_floor)} | | | | |"
        )
    if (
        kernel_floor is not None
        and empty_r is not None
        and port_add is not None
        and port_add - empty_r > 0
    ):
        # For information only: the difference of two medians, as noisy as the empty batch.
        net = port_add - empty_r
        w(
            f"| · rfou less its empty batch ({ms(empty_r)}: start-up), against those requests "
            f"| {ms(net)} | | {net / kernel_floor:.2f} (÷ requests) | | |"
        )
    row(f"port delete, {n:,}-line batch", "port-del")
    row(f"tunnel add (ipip, FOU encap), {n:,}-line batch", "tunnel-add", "≤ ip", 1.0)
    row(f"encap change, {n:,}-line batch", "encap", "≤ ip", 1.0)
    row(f"tunnel delete, {n:,}-line batch", "tunnel-del", "< 1/2 of ip", 0.5, strict=True)

    r_show, i_show = med("show", "rfou"), med("show", "ip")
    r_counts, i_counts = counts.get(("show", "rfou"), []), counts.get(("show", "ip"), [])
    for op, size in (("show-small", show_small_n), ("show", show_n)):
        r, i = med(op, "rfou"), med(op, "ip")
        if r is None or i is None:
            continue
        rc, ic = counts.get((op, "rfou"), []), counts.get((op, "ip"), [])
        listed = bool(rc) and all(c == size for c in rc)
        ok = listed and r / i <= 1.2
        w(
            f"| show of {size:,} ports (`-j`) | {ms(r)} | {ms(i)} | "
            f"{r / i:.2f} | ≤ 1.2 × ip, all listed | {yes(ok)} |"
        )
        verdicts.append((f"show of {size:,} ports", ok, op))
        w(
            f"| ports listed by that show (of {size:,}) | "
            f"{', '.join(f'{c:,}' for c in rc)} | {', '.join(f'{c:,}' for c in ic)} | | "
            f"all {size:,} | {yes(listed)} |"
        )
    if med("empty", "rfou") is not None:
        row("empty batch (start, namespace, sockets)", "empty")
    if med("singles", "rfou") is not None:
        row(f"{singles} single commands, one process each (total of the 4 below)", "singles")
        k = singles // 4
        row(f"· {k} × `add port`", "single-port-add", "≤ ip", 1.0)
        row(f"· {k} × tunnel add", "single-tunnel-add", "≤ ip", 1.0)
        row(f"· {k} × encap change", "single-encap", "≤ ip", 1.0)
        row(f"· {k} × tunnel delete", "single-tunnel-del", "≤ ip", 1.0)

    mem_r = mems.get(("batch-port-add", "rfou"), [])
    mem_i = mems.get(("batch-port-add", "ip"), [])
    if mem_r:
        peak = max(mem_r)
        mem_ok = peak * 1024 < 50e6
        ip_cell = mb(max(mem_i)) if mem_i else ""
        ratio_cell = f"{peak / max(mem_i):.2f}" if mem_i else ""
        w(
            f"| peak memory, {show_n:,}-line batch (`add port`, highest of {len(mem_r)}) | "
            f"{mb(peak)} | {ip_cell} | {ratio_cell} | < 50 MB | {yes(mem_ok)} |"
        )
        verdicts.append((f"peak memory of a {show_n:,}-line batch", mem_ok, "mem"))
    mem_sr, mem_si = mems.get(("show", "rfou")), mems.get(("show", "ip"))
    if mem_sr and mem_si:
        w(
            f"| peak memory, show of {show_n:,} ports | {mb(max(mem_sr))} | {mb(max(mem_si))} | "
            f"{max(mem_sr) / max(mem_si):.2f} | | |"
        )
    w("")
    if samples.get(("show-build", "rfou")) and samples.get(("show-build", "ip")):
        b_r, b_i = med("show-build", "rfou"), med("show-build", "ip")
        w(
            f"Building the show namespace: {show_n:,} `add port` lines took rfou {ms(b_r)} "
            f"(median of {len(samples[('show-build', 'rfou')])}, under `/usr/bin/time`), ip "
            f"{ms(b_i)} (once)."
        )
        w("")

    # --- verdicts ---------------------------------------------------------------------------
    met = [name for name, ok, _ in verdicts if ok]
    unmet = [(name, key) for name, ok, key in verdicts if not ok]
    w("## Targets")
    w("")
    w(f"Met: {'; '.join(met) if met else 'none'}.")
    w("")
    if unmet:
        w(f"Not met: {'; '.join(name for name, _ in unmet)}.")
        w("")

    def calls_text(op):
        r, i = calls.get((op, "rfou")), calls.get((op, "ip"))
        if not r or not i:
            return ""
        if op == "show":
            what = f"a show of {r[0]:,} ports"
        elif op.startswith("single-"):
            what = "one such command"
        else:
            what = f"a {r[0]}-line batch"
        text = (
            f" For {what} (strace -c) rfou makes {r[1]} sends and {r[2]} receives on its "
            f"netlink sockets, {r[3]} system calls in all; ip {i[1]} sends, {i[2]} receives, "
            f"{i[3]} in all."
        )
        cr, ci = cpus.get((op, "rfou")), cpus.get((op, "ip"))
        if cr and ci:
            text += (
                f" CPU time (`/usr/bin/time`): rfou {cr[0][0]:.2f} s user + {cr[0][1]:.2f} s "
                f"system, ip {ci[0][0]:.2f} s user + {ci[0][1]:.2f} s system."
            )
        return text

    def ack_text():
        c = calls.get(("port-add", "rfou"))
        if not c:
            return ""
        lines, sends, receives, _ = c
        return (
            f" rfou read {receives} datagrams for {lines} lines; the floor, asking for one "
            f"ack per 64 requests, reads {-(-n // 64)} for the {n:,} ports."
        )

    def cpu_med(op, tool):
        values = cpu_samples.get((op, tool))
        if not values:
            return None
        return (
            statistics.median(v[0] for v in values) / 1000,
            statistics.median(v[1] for v in values) / 1000,
        )

    empty_r, empty_i = med("empty", "rfou"), med("empty", "ip")
    for name, key in unmet:
        if key == "floor":
            above = port_add - floor
            text = (
                f"**{name}**: rfou took {ms(port_add)}, the floor {ms(floor)} (a minimal "
                f"program sending the same requests, its process start included), so "
                f"{ms(above)} above it."
            )
            if empty_r is not None and empty_i is not None:
                text += (
                    f" An empty batch (process start, entering the namespace, opening the "
                    f"netlink sockets) takes rfou {ms(empty_r)}, ip {ms(empty_i)}."
                )
            if empty_r is not None and kernel_floor is not None:
                floor_start = floor - kernel_floor
                per_line = (port_add - empty_r) - kernel_floor
                start_diff = empty_r - floor_start
                text += (
                    f" The floor's own start (its command time less its requests) is "
                    f"{ms(floor_start)}: rfou's empty batch takes {ms(abs(start_diff))} "
                    f"{'more' if start_diff > 0 else 'less'} (which part of a start costs what "
                    f"was not measured). "
                    f"Past its start, rfou takes {ms(port_add - empty_r)} for the "
                    f"lines, {ms(per_line)} ({per_line / n * 1e6:.0f} µs a line) more than the "
                    f"floor's requests: reading and parsing every line before the first is "
                    f"sent, and encoding the requests."
                )
            text += calls_text("port-add") + ack_text()
        elif key == "mem":
            text = f"**{name}**: the highest of the runs was {mb(max(mem_r))}."
        elif key in ("show", "show-small"):
            rc, ic = counts.get((key, "rfou"), []), counts.get((key, "ip"), [])
            text = (
                f"**{name}**: rfou {ms(med(key, 'rfou'))}, ip {ms(med(key, 'ip'))}; rfou listed "
                f"{', '.join(str(c) for c in rc)}, ip {', '.join(str(c) for c in ic)}."
            )
            text += calls_text("show")
            cr, ci = cpu_med("show", "rfou"), cpu_med("show", "ip")
            if cr and ci:
                text += (
                    f" In the timed runs rfou used {cr[0]:.2f} s of CPU in user space and "
                    f"{cr[1]:.2f} s in the kernel, ip {ci[0]:.2f} s and {ci[1]:.2f} s: the "
                    f"difference is mostly rfou's own processing in user space "
                    f"({(cr[0] - ci[0]) * 1000:.0f} ms more), not the kernel's work for its "
                    f"extra requests ({(cr[1] - ci[1]) * 1000:.0f} ms more)."
                )
            top = profiles.get("show")
            if top:
                percent, _, symbol = top[0]
                text += (
                    f" Its profile (below) puts {percent:.0f}% of rfou's samples in "
                    f"`{symbol}`."
                )
        else:
            r, i = med(key, "rfou"), med(key, "ip")
            text = f"**{name}**: rfou {ms(r)}, ip {ms(i)} ({r / i:.2f})."
            if empty_r is not None and empty_i is not None and not key.startswith("single"):
                text += (
                    f" An empty batch (process start, namespace, sockets) costs rfou "
                    f"{ms(empty_r)} and ip {ms(empty_i)}; less that, rfou took "
                    f"{ms(r - empty_r)} against ip's {ms(i - empty_i)}"
                )
                if i - empty_i > 0:
                    text += f" ({(r - empty_r) / (i - empty_i):.2f})"
                text += f", {((r - empty_r) - (i - empty_i)) / n * 1e6:+.0f} µs a line for rfou."
            text += calls_text(key)
        w(text)
        w("")

    # --- system calls -------------------------------------------------------------------------
    if calls:
        w("## Where the time goes")
        w("")
        w(
            "System calls, counted with `strace -f -c` (untimed) on a batch of the first "
            "lines of each file, in a new namespace, on one show of the last run's show "
            "namespace, and on one single command of each kind (single-*, lines 1). Sends and receives: `sendto`/`sendmsg` and `recvfrom`/`recvmsg` calls "
            "(netlink); all: every system call of the process, its start included."
        )
        w("")
        w("| operation | lines | rfou sends | ip sends | rfou receives | ip receives | rfou all | ip all |")
        w("| --- | --- | --- | --- | --- | --- | --- | --- |")
        for op in (
            "port-add", "port-del", "tunnel-add", "encap", "tunnel-del", "show",
            "single-port-add", "single-tunnel-add", "single-encap", "single-tunnel-del",
        ):
            r, i = calls.get((op, "rfou")), calls.get((op, "ip"))
            if not r or not i:
                continue
            w(f"| {op} | {r[0]:,} | {r[1]} | {i[1]} | {r[2]} | {i[2]} | {r[3]} | {i[3]} |")
        w("")
    if cpu_samples:
        w(
            "Wall time against CPU time, medians of the timed runs (CPU: user + system time "
            "of the tool's processes, from bash's `times`). Where the CPU time is much less "
            "than the wall time, the command waits, mostly in the kernel (a VM with 2 vCPUs "
            "runs nothing else meanwhile)."
        )
        w("")
        w("| operation | rfou wall | rfou CPU user + system | ip wall | ip CPU user + system |")
        w("| --- | --- | --- | --- | --- |")
        for op in (
            "port-add", "port-del", "tunnel-add", "encap", "tunnel-del", "show", "empty",
            "singles",
        ):
            cr, ci = cpu_med(op, "rfou"), cpu_med(op, "ip")
            if not cr or not ci:
                continue
            w(
                f"| {op} | {ms(med(op, 'rfou'))} | {ms(cr[0])} + {ms(cr[1])} | "
                f"{ms(med(op, 'ip'))} | {ms(ci[0])} + {ms(ci[1])} |"
            )
        w("")
    if cpus:
        w(
            "CPU time (`/usr/bin/time -v`, user + system seconds) of the runs it wrapped "
            "(untimed ones for show):"
        )
        w("")
        w("| what | rfou user | rfou system | ip user | ip system |")
        w("| --- | --- | --- | --- | --- |")
        for what, label in (
            ("show", f"show of {show_n:,} ports (first run)"),
            ("batch-port-add", f"{show_n:,}-line `add port` batch (rfou: median of the runs; ip: once)"),
        ):
            cr, ci = cpus.get((what, "rfou")), cpus.get((what, "ip"))
            if not cr or not ci:
                continue
            ur = statistics.median(c[0] for c in cr)
            sr = statistics.median(c[1] for c in cr)
            ui = statistics.median(c[0] for c in ci)
            si = statistics.median(c[1] for c in ci)
            w(f"| {label} | {ur:.2f} s | {sr:.2f} s | {ui:.2f} s | {si:.2f} s |")
        w("")

    if profiles:
        w(
            "Where rfou spends its time, by function: `perf record -e cpu-clock` of one rfou "
            "command (untimed), the functions with the most samples (kernel functions "
            "included; at least 2%)."
        )
        w("")
        titles = {
            "port-add": f"`rfou -b` of the {n:,} `add port` lines, new namespace",
            "show": f"`rfou -j show` of {show_n:,} ports",
        }
        for what, rows in profiles.items():
            w(f"{titles.get(what, what)}:")
            w("")
            w("| samples | object | function |")
            w("| --- | --- | --- |")
            for percent, dso, symbol in rows:
                w(f"| {percent:.1f}% | {dso} | `{symbol}` |")
            w("")

    # --- equivalence --------------------------------------------------------------------------
    if states:
        same = all(
            states.get((op, "rfou")) == states.get((op, "ip")) for op in ("tunnel-add", "encap")
        )
        w("## Same result")
        w("")
        if same:
            w(
                "After each batch the counts were checked (ports, tunnels, tunnels with the new "
                "encap port and their remote and local kept). In the first run, tunnel `t0` as "
                "`ip -d link show` prints it was the same, attribute for attribute, after "
                "rfou's batches and after ip's (after the add and after the encap change):"
            )
            w("")
            w("```")
            w(states.get(("encap", "rfou"), "").replace("\\", "\n"))
            w("```")
        else:
            w("Tunnel `t0` as `ip -d link show` prints it differed between the tools:")
            w("")
            w("```")
            for op in ("tunnel-add", "encap"):
                for tool in ("rfou", "ip"):
                    w(f"{op} {tool}: {states.get((op, tool), '')}")
            w("```")
        w("")

    # --- every run ----------------------------------------------------------------------------
    w("## Every run")
    w("")
    w(
        "Each run's times, and the ratio within each run (the two tools measured a few "
        "seconds apart: the ratio is less sensitive to load on the host than the times)."
    )
    w("")
    w("| operation | tool | " + " | ".join(f"run {k + 1}" for k in range(runs)) + " |")
    w("| --- | --- | " + " | ".join("---" for _ in range(runs)) + " |")
    ops = []
    for op, _ in samples:
        if op not in ops:
            ops.append(op)
    for op in ops:
        if op == "floor-pair":
            continue  # in pairs, not runs: the table below
        for tool in ("rfou", "ip", "floor"):
            values = samples.get((op, tool))
            if values:
                w(f"| {op} | {tool} | " + " | ".join(ms(v) for v in values) + " |")
        r, i = samples.get((op, "rfou")), samples.get((op, "ip"))
        if r and i and len(r) == len(i):
            w(f"| {op} | rfou / ip | " + " | ".join(f"{a / b:.2f}" for a, b in zip(r, i)) + " |")
    w("")
    pair_r, pair_f = samples.get(("floor-pair", "rfou")), samples.get(("floor-pair", "floor"))
    if pair_r and pair_f:
        pairs = info.get("pairs", "?")
        w(
            f"rfou's {n:,}-line port-add batch and the floor, side by side: {pairs} pairs a run, "
            "each in namespaces of their own, taking turns at going first."
        )
        w("")
        w("| pair | rfou | floor | rfou ÷ floor | the floor's requests (timed inside it) |")
        w("| --- | --- | --- | --- | --- |")
        kernel = samples.get(("floor-pair", "floor-kernel"), [])
        for k, (a, b) in enumerate(zip(pair_r, pair_f)):
            inside = ms(kernel[k]) if k < len(kernel) else ""
            w(f"| {k + 1} | {ms(a)} | {ms(b)} | {a / b:.2f} | {inside} |")
        w("")

    # --- method -------------------------------------------------------------------------------
    w("## How it is measured")
    w("")
    w(
        "- `bench/bulk` installs what is missing, builds rfou with `scripts/build-release` "
        "(`cargo build --release`, linked statically on Linux with glibc, as rfou ships: see "
        "`scripts/cargo-static`), takes the lock "
        "`/tmp/rfou-bench.lock`, waits for other QEMU processes on the host to end, and runs "
        "`bench/bulk.d/run` once: directly where the kernel has fou, otherwise in one VM "
        "(`scripts/vm-run`, Debian's kernel). Every figure comes from that one boot."
    )
    w(
        "- `/etc` and the binaries on tmpfs: in a private mount namespace, the run mounts a "
        "tmpfs, copies `/etc` into it (in the VM from a tar of the host's `/etc`, so that one "
        "file crosses 9p), copies `rfou` and `ip` into it and runs them from there, and copies "
        "every shared library either loads (`ldd`, the loader included); `/etc` and each "
        "library are bind-mounted over their own paths, and `stat -f` checks that each is on "
        "tmpfs. The nsswitch.conf copy leaves out the `db` source, which is not installed "
        "(glibc would otherwise search the 9p library directories for it in every `ip fou "
        "add` process)."
    )
    w(
        "- Batches: `rfou -n NS -b FILE` against `ip -n NS -batch FILE`, the same operations "
        "line for line: `add port P ipproto 4` / `fou add port P ipproto 4`; `del port P` / "
        "`fou del port P`; `tunnel add tI mode ipip remote R local L encap fou encap-dport "
        "5555` / `link add tI type ipip mode ipip remote R local L encap fou encap-dport "
        "5555`; `tunnel encap dev tI fou encap-dport 6000` / `link set tI type ipip mode ipip "
        "remote R local L encap fou encap-dport 6000` (ip sends all the tunnel's attributes, "
        "so they are given again); `tunnel del tI` / `link del tI`."
    )
    w(
        "- Namespaces: in each run each tool gets namespaces of its own, new for the run: one "
        "where it adds the ports then deletes them, one where it adds the tunnels, changes "
        "their encap, and deletes them, one for its single commands; the show namespaces "
        f"({show_small_n:,} and {show_n:,} ports, ports 20000 and up, no address bound) are "
        "new for each run, each filled by one rfou batch and read by both tools. Namespaces are "
        "kept until the end (deleting one with ports or tunnels in it sets the kernel's "
        "cleanup work going in the background). The tools take turns at going first "
        "(ip first in odd runs)."
    )
    w(
        "- Time: the wall time of the whole command, from bash's `$EPOCHREALTIME` before and "
        "after (no other process in between); the single commands are a loop of that many "
        "processes. Each figure is the median of the runs; every run is listed above. Before "
        "the runs, each tool runs a short batch of each kind once (warm-up, untimed)."
    )
    w(
        "- The pipelined floor (`bench/bulk.d/floor.rs`, built by `rustc -O`, no crates, and "
        "linked as rfou is, so that neither has the dynamic loader's work at its start and the "
        "other not): "
        "the least a tool can do for the N lines. A program that enters the namespace, opens "
        "a generic-netlink socket, resolves the fou family and sends the same N "
        "`FOU_CMD_ADD` requests (the attributes rfou sends) 64 per `sendmsg`, with an ack "
        "asked only on the last of each 64, waiting for that ack before the next 64. It is "
        "timed as the tools are, the whole command with its process start; it also reports "
        "its own time from the first `sendmsg` to the last ack (the requests alone). "
        "rfou's port-add batch and the floor are timed in pairs, a moment apart and each in "
        "a fresh namespace, taking turns at going first, after the runs (their sockets would "
        "slow the show, which walks every UDP socket of the host); the verdict is the median "
        "of the pairs' ratios. Timed a run apart, as they once were, the two saw different load on "
        "the host: in one run the floor's three times were 90, 56 and 88 ms."
    )
    w(
        "- Show: `rfou -j show` against `ip -j fou show` (the same JSON), output to a file on "
        "the tmpfs; the ports listed are counted from it. The run loads `udp_diag` first: "
        "rfou's show loads no module, and finds the ports the kernel's dump drops among the "
        "UDP sockets only where socket diagnostics for UDP are there."
    )
    w(
        "- Memory: the maximum resident set size (`/usr/bin/time -v`) of `rfou -b` on the "
        f"{show_n:,}-line batch that fills the show namespace, in every run; ip's for the same "
        "batch (as `fou add` lines) once."
    )
    if set(only) != {"ports", "tunnels", "singles", "show", "calls"}:
        w(f"- Sections run (`RFOU_BULK_ONLY`): {', '.join(only)}; the others were left out.")
    if notes:
        w("")
        w("Notes from the run:")
        w("")
        for note in notes:
            w(f"- {note}")
    print("\n".join(out))


if __name__ == "__main__":
    main()
