#!/usr/bin/env python3
"""The Python peer of cancel-lab's latency table.

Measures, on one asyncio event loop, what the Rust lab measures for every
strategy x runtime, and, in the same run, the floors of the same situations
on the same loop, so each figure is read against a floor of its own:

- cancel_to_stopped: Task.cancel() -> the task's `finally` ran
  (timestamped inside the `finally`, as the Rust work stamps its Drop);
  its floor, asyncio_wake_stop: the task's future resolved instead
  (set_result, whose waiter the loop runs through call_soon) -> the same
  `finally` ran;
- cancel_to_confirmed: Task.cancel() -> `await task` raised CancelledError
  in the canceller; its floor, asyncio_wake_join: the same resolved future
  -> `await task` returned;
- timeout_overshoot: the deadline -> asyncio.timeout() (and, as a second
  row, asyncio.wait_for()) raised TimeoutError, for a 100 us deadline (the
  Rust lab's too); its floor, asyncio_sleep: asyncio.sleep() to the same
  deadline, with no work, returned.

Each cancel sample is taken with the task already parked (it has started
awaiting a future that never completes) and 200 us after that, as in the
Rust scenarios. Every figure and floor is sampled in --rounds interleaved
rounds, and within a round sample by sample beside its floor (the floor's
sample first on every other turn), so both see the same machine. Prints
one JSON object on stdout:
{"python": "3.11.7", "rounds": 5,
 "floors": [{"name": ..., "situation": ..., "rounds_ns": [[...], ...]}],
 "rows": [{"metric": ..., "runtime": ..., "floor": ..., "rounds_ns": [[...], ...]}]}

Usage: asyncio_cancel.py [--samples N] [--timeout-samples M] [--rounds K]
(N and M from 1 to 100000, default 1000 and 500; K from 1 to 50, default 5)
"""

import argparse
import asyncio
import json
import platform
import sys
import time

SETTLE_S = 200e-6
DEADLINE_S = 100e-6

SITUATIONS = {
    "asyncio_wake_stop": "a task parked on a future, on the canceller's own loop: "
    "the future resolved (set_result; the loop wakes the task through call_soon) "
    "-> the task's finally ran",
    "asyncio_wake_join": "the same wakes -> the canceller's await of the task returned",
    "asyncio_sleep": "asyncio.sleep() to the 100 us deadline on the same loop, "
    "no work: deadline -> the sleep returned",
}


def spin(seconds):
    """Busy-waits, keeping the thread awake, as the Rust scenarios do."""
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


async def parked_stop(cancel):
    """One stop of a parked task, cancelled or its future resolved: how long
    until its finally ran, and until the canceller's await returned."""
    loop = asyncio.get_running_loop()
    parked = asyncio.Event()
    stamp = []
    waited = loop.create_future()

    async def work():
        try:
            parked.set()
            await waited
        finally:
            stamp.append(time.perf_counter_ns())

    task = asyncio.create_task(work())
    await parked.wait()
    # One more turn of the loop so the task is suspended on its future.
    await asyncio.sleep(0)
    spin(SETTLE_S)
    t0 = time.perf_counter_ns()
    if cancel:
        task.cancel()
    else:
        waited.set_result(None)
    try:
        await task
    except asyncio.CancelledError:
        pass
    t1 = time.perf_counter_ns()
    assert task.cancelled() == cancel, "the task ended as asked"
    assert stamp, "the task's finally ran before the await returned"
    return stamp[0] - t0, t1 - t0


async def forever():
    await asyncio.get_running_loop().create_future()


def late(deadline):
    return max(0, time.perf_counter_ns() - deadline)


def deadline_ns():
    return time.perf_counter_ns() + int(DEADLINE_S * 1e9)


async def overshoot_timeout():
    deadline = deadline_ns()
    try:
        async with asyncio.timeout(DEADLINE_S):
            await forever()
    except TimeoutError:
        pass
    return late(deadline)


async def overshoot_wait_for():
    deadline = deadline_ns()
    try:
        await asyncio.wait_for(forever(), DEADLINE_S)
    except TimeoutError:
        pass
    return late(deadline)


async def overshoot_sleep():
    deadline = deadline_ns()
    await asyncio.sleep(DEADLINE_S)
    return late(deadline)


async def main(samples, timeout_samples, rounds):
    per_round = -(-samples // rounds)
    timeouts_per_round = -(-timeout_samples // rounds)
    names = ["asyncio_wake_stop", "asyncio_wake_join", "asyncio_sleep",
             "cancel_to_stopped", "cancel_to_confirmed",
             "asyncio.timeout", "asyncio.wait_for"]
    series = {name: [[] for _ in range(rounds)] for name in names}
    timeouts = [("asyncio.wait_for", overshoot_wait_for)]
    if sys.version_info >= (3, 11):
        timeouts.insert(0, ("asyncio.timeout", overshoot_timeout))
    for r in range(rounds):
        for i in range(per_round):
            # The floor's sample first on every other turn.
            for cancel in (False, True) if i % 2 == 0 else (True, False):
                stopped, confirmed = await parked_stop(cancel)
                stop, join = (("cancel_to_stopped", "cancel_to_confirmed") if cancel
                              else ("asyncio_wake_stop", "asyncio_wake_join"))
                series[stop][r].append(stopped)
                series[join][r].append(confirmed)
        for i in range(timeouts_per_round):
            # Each timeout beside a sleep, the sleep first on every other turn.
            for name, measure in timeouts:
                pair = [("asyncio_sleep", overshoot_sleep), (name, measure)]
                for which, take in pair if i % 2 == 0 else reversed(pair):
                    series[which][r].append(await take())
    floors = [
        {"name": name, "situation": SITUATIONS[name], "rounds_ns": series[name]}
        for name in ["asyncio_wake_stop", "asyncio_wake_join", "asyncio_sleep"]
    ]
    rows = [
        {"metric": "cancel_to_stopped", "runtime": "asyncio",
         "floor": "asyncio_wake_stop", "rounds_ns": series["cancel_to_stopped"]},
        {"metric": "cancel_to_confirmed", "runtime": "asyncio",
         "floor": "asyncio_wake_join", "rounds_ns": series["cancel_to_confirmed"]},
    ]
    for name, _ in timeouts:
        rows.append({"metric": "timeout_overshoot", "runtime": name,
                     "floor": "asyncio_sleep", "rounds_ns": series[name]})
    return floors, rows


def bounded(low, high):
    def parse(text):
        try:
            n = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number")
        if not low <= n <= high:
            raise argparse.ArgumentTypeError(f"{n} is out of range: {low} to {high}")
        return n
    return parse


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=bounded(1, 100_000), default=1000)
    parser.add_argument("--timeout-samples", type=bounded(1, 100_000), default=500)
    parser.add_argument("--rounds", type=bounded(1, 50), default=5)
    args = parser.parse_args()
    floors, rows = asyncio.run(main(args.samples, args.timeout_samples, args.rounds))
    json.dump({"python": platform.python_version(), "rounds": args.rounds,
               "floors": floors, "rows": rows}, sys.stdout)
    sys.stdout.write("\n")
