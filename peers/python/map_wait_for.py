"""asyncio.wait_for / asyncio.timeout, as the Python chapter maps them.

- On timeout, the inner coroutine is cancelled and awaited: its cleanup,
  even one that awaits, has finished when TimeoutError is raised.
- A coroutine that catches the cancel and returns a value wins over the
  timeout: no TimeoutError.
- A timeout cannot interrupt code that does not await: it is raised only
  once a busy loop has ended.

Exits non-zero if any of that is not what Python does.
"""

import asyncio
import time


async def main() -> None:
    cleaned_up = []

    async def work() -> str:
        try:
            await asyncio.sleep(60)
            return "done"
        finally:
            await asyncio.sleep(0.01)  # cleanup that awaits
            cleaned_up.append(True)

    try:
        await asyncio.wait_for(work(), timeout=0.01)
        timed_out = False
    except TimeoutError:
        timed_out = True
    print(f"wait_for timed out: {timed_out}; the cleanup had finished: {cleaned_up == [True]}")
    assert timed_out and cleaned_up == [True]

    try:
        async with asyncio.timeout(0.01):
            await work()
        timed_out = False
    except TimeoutError:
        timed_out = True
    print(f"asyncio.timeout timed out: {timed_out}; the cleanup had finished: {cleaned_up == [True, True]}")
    assert timed_out and cleaned_up == [True, True]

    async def keeps_its_output() -> str:
        try:
            await asyncio.sleep(60)
            return "done"
        except asyncio.CancelledError:
            return "partial result"  # swallows the cancel

    result = await asyncio.wait_for(keeps_its_output(), timeout=0.01)
    print(f"wait_for on work that swallows the cancel returned {result!r}")
    assert result == "partial result"

    async def busy() -> None:
        until = time.monotonic() + 0.1
        while time.monotonic() < until:
            pass  # never awaits
        await asyncio.sleep(60)

    start = time.monotonic()
    try:
        await asyncio.wait_for(busy(), timeout=0.01)
        timed_out = False
    except TimeoutError:
        timed_out = True
    took = time.monotonic() - start
    print(f"a 10 ms timeout on a 100 ms busy loop: timed out {timed_out}, after {took * 1000:.0f} ms")
    assert timed_out and took >= 0.1


asyncio.run(main())
