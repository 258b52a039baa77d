#!/usr/bin/env python3
"""The Python peer of cancel-lab's latency table.

Measures, on one asyncio event loop, what the Rust lab measures for every
strategy x runtime, so the two can be read side by side:

- cancel_to_stopped: Task.cancel() -> the task's `finally` ran
  (timestamped inside the `finally`, as the Rust work stamps its Drop);
- cancel_to_confirmed: Task.cancel() -> `await task` raised CancelledError
  in the canceller;
- timeout_overshoot: the deadline -> asyncio.timeout() (and, as a second
  row, asyncio.wait_for()) raised TimeoutError, for a 100 us deadline (the Rust lab's too).

Each sample is taken with the task already parked (it has started awaiting
a future that never completes) and 200 us after that, as in the Rust
scenarios. Prints one JSON object on stdout:
{"python": "3.11.7", "rows": [{"metric": ..., "runtime": ..., "samples_ns": [...]}]}

Usage: asyncio_cancel.py [--samples N]   (N from 1 to 100000, default 1000)
"""

import argparse
import asyncio
import json
import platform
import sys
import time

SETTLE_S = 200e-6
DEADLINE_S = 100e-6


def spin(seconds):
    """Busy-waits, keeping the thread awake, as the Rust scenarios do."""
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


async def cancel_samples(n):
    stopped, confirmed = [], []
    for _ in range(n):
        parked = asyncio.Event()
        stamp = []

        async def work():
            try:
                parked.set()
                await asyncio.get_running_loop().create_future()
            finally:
                stamp.append(time.perf_counter_ns())

        task = asyncio.create_task(work())
        await parked.wait()
        # One more turn of the loop so the task is suspended on its future.
        await asyncio.sleep(0)
        spin(SETTLE_S)
        t0 = time.perf_counter_ns()
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
        t1 = time.perf_counter_ns()
        assert task.cancelled(), "the task was cancelled"
        assert stamp, "the task's finally ran before the cancel was confirmed"
        stopped.append(stamp[0] - t0)
        confirmed.append(t1 - t0)
    return stopped, confirmed


async def forever():
    await asyncio.get_running_loop().create_future()


async def overshoot_timeout(n):
    out = []
    for _ in range(n):
        deadline = time.perf_counter_ns() + int(DEADLINE_S * 1e9)
        try:
            async with asyncio.timeout(DEADLINE_S):
                await forever()
        except TimeoutError:
            pass
        out.append(max(0, time.perf_counter_ns() - deadline))
    return out


async def overshoot_wait_for(n):
    out = []
    for _ in range(n):
        deadline = time.perf_counter_ns() + int(DEADLINE_S * 1e9)
        try:
            await asyncio.wait_for(forever(), DEADLINE_S)
        except TimeoutError:
            pass
        out.append(max(0, time.perf_counter_ns() - deadline))
    return out


async def main(n):
    stopped, confirmed = await cancel_samples(n)
    rows = [
        {"metric": "cancel_to_stopped", "runtime": "asyncio", "samples_ns": stopped},
        {"metric": "cancel_to_confirmed", "runtime": "asyncio", "samples_ns": confirmed},
    ]
    if sys.version_info >= (3, 11):
        rows.append({
            "metric": "timeout_overshoot",
            "runtime": "asyncio.timeout",
            "samples_ns": await overshoot_timeout(n),
        })
    rows.append({
        "metric": "timeout_overshoot",
        "runtime": "asyncio.wait_for",
        "samples_ns": await overshoot_wait_for(n),
    })
    return rows


def samples_arg(text):
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number")
    if not 1 <= n <= 100_000:
        raise argparse.ArgumentTypeError(f"{n} is out of range: 1 to 100000")
    return n


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=samples_arg, default=1000)
    args = parser.parse_args()
    rows = asyncio.run(main(args.samples))
    json.dump({"python": platform.python_version(), "rows": rows}, sys.stdout)
    sys.stdout.write("\n")
