#!/usr/bin/env python3
"""pickle_anchor.py: what a Python user does today, on brine's workloads.

Times pickle (protocol 5), json and marshal loads/dumps on the corpus JSON
files (loaded with json.load) and on the model-like workload, generated
exactly as bench/model.c generates it, with the same adaptive repetition as
the C benchmark, so docs/performance.md can put brine next to Python.
System python3 and the standard library only.
"""
import argparse
import datetime
import gc
import json
import marshal
import os
import pickle
import platform
import sys
import time
import tracemalloc

# The same shape and sizes as bench/bench.h.
MODEL_LISTS = 8
MODEL_FLOATS = 125000
MODEL_NODES = 100000
MASK = (1 << 64) - 1


class SplitMix64:
    """bench/model.c's generator, with 64-bit wraparound made explicit."""

    def __init__(self, seed):
        self.state = seed

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def unit(self):
        # Exact or correctly rounded at each step, as in C: the same bits.
        return (self.next() >> 11) * 2.0**-53 * 2.0 - 1.0


def make_model():
    model = {
        "name": "brine-bench-model",
        "framework": "gbdt",
        "version": "1.0.3",
        "created": "2025-01-01T00:00:00Z",
    }
    rng = SplitMix64(0x6272696E65)  # "brine"
    for layer in range(MODEL_LISTS):
        model["layer_%d" % layer] = [rng.unit() for _ in range(MODEL_FLOATS)]
    nodes = []
    for i in range(MODEL_NODES):
        # The draws happen in this order in model.c too.
        feature = rng.next() % 256
        threshold = rng.unit()
        value = [rng.unit(), rng.unit(), rng.unit()]
        nodes.append({"feature": feature, "threshold": threshold, "left": 2 * i + 1, "right": 2 * i + 2,
                      "value": value})
    model["nodes"] = nodes
    return model


def compact_json(obj):
    """The bytes brine's json encoder writes: compact, UTF-8."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def time_cell(fn, cfg, max_reps=100000):
    """One warm-up run, then runs until cfg.time in total and at least
    cfg.runs runs; a slow cell needs only as many runs as fit in cfg.budget
    seconds, and at least cfg.least (bench/timing.c's rule). Returns
    (median, min, max, runs) in seconds per run and the last result."""
    t0 = time.perf_counter()
    result = fn()
    warm = time.perf_counter() - t0
    need = cfg.runs
    if warm * need > cfg.budget:
        need = max(cfg.least, int(cfg.budget / warm))
    target_s = cfg.time
    times = []
    total = 0.0
    while len(times) < max_reps and (len(times) < need or total < target_s):
        t0 = time.perf_counter()
        result = fn()
        dt = time.perf_counter() - t0
        times.append(dt)
        total += dt
    times.sort()
    n = len(times)
    median = times[n // 2] if n % 2 else (times[n // 2 - 1] + times[n // 2]) / 2
    return median, times[0], times[-1], n, result


def peak_ratio(loads, data):
    """Peak bytes Python allocates during one loads, over the input size."""
    gc.collect()
    tracemalloc.start()
    obj = loads(data)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    del obj
    return peak / len(data)


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def print_header(cfg):
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    cores = os.cpu_count() or 1
    print("pickle anchor (Python), %s" % datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"))
    print("machine: %s, %d cores online, %s %s %s; load average %.2f at start%s"
          % (cpu_model(), cores, platform.system(), platform.release(), platform.machine(), load,
             " (BUSY: figures are inflated)" if load > 0.5 * cores else ""))
    print("python %s (%s); pickle protocol 5, marshal version %d; gc enabled, as in a program"
          % (platform.python_version(), sys.executable, marshal.version))
    print("each cell: one warm-up run, then runs until %.2f s and at least %d runs (a slow cell: as many as fit"
          % (cfg.time, cfg.runs))
    print("  in %.1f s, at least %d); median / min / max ms per document; MB/s = bytes / median, bytes read (loads)"
          % (cfg.budget, cfg.least))
    print("  or written (dumps);")
    print("  json dumps is compact UTF-8 (what brine writes) and includes the str -> bytes encoding")


def print_row(label, nbytes, stats):
    median, lo, hi, runs = stats[:4]
    print("  %-28s %12s %10.3f %10.3f %10.3f %9.1f %6d"
          % (label, "{:,}".format(nbytes), median * 1e3, lo * 1e3, hi * 1e3, nbytes / median / 1e6, runs))


def run_workload(name, description, obj, json_bytes, cfg):
    print("\n%s: %s" % (name, description))
    print("  %-28s %12s %10s %10s %10s %9s %6s" % ("cell", "bytes", "median ms", "min ms", "max ms", "MB/s", "runs"))
    formats = [
        ("pickle", lambda: pickle.dumps(obj, protocol=5), pickle.loads),
        ("json", lambda: compact_json(obj), json.loads),
        ("marshal", lambda: marshal.dumps(obj), marshal.loads),
    ]
    peaks = []
    for fmt, dumps, loads in formats:
        data = dumps()
        # json loads reads the file as it is, like brine's json decode.
        src = json_bytes if fmt == "json" and json_bytes is not None else data
        stats = time_cell(lambda: loads(src), cfg)
        print_row("%s loads" % fmt, len(src), stats)
        stats = time_cell(dumps, cfg)
        print_row("%s dumps" % fmt, len(stats[4]), stats)
        peaks.append("%s %.2fx" % (fmt, peak_ratio(loads, src)))
        sys.stdout.flush()
    print("  peak memory of one loads / input bytes (tracemalloc): " + ", ".join(peaks))
    sys.stdout.flush()


def run_numpy_arrays(cfg):
    """#20's numpy-heavy pickle: 8 float64 arrays of 10^6 elements pickled
    by numpy at protocol 4 (brine-bench's 'pickle arrays' decodes brine's
    writing of the same shape: numpy's form, the same byte count within a
    few hundred bytes). Skipped without numpy."""
    try:
        import numpy as np
    except ImportError:
        print("\nnumpy arrays: skipped (no numpy in %s)" % sys.executable)
        return
    rng = np.random.default_rng(20)
    arrays = [rng.random(1000000) for _ in range(8)]
    data = pickle.dumps(arrays, protocol=4)
    print("\nnumpy arrays: 8 x 1000000 float64 pickled by numpy %s, protocol 4" % np.__version__)
    print("  %-28s %12s %10s %10s %10s %9s %6s" % ("cell", "bytes", "median ms", "min ms", "max ms", "MB/s", "runs"))
    print_row("pickle loads", len(data), time_cell(lambda: pickle.loads(data), cfg))
    stats = time_cell(lambda: pickle.dumps(arrays, protocol=4), cfg)
    print_row("pickle dumps", len(data), stats)
    sys.stdout.flush()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="*", help="JSON files (default: the corpus)")
    parser.add_argument("--corpus", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                                         "shared", "corpus"))
    parser.add_argument("--time", type=float, default=0.3, help="seconds per cell (default 0.3)")
    parser.add_argument("--runs", type=int, default=15, help="least runs per cell (default 15)")
    parser.add_argument("--quick", action="store_true", help="short cells, for a smoke test")
    parser.add_argument("--no-model", action="store_true", help="skip the generated model workload")
    parser.add_argument("--arrays-only", action="store_true", help="only the numpy arrays workload")
    parser.add_argument("--check-model", metavar="FILE",
                        help="compare the model with brine-bench --dump-model's FILE and exit")
    cfg = parser.parse_args()
    cfg.budget, cfg.least = 1.0, 3
    if cfg.quick:
        cfg.time, cfg.runs, cfg.budget, cfg.least = 0.05, 5, 0.2, 2

    if cfg.check_model:
        with open(cfg.check_model, "rb") as f:
            same = f.read() == compact_json(make_model())
        print("the model workload is %s in C and in Python" % ("the same" if same else "DIFFERENT"))
        return 0 if same else 1

    files = cfg.files
    if not files:
        files = [os.path.join(cfg.corpus, n + ".json") for n in ("twitter", "citm_catalog", "canada")]
        missing = [f for f in files if not os.path.exists(f)]
        for f in missing:
            print("pickle_anchor.py: %s not found, skipped" % f, file=sys.stderr)
        files = [f for f in files if f not in missing]

    start = time.perf_counter()
    print_header(cfg)
    if cfg.arrays_only:
        files, cfg.no_model = [], True
    for path in files:
        with open(path, "rb") as f:
            text = f.read()
        obj = json.loads(text)
        name = os.path.basename(path).split(".")[0]
        run_workload(name, "%s, {:,} bytes of JSON".format(len(text)) % path, obj, text, cfg)
    if not cfg.no_model:
        run_workload("model", "generated in Python: %d lists of %d floats and %d tree-node dicts"
                     % (MODEL_LISTS, MODEL_FLOATS, MODEL_NODES), make_model(), None, cfg)
    run_numpy_arrays(cfg)
    print("\ntotal time %.1f s" % (time.perf_counter() - start))
    return 0


if __name__ == "__main__":
    sys.exit(main())
