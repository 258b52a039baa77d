"""Myth: "concurrent.futures Future.cancel() stops a running thread."

cancel() only cancels a call that has not started yet. On a call that is
running it returns False and the call runs on to its end; on a queued one it
returns True, and that is a guarantee: the call never runs.

Exits non-zero if any of that is not what Python does.
"""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

started = threading.Event()
calls = []


def work() -> str:
    calls.append(1)
    started.set()
    time.sleep(0.5)
    return "ran to its end"


with ThreadPoolExecutor(max_workers=1) as pool:
    running = pool.submit(work)
    queued = pool.submit(work)  # one worker: this one waits its turn
    assert started.wait(timeout=5)

    cancelled_running = running.cancel()
    cancelled_queued = queued.cancel()
    print(f"cancel() on the running call: {cancelled_running}; on the queued one: {cancelled_queued}")
    assert cancelled_running is False and running.running()
    assert running.result(timeout=5) == "ran to its end"
    assert cancelled_queued is True and queued.cancelled()

# Leaving the `with` waits for the pool: True was a promise, the queued call never ran.
print(f"calls that ran: {len(calls)}")
assert len(calls) == 1

print("settled: Future.cancel() does not stop a running thread")
