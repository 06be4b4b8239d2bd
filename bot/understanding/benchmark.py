"""`make bench`: figures, never assertions — model load time, parse latency, training time, memory."""
from __future__ import annotations

import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time

from bot.understanding.training import ROOT, find_model, model_hash


def _peak_rss_mb(who=resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main(args) -> int:
    from bot.understanding.scoring import load_examples
    from bot.understanding import Understanding

    model = find_model()
    if model is None:
        print("No model: run `make train` first.")
        return 2
    texts = [e.text for e in load_examples()]
    rng = random.Random(7)
    messages = [rng.choice(texts) for _ in range(args.messages)]

    start = time.perf_counter()
    understanding = Understanding(model).load()
    load_seconds = time.perf_counter() - start
    rss_after_load = _peak_rss_mb()

    latencies = []
    for text in messages:                      # one at a time, uncached: the model itself
        t0 = time.perf_counter()
        understanding.submit(text).result()
        latencies.append((time.perf_counter() - t0) * 1000)
    # Many waiting at once (a busy server): they go through the model in batches.
    t0, cpu0 = time.perf_counter(), time.process_time()
    understanding.parse_many(messages)
    batch_seconds, batch_cpu = time.perf_counter() - t0, time.process_time() - cpu0

    print(f"model: {model.name} ({model.stat().st_size / 1e6:.1f} MB)")
    print(f"model load time: {load_seconds:.1f} s (peak RSS after load {rss_after_load:.0f} MB)")
    print(f"in-process parse over {len(messages)} messages: p50 {statistics.median(latencies):.1f} ms, "
          f"p99 {_percentile(latencies, 0.99):.1f} ms, max {max(latencies):.1f} ms")
    print(f"in-process parse of the same {len(messages)} messages all waiting at once (batched): "
          f"{len(messages) / batch_seconds:.0f} messages/s, {batch_cpu / len(messages) * 1000:.1f} ms CPU "
          f"per message")
    print(f"peak RSS of this process: {_peak_rss_mb():.0f} MB")

    if args.no_training:
        return 0
    # Training time, in a scratch model folder so the real model is untouched.
    with tempfile.TemporaryDirectory() as scratch:
        env = {**os.environ, "LINDUNGI_MODEL_DIR": scratch, "RASA_TELEMETRY_ENABLED": "false"}
        t0 = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "bot", "train", "--force"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        train_seconds = time.perf_counter() - t0
    child_rss = _peak_rss_mb(resource.RUSAGE_CHILDREN)
    status = "ok" if done.returncode == 0 else f"failed ({done.returncode})"
    print(f"training time (rasa train nlu, data hash {model_hash()}): {train_seconds:.0f} s, {status}; "
          f"peak RSS of training {child_rss:.0f} MB")
    return 0
