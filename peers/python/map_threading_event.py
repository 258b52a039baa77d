"""A threading.Event as a stop flag, as the Python chapter maps it.

- The worker checks the flag between steps; set() asks, join() confirms.
- Event.wait(timeout) is a sleep that a set() cuts short.
- time.sleep() is not: a worker in it stops only when the sleep ends.

Exits non-zero if any of that is not what Python does.
"""

import threading
import time

stop = threading.Event()
steps = []


def worker() -> None:
    while not stop.is_set():
        steps.append(1)
        stop.wait(0.001)  # one step, then a sleep that set() cuts short


thread = threading.Thread(target=worker)
thread.start()
time.sleep(0.02)
stop.set()  # asks
thread.join(timeout=5)  # confirms
print(f"the worker stopped after {len(steps)} steps; alive after join: {thread.is_alive()}")
assert not thread.is_alive() and steps

stop = threading.Event()
thread = threading.Thread(target=lambda: stop.wait(60))
thread.start()
start = time.monotonic()
stop.set()
thread.join(timeout=5)
print(f"a worker in stop.wait(60) stopped {time.monotonic() - start:.3f} s after set()")
assert not thread.is_alive()

stop = threading.Event()
thread = threading.Thread(target=lambda: time.sleep(0.2))
start = time.monotonic()
thread.start()
stop.set()  # nobody is looking
thread.join(timeout=5)
took = time.monotonic() - start
print(f"a worker in time.sleep(0.2) ended {took:.3f} s after start, set() or not")
assert took >= 0.2
