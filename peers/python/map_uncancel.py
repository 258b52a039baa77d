"""Swallowing CancelledError, as the Python chapter maps it (3.11 and later).

- A task that catches CancelledError and carries on has not withdrawn the
  request: cancelling() still counts it until the task calls uncancel().
- While that count is up, asyncio.timeout() reads its own expiry as a
  cancel from outside: the block ends in CancelledError, not TimeoutError.
  With uncancel() in the handler, the same timeout raises TimeoutError.
- A TaskGroup child that swallows the group's cancel is not stopped: the
  group waits for it to run to its end.

Exits non-zero if any of that is not what Python does.
"""

import asyncio


async def swallows_then_times_out(uncancel: bool) -> str:
    me = asyncio.current_task()
    try:
        async with asyncio.timeout(0.05):
            try:
                await asyncio.sleep(0.02)  # cancelled from outside while here
            except asyncio.CancelledError:
                if uncancel:
                    me.uncancel()  # withdraws the request, not just the exception
            print(f"  swallowed the cancel; cancelling() is now {me.cancelling()}")
            await asyncio.sleep(1)  # the timeout expires here
    except TimeoutError:
        return "TimeoutError"
    except asyncio.CancelledError:
        return "CancelledError"
    return "no error"


async def main() -> None:
    results = {}
    for uncancel in (False, True):
        task = asyncio.create_task(swallows_then_times_out(uncancel))
        await asyncio.sleep(0)
        task.cancel()
        results[uncancel] = await task
        print(f"uncancel() called: {uncancel}; the timeout ended in {results[uncancel]}")
    assert results[False] == "CancelledError"  # the timeout is broken
    assert results[True] == "TimeoutError"

    ended = []

    async def stubborn() -> None:
        try:
            await asyncio.sleep(0.2)
        except asyncio.CancelledError:
            pass  # swallows the group's cancel
        await asyncio.sleep(0.2)
        ended.append("stubborn ran on")

    async def fails() -> None:
        await asyncio.sleep(0.01)
        raise ValueError("boom")

    loop = asyncio.get_running_loop()
    start = loop.time()
    try:
        async with asyncio.TaskGroup() as group:
            group.create_task(stubborn())
            group.create_task(fails())
    except* ValueError:
        pass
    waited = loop.time() - start
    print(f"TaskGroup with a child that swallows its cancel: {ended}, exited after {waited:.2f} s")
    assert ended == ["stubborn ran on"] and waited >= 0.2


asyncio.run(main())
