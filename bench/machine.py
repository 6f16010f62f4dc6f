"""What the numbers were measured on (printed with every run, copied into BENCHMARKS.md)."""

from __future__ import annotations

import os
import platform
import time
from pathlib import Path


def _cpuinfo_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def describe() -> str:
    return (
        f"{os.cpu_count()} cores ({_cpuinfo_model()}), {_memory()} RAM, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
    )


def busy_seconds() -> float:
    """CPU seconds all cores have spent busy since boot (all but idle and iowait)."""
    try:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return float("nan")
    return (sum(values) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")


class OtherLoad:
    """How much CPU the rest of the machine used while the benchmark ran.

    Busy time of all CPUs (/proc/stat) minus this process's and its reaped children's
    (the servers, once stopped). Figures taken while other work competed for the
    cores understate the product; the run says so instead of hiding it.
    """

    def __init__(self) -> None:
        self._start = self._sample()

    @staticmethod
    def _sample() -> tuple[float, float, float]:
        own = os.times()
        return busy_seconds(), own.user + own.system + own.children_user + own.children_system, time.monotonic()

    def cores_used(self) -> float:
        """Average number of cores busy with other processes since this object was made."""
        busy, own, now = self._sample()
        start_busy, start_own, start_time = self._start
        return max(0.0, (busy - start_busy) - (own - start_own)) / max(1e-9, now - start_time)
