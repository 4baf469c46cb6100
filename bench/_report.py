"""One machine-readable line per headline figure, collected by bench/run_all."""
from __future__ import annotations


def report(metric: str, value: str, target: str, ok: bool | None) -> None:
    """Print ``BENCH<TAB>metric<TAB>value<TAB>target<TAB>met`` (met: yes/no/-)."""
    met = "-" if ok is None else ("yes" if ok else "no")
    print(f"BENCH\t{metric}\t{value}\t{target}\t{met}", flush=True)
