"""Myth: "asyncio.shield() makes a task uncancellable."

What shield() does: it protects the inner task from a cancel of whoever
awaits it. The awaiter is still cancelled (or timed out) at once, and the
inner task runs on, detached. The inner task itself can be cancelled like
any other.

Exits non-zero if any of that is not what Python does.
"""

import asyncio


async def main() -> None:
    async def work() -> int:
        await asyncio.sleep(0.5)
        return 42

    # 1. A timeout around shield(): the awaiter gives up at once...
    inner = asyncio.create_task(work())
    try:
        await asyncio.wait_for(asyncio.shield(inner), timeout=0.01)
        timed_out = False
    except TimeoutError:
        timed_out = True
    print(f"the awaiter timed out: {timed_out}; the inner task was done then: {inner.done()}")
    assert timed_out and not inner.done()
    # ...and the inner task runs on to its end, with nobody waiting for it.
    assert await inner == 42

    # 2. The shielded task itself is as cancellable as any task.
    inner = asyncio.create_task(work())
    shielded = asyncio.shield(inner)
    await asyncio.sleep(0)
    inner.cancel()
    try:
        await shielded
        awaiter_cancelled = False
    except asyncio.CancelledError:
        awaiter_cancelled = True
    print(f"inner.cancel(): inner cancelled {inner.cancelled()}, awaiter cancelled {awaiter_cancelled}")
    assert inner.cancelled() and awaiter_cancelled


asyncio.run(main())
print("settled: shield() does not make a task uncancellable")
