"""The fixed text of docs/bulk.md (bench/bulk.d/report.py writes the rest), and how numbers
are written in it."""

TCG_NOTE = (
    "**Emulated VM: compare ratios.** The host has no KVM, so the kernel runs under QEMU's "
    "TCG, which translates every guest instruction: absolute times are many times those of "
    "real hardware, and a tool that spends more of its time in user space (parsing, starting "
    "a process) is slowed down differently from one that spends it in the kernel. What "
    "carries over is the ratio of the two tools, measured side by side in the same boot. "
    "Starting a process weighs more than on hardware: QEMU translates the code a process "
    "runs, again in every process, so the less code a command runs the faster it starts "
    "here, and a static binary, which skips the dynamic loader, starts faster still (the "
    "second table compares rfou linked as ip is)."
)

METHOD = [
    "`bench/bulk` installs what is missing, builds rfou with `scripts/build-release` "
    "(`cargo build --release`, linked statically on Linux with glibc, as rfou ships: see "
    "`scripts/cargo-static`) and again with plain `cargo build --release` (linked "
    "dynamically, as Debian's ip is), takes the lock `/tmp/rfou-bench.lock` (one benchmark "
    "at a time), and runs `bench/bulk.d/run` in one VM (`scripts/vm-run`, Debian's kernel), "
    "or directly where the kernel has fou. Every figure comes from that one boot. The host's "
    "load average is sampled every 5 s meanwhile.",
    "`/etc` and the binaries on tmpfs: in a private mount namespace, the run mounts a tmpfs, "
    "copies `/etc` into it (in the VM from a tar of the host's `/etc`), copies the tools into "
    "it and runs them from there, and copies every shared library they load (`ldd`, the "
    "loader included); `/etc` and each library are bind-mounted over their own paths, and "
    "`stat -f` checks that each is on tmpfs. The nsswitch.conf copy leaves out the `db` "
    "source where it is not installed (glibc would otherwise search the 9p library "
    "directories for it in every `ip fou add` process).",
    "Batches: `rfou -n NS -b FILE` against `ip -n NS -batch FILE`, each tool's lines as its "
    "users write them for the same result: `add port P ipproto 4` / `fou add port P ipproto "
    "4`; `del port P` / `fou del port P`; `tunnel add tI mode ipip remote R local L encap fou "
    "encap-dport 5555` / `link add tI type ipip remote R local L encap fou encap-dport 5555` "
    "(both an ipip tunnel that carries any inner protocol); `tunnel encap dev tI fou "
    "encap-dport 6000` / `link set tI type ipip remote R local L encap fou encap-dport 6000` "
    "(ip sends all the tunnel's attributes, so they are given again); `tunnel del tI` / "
    "`link del tI`. After each batch the ports and tunnels are counted, and the tunnels "
    "every tool made and changed are compared (see Same result).",
    "Rounds: {runs}. In each round each tool gets namespaces of its own, new for the round: "
    "one where it adds the ports then deletes them, one where it adds the tunnels, changes "
    "their encap, and deletes them, one for its single commands; the show namespaces "
    "({small} and {show} ports, no address bound) are new for each round, each filled by one "
    "rfou batch and read by every tool. Namespaces are kept until the end (deleting one "
    "with ports or tunnels in it sets the kernel's cleanup going in the background). The "
    "tools take turns at going first, one further along each round.",
    "Time: the wall time of the whole command, from bash's `$EPOCHREALTIME` before and "
    "after (no other process in between); the single commands are a loop of that many "
    "processes. Before the rounds, each tool runs a short batch of each kind once (warm-up, "
    "untimed).",
    "The pipelined floor (`bench/bulk.d/floor.rs`, built by `rustc -O`, no crates, linked as "
    "rfou ships): the least a tool can do for the N port adds. It enters the namespace, opens "
    "a generic-netlink socket, resolves the fou family and sends the same N `FOU_CMD_ADD` "
    "requests (the attributes rfou sends) 64 per `sendmsg`, an ack asked only on the last of "
    "each 64, waiting for it before the next 64. It is timed as the tools are, its process "
    "start included, and reports its own time from the first `sendmsg` to the last ack. "
    "rfou's port-add batch and the floor are timed in pairs, {pairs} a round, a moment apart "
    "and each in a fresh namespace, taking turns at going first, after the rounds (their "
    "sockets would slow the show, which walks every UDP socket of the host).",
    "Show: `rfou -j show` against `ip -j fou show` (the same JSON), output to a file on the "
    "tmpfs; the ports listed are counted from it. The run loads `udp_diag` first: rfou's "
    "show loads no module, and finds the ports the kernel's dump drops among the UDP "
    "sockets only where socket diagnostics for UDP are there.",
    "Memory: the maximum resident set size (`/usr/bin/time -v`) of `rfou -b` on the "
    "{show}-line batch that fills the show namespace, in every round; ip's for the same "
    "batch (as `fou add` lines) once.",
]


def ms(seconds):
    if seconds is None:
        return ""
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
