"""Myth: "concurrent.futures Future.cancel() stops a running thread."

cancel() only cancels a call that has not started yet. On a call that is
running it returns False and the call runs on to its end.

Exits non-zero if any of that is not what Python does.
"""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

started = threading.Event()


def work() -> str:
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

print("settled: Future.cancel() does not stop a running thread")
