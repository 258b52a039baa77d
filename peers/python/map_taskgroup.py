"""TaskGroup and gather, as the Python chapter maps them.

- TaskGroup: when one child fails, the others are cancelled, and the group
  exits only after every child has ended.
- gather: when one child fails, the exception comes back at once and the
  other children are not cancelled: they run on.
- With return_exceptions=True, a failing child does not end the gather
  early: it returns once every child has ended, each child's result, or
  its exception, in its place; a child cancelled on its own comes back as
  a CancelledError in its place, and its siblings run on.
- Cancelling the gather itself cancels every child, whatever
  return_exceptions says.

Exits non-zero if any of that is not what Python does.
"""

import asyncio


async def main() -> None:
    ended = []

    async def sibling(name: str) -> None:
        try:
            await asyncio.sleep(0.5)
            ended.append(f"{name} finished")
        except asyncio.CancelledError:
            ended.append(f"{name} cancelled")
            raise

    async def fails() -> None:
        await asyncio.sleep(0.01)
        raise ValueError("boom")

    try:
        async with asyncio.TaskGroup() as group:
            group.create_task(sibling("a"))
            group.create_task(fails())
    except* ValueError:
        pass
    print(f"TaskGroup, when it exits: {ended}")
    assert ended == ["a cancelled"]

    ended.clear()
    b = asyncio.ensure_future(sibling("b"))
    try:
        await asyncio.gather(b, fails())
    except ValueError:
        pass
    print(f"gather, when it raises: {ended}; sibling done: {b.done()}")
    assert ended == [] and not b.done()
    await b
    print(f"gather, later: {ended}")
    assert ended == ["b finished"]

    ended.clear()
    e = asyncio.ensure_future(sibling("e"))
    f = asyncio.ensure_future(sibling("f"))
    gathered = asyncio.gather(e, fails(), f, return_exceptions=True)
    await asyncio.sleep(0)
    f.cancel()  # one child, not the gather
    results = await gathered  # nothing raised: every outcome in its place
    print(f"gather(return_exceptions=True): {results!r}; children: {sorted(ended)}")
    assert results[0] is None and isinstance(results[1], ValueError)
    assert isinstance(results[2], asyncio.CancelledError)
    assert sorted(ended) == ["e finished", "f cancelled"]

    for return_exceptions in (False, True):
        ended.clear()
        gathered = asyncio.gather(sibling("c"), sibling("d"), return_exceptions=return_exceptions)
        await asyncio.sleep(0)
        gathered.cancel()  # the gather itself, not a child
        try:
            await gathered
            raised = False
        except asyncio.CancelledError:
            raised = True
        print(f"gather(return_exceptions={return_exceptions}) cancelled: {sorted(ended)}, raised {raised}")
        assert sorted(ended) == ["c cancelled", "d cancelled"] and raised


asyncio.run(main())
