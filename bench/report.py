"""Figures: a measured value beside its ceiling, the ratio and the goal."""
import json
import platform
import subprocess
from dataclasses import asdict, dataclass, field


@dataclass
class Figure:
    scenario: str
    name: str
    value: float
    unit: str
    ceiling_name: str = ""
    ceiling: float | None = None
    goal: str = ""              # e.g. ">= 0.15" (ratio) or "<= 150 MB" or "== 0"
    ratio: float | None = None
    met: bool | None = None
    notes: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.ceiling and self.ratio is None:
            self.ratio = self.value / self.ceiling
        if self.met is None and self.goal:
            self.met = check_goal(self.goal, self.ratio if self.ratio is not None
                                  else self.value)


def check_goal(goal, value):
    op, _, bound = goal.partition(" ")
    bound = float(bound.split()[0])
    return {">=": value >= bound, "<=": value <= bound, "==": value == bound,
            "<": value < bound, ">": value > bound}[op]


def table(figures):
    rows = [("scenario", "figure", "value", "ceiling", "ratio", "goal", "met")]
    for f in figures:
        ceiling = f"{f.ceiling:,.1f} ({f.ceiling_name})" if f.ceiling else ""
        ratio = f"{f.ratio:.3f}" if f.ratio is not None else ""
        met = {True: "yes", False: "NO", None: ""}[f.met]
        rows.append((f.scenario, f.name, f"{f.value:,.2f} {f.unit}", ceiling, ratio, f.goal,
                     met))
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(str(c).ljust(w) for c, w in zip(r, widths)) for r in rows)


def markdown(figures):
    lines = ["| scenario | figure | value | ceiling | ratio | goal | met |",
             "|---|---|---|---|---|---|---|"]
    for f in figures:
        ceiling = f"{f.ceiling:,.1f} {f.ceiling_name}" if f.ceiling else ""
        ratio = f"{f.ratio:.3f}" if f.ratio is not None else ""
        met = {True: "yes", False: "**no**", None: ""}[f.met]
        lines.append(f"| {f.scenario} | {f.name} | {f.value:,.2f} {f.unit} | {ceiling} | "
                     f"{ratio} | {f.goal} | {met} |")
    return "\n".join(lines)


def machine():
    def run(*cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True).stdout.strip()
        except OSError:
            return ""
    cpu = ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = next(int(line.split()[1]) for line in open("/proc/meminfo")
                      if line.startswith("MemTotal"))
    except (OSError, StopIteration):
        mem_kb = 0
    return {"nproc": run("nproc"), "cpu": cpu, "ram_gb": round(mem_kb / 1024 / 1024, 1),
            "python": platform.python_version(), "kernel": platform.release(),
            "postgres": run("/usr/lib/postgresql/15/bin/postgres", "--version"),
            "redis": run("redis-server", "--version"), "loadavg": open("/proc/loadavg").read().strip()}


def dump(figures, path, meta):
    with open(path, "w") as out:
        json.dump({"meta": meta, "figures": [asdict(f) for f in figures]}, out, indent=1,
                  ensure_ascii=False, default=str)


def markdown_report(figures, meta):
    """The generated part of bench/RESULTS.md: machine, command, table, per-figure notes
    (load summaries, database ceilings, the profile excerpts)."""
    m = meta["machine"]
    lines = [f"Run {meta['date']}, size `{meta['size']}`, {meta.get('workers')} gunicorn "
             f"workers, load concurrency {meta['concurrency']}, {meta.get('seconds')} s.",
             "", f"Machine: {m['nproc']} CPUs ({m['cpu']}), {m['ram_gb']} GB RAM, "
             f"Python {m['python']}, {m['postgres']}, {m['redis']}, kernel {m['kernel']}; "
             f"load average at the start: {m['loadavg']}.", "",
             f"Command: `{meta['command']}`", "", markdown(figures), ""]
    if meta.get("skipped"):
        lines += ["Skipped: " + "; ".join(f"{k} ({v})" for k, v in meta["skipped"].items()),
                  ""]
    lines.append("### Details")
    for f in figures:
        notes = {k: v for k, v in f.notes.items() if k != "profile"}
        lines += ["", f"**{f.scenario}, {f.name}**: `{json.dumps(notes, ensure_ascii=False, default=str)}`"]
        if f.notes.get("profile"):
            lines += ["", "```", f.notes["profile"], "```"]
    return "\n".join(lines) + "\n"
