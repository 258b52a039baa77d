"""asyncio.timeout(), the context manager, as the Python chapter maps it.

- When the deadline passes, the task is cancelled at its current await:
  the code inside the block sees CancelledError, its cleanup (even one that
  awaits) runs, and the block's exit turns the cancel into TimeoutError.
  Nothing after the interrupted await in the block runs, and expired() then
  says the deadline did it.
- The deadline can be moved while the block runs: reschedule() gives the
  work more time, and the block then ends without an error.

Exits non-zero if any of that is not what Python does.
"""

import asyncio


async def main() -> None:
    seen = []

    try:
        async with asyncio.timeout(0.01) as deadline:
            try:
                await asyncio.sleep(60)
                seen.append("after the sleep")  # never reached
            except asyncio.CancelledError:
                seen.append("CancelledError inside")
                await asyncio.sleep(0.01)  # cleanup that awaits
                seen.append("cleanup done")
                raise
    except TimeoutError:
        seen.append("TimeoutError outside")
    print(f"asyncio.timeout: {seen}; expired() {deadline.expired()}")
    assert seen == ["CancelledError inside", "cleanup done", "TimeoutError outside"]
    assert deadline.expired()

    loop = asyncio.get_running_loop()
    async with asyncio.timeout(0.01) as deadline:
        deadline.reschedule(loop.time() + 5)  # more time, while the block runs
        await asyncio.sleep(0.05)  # longer than the first deadline
    print(f"rescheduled: ended without an error; expired() {deadline.expired()}")
    assert not deadline.expired()


asyncio.run(main())
