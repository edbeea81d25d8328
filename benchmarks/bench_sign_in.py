"""Benchmark: signing in with the shipped Argon2id cost (figures, not a pass/fail test).

    python benchmarks/bench_sign_in.py [--rounds 8] [--db-url postgresql+psycopg://…]

Prints in one run, on a fresh database (a SQLite file unless ``--db-url``):

- one Argon2id hash, and a sign-in: right password, wrong password, unknown email (median);
- thirty parallel wrong guesses at one account from three "instances": password checks made;
- a resident's concern submitted while four browsers keep signing in: median and worst wait,
  with the hash checked outside the write transaction (as shipped) and, for comparison, inside
  it (as it was before: Argon2 holding SQLite's write lock). Target: worst < 1 s as shipped.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy.exc import OperationalError

from ruralaction.actions import Actor, SignInError, TooManyAttempts, add_user, open_database, passwords, sign_in, signin
from ruralaction.actions.db import make_engine, write_session
from ruralaction.concerns import submit_concern, validate_concern

SYSTEM = Actor.system_actor("benchmark")
PASSWORD = "correct horse battery staple"
WARDS = {"E05900001": "Brixworth"}


def median_time(func, rounds: int) -> float:
    times = []
    for i in range(rounds):
        start = time.perf_counter()
        try:
            func(i)
        except SignInError:
            pass
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def hashing_inside_the_transaction(engine, email: str, password: str) -> None:
    """The old shape: the password checked while the write transaction (SQLite's write lock) is held."""
    from sqlalchemy import select

    from ruralaction.actions.models import User

    with write_session(engine) as s:
        stored = s.scalar(select(User.password_hash).where(User.email == email))
        passwords.verify(stored, password)


def concern_waits(engine, signer, rounds: int) -> list[float]:
    concern, errors = validate_concern(
        {
            "name": "Sam Farmer",
            "email": "sam@example.org",
            "ward_code": "E05900001",
            "category": "fly-tipping",
            "description": "Rubbish dumped in the gateway on Back Lane.",
            "consent": True,
        },
        WARDS,
    )
    assert not errors, errors
    stop, started = threading.Event(), threading.Barrier(5)

    def browser(i: int) -> None:
        started.wait()
        while not stop.is_set():
            try:
                signer(engine, f"officer{4 + i}@police.example", PASSWORD)  # not officer0, held up by the guesses
            except OperationalError:
                pass  # "database is locked": the old shape's sign-ins fail too

    threads = [threading.Thread(target=browser, args=(i,), daemon=True) for i in range(4)]
    for t in threads:
        t.start()
    started.wait()
    time.sleep(0.2)
    waits: list[float] = []
    failures: list[int] = []
    try:
        for _ in range(rounds):
            start = time.perf_counter()
            try:
                submit_concern(engine, concern, dataset="ours")
            except OperationalError:
                print(f"  a submission failed with 'database is locked' after {time.perf_counter() - start:.1f} s")
                failures.append(1)
            waits.append(time.perf_counter() - start)
            time.sleep(0.05)
    finally:
        stop.set()
        for t in threads:
            t.join()
    return waits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--db-url", help="default: a SQLite file in a temporary folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        engine = open_database(url)
        print(f"database: {engine.dialect.name}")
        start = time.perf_counter()
        passwords.hash_password(PASSWORD)
        print(
            f"Argon2id hash (t={passwords._HASHER.time_cost}, m={passwords._HASHER.memory_cost} KiB): "
            f"{time.perf_counter() - start:.3f} s"
        )
        for i in range(max(args.rounds, 8)):
            add_user(engine, SYSTEM, f"officer{i}@police.example", "editor", "Police", password=PASSWORD)
        right = median_time(lambda i: sign_in(engine, f"officer{i % 4}@police.example", PASSWORD), args.rounds)
        wrong = median_time(lambda i: sign_in(engine, f"officer{i}@police.example", "wrong guess!"), args.rounds)
        unknown = median_time(lambda i: sign_in(engine, f"nobody{i}@police.example", "wrong guess!"), args.rounds)
        print(
            f"sign-in, median of {args.rounds}: right {right:.3f} s, wrong {wrong:.3f} s, unknown email "
            f"{unknown:.3f} s (unknown/wrong {unknown / wrong:.2f})"
        )

        checks = []
        real = signin.verify
        signin.verify = lambda h, p: (checks.append(1), real(h, p))[1]
        instances = [make_engine(url) for _ in range(3)]
        barrier = threading.Barrier(30)

        def guess(i: int) -> None:
            barrier.wait()
            try:
                sign_in(instances[i % 3], "officer0@police.example", f"guess {i}", client="198.51.100.1")
            except (TooManyAttempts, SignInError):
                pass

        threads = [threading.Thread(target=guess, args=(i,)) for i in range(30)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        signin.verify = real
        for e in instances:
            e.dispose()
        print(
            f"30 parallel wrong guesses from 3 instances: {len(checks)} password checks "
            f"(allowed {signin.FREE_ATTEMPTS['account']})"
        )

        for label, signer, rounds in (
            ("hash outside the transaction (shipped)", sign_in, args.rounds),
            ("hash inside the transaction (before)", hashing_inside_the_transaction, 3),
        ):
            waits = concern_waits(engine, signer, rounds)
            print(
                f"concern submitted during 4 sign-ins, {label}: median {statistics.median(waits):.3f} s, "
                f"worst {max(waits):.3f} s"
            )
        engine.dispose()


if __name__ == "__main__":
    main()
