"""run_in_executor under wait_for, as the Python chapter maps it.

- wait_for around a call running in a thread pool comes back at its
  deadline with TimeoutError, and the thread runs on: a running call
  cannot be cancelled, so the timeout abandons it, it does not stop it.

Exits non-zero if any of that is not what Python does.
"""

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor


async def main() -> None:
    loop = asyncio.get_running_loop()
    started = threading.Event()
    release = threading.Event()
    finished = threading.Event()

    def blocking() -> str:
        started.set()
        release.wait(timeout=5)  # a blocking call that ends when released
        finished.set()
        return "done"

    with ThreadPoolExecutor(max_workers=1) as pool:
        call = loop.run_in_executor(pool, blocking)
        for _ in range(5000):  # until the call runs (a queued one could still be cancelled)
            if started.is_set():
                break
            await asyncio.sleep(0.001)
        try:
            await asyncio.wait_for(call, timeout=0.02)
            timed_out = False
        except TimeoutError:
            timed_out = True
        print(f"wait_for(run_in_executor): timed out {timed_out}; the call had finished {finished.is_set()}")
        assert timed_out and not finished.is_set()
        release.set()
        assert finished.wait(timeout=5)  # the thread ran on to its end
    print(f"after the timeout, the thread ran on: finished {finished.is_set()}")


asyncio.run(main())
