"""Drains N no-op pgqueuer jobs on a PostgreSQL database and prints one JSON line with the rate.

Used by scripts/bench-peers, right after `nianjian bench throughput` on the same server: the side-by-side a
user asks for. The database is created and dropped by the caller; this installs pgqueuer's tables in it.
"""
import asyncio, json, sys, time
from datetime import timedelta

import asyncpg
from pgqueuer import AsyncpgDriver, QueueManager, Queries
from pgqueuer.types import QueueExecutionMode


async def main(dsn: str, jobs: int, batch: int) -> None:
    connection = await asyncpg.connect(dsn)
    queries = Queries(AsyncpgDriver(connection))
    await queries.install()
    # Enqueued in chunks before the clock starts: only the draining is timed.
    for start in range(0, jobs, 10_000):
        size = min(10_000, jobs - start)
        await queries.enqueue(["noop"] * size, [None] * size, [0] * size)
    done = 0
    manager = QueueManager(queries)

    @manager.entrypoint("noop")
    async def noop(job) -> None:
        nonlocal done
        done += 1

    started = time.perf_counter()
    await manager.run(batch_size=batch, mode=QueueExecutionMode.drain, dequeue_timeout=timedelta(seconds=1))
    seconds = time.perf_counter() - started
    await connection.close()
    print(json.dumps({"peer": "pgqueuer", "jobs": done, "seconds": seconds, "per_second": done / seconds}))
    if done != jobs:
        sys.exit(f"pgqueuer drained {done} of {jobs} jobs")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 100))
