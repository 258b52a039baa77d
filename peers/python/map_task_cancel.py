"""Task.cancel() and CancelledError handlers, as the Python chapter maps them.

- cancel() only asks: it returns before the task has stopped; awaiting the
  task is what confirms the stop, after its cleanup (which may await).
- A handler that swallows CancelledError and returns keeps the task from
  being cancelled: cancel() is a request.

Exits non-zero if any of that is not what Python does.
"""

import asyncio


async def main() -> None:
    cleaned_up = []

    async def work() -> None:
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            await asyncio.sleep(0.01)  # cleanup that awaits
            cleaned_up.append(True)
            raise

    task = asyncio.create_task(work())
    await asyncio.sleep(0)
    asked = task.cancel()
    print(f"cancel() returned {asked}; the task was done then: {task.done()}")
    assert asked and not task.done() and not cleaned_up
    try:
        await task
    except asyncio.CancelledError:
        pass
    print(f"after awaiting it: cancelled {task.cancelled()}, cleanup finished {cleaned_up == [True]}")
    assert task.cancelled() and cleaned_up == [True]

    async def deaf() -> str:
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            pass  # swallows the cancel
        return "ran on"

    task = asyncio.create_task(deaf())
    await asyncio.sleep(0)
    task.cancel()
    result = await task
    print(f"a task that swallows the cancel returned {result!r}, cancelled: {task.cancelled()}")
    assert result == "ran on" and not task.cancelled()


asyncio.run(main())
