"""Executor.shutdown(cancel_futures=True), as the Python chapter maps it.

- It cancels the calls still queued (they never run) and leaves the
  running call alone: it runs to its end, and its result is kept.

Exits non-zero if any of that is not what Python does.
"""

import threading
from concurrent.futures import ThreadPoolExecutor

started = threading.Event()
release = threading.Event()
ran = []


def work(i: int) -> int:
    if i == 0:
        started.set()
        release.wait(timeout=5)  # the running call, held until released
    ran.append(i)
    return i


pool = ThreadPoolExecutor(max_workers=1)
calls = [pool.submit(work, i) for i in range(4)]  # one runs, three queue
assert started.wait(timeout=5)
pool.shutdown(wait=False, cancel_futures=True)
release.set()
pool.shutdown(wait=True)  # joins the worker
print(f"cancelled: {[c.cancelled() for c in calls]}; calls that ran: {ran}")
assert [c.cancelled() for c in calls] == [False, True, True, True]
assert calls[0].result() == 0 and ran == [0]
