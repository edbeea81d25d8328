"""A PostgreSQL cluster of a test's own, which the test may stop and start again.

The shared test server (``.ci/postgres.sh``) must stay up for every other test, so a test that
takes the database away ("PostgreSQL stopped mid-run") runs its own: Debian's ``initdb`` and
``pg_ctl`` in a fresh folder under /tmp, on a free 127.0.0.1 port, as the ``postgres`` user
when we are root (PostgreSQL refuses to run as root). Without the binaries the test is skipped
on a laptop and fails under ``CI=true`` (see ``conftest.py``).
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


def pg_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parts[-3]))
    return found[-1].parent if found else None


class Cluster:
    """``start()``, ``stop()`` (immediate, as a crash would), ``url``, ``remove()``."""

    def __init__(self):
        self.bin = pg_bin()
        if self.bin is None:
            raise FileNotFoundError("PostgreSQL's initdb/pg_ctl (Debian package 'postgresql')")
        self.dir = Path(tempfile.mkdtemp(prefix="ruralaction-pgtest-", dir="/tmp"))
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.password = secrets.token_hex(12)
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            if subprocess.run(["id", "postgres"], capture_output=True, check=False).returncode != 0:
                subprocess.run(
                    ["useradd", "--system", "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", "postgres"],
                    check=True,
                )
            self.as_user = ["runuser", "-u", "postgres", "--"]
        pwfile = self.dir / "pw"
        pwfile.write_text(self.password + "\n")
        if self.as_user:
            shutil.chown(self.dir, "postgres")
            shutil.chown(pwfile, "postgres")
        self._run(
            "initdb",
            f"--pgdata={self.dir / 'data'}",
            "--username=ruralaction",
            f"--pwfile={pwfile}",
            "--auth=scram-sha-256",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )
        pwfile.unlink()
        self.start()
        env = {**os.environ, "PGPASSWORD": self.password}
        subprocess.run(
            [str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "ruralaction", "ruralaction"],
            check=True,
            env=env,
            capture_output=True,
        )

    def _run(self, tool: str, *args: str) -> None:
        proc = subprocess.run([*self.as_user, str(self.bin / tool), *args], capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"{tool} failed: {proc.stdout}{proc.stderr}")

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://ruralaction:{self.password}@127.0.0.1:{self.port}/ruralaction"

    def start(self) -> None:
        opts = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50"
        self._run(
            "pg_ctl", f"--pgdata={self.dir / 'data'}", f"--log={self.dir / 'server.log'}", "--wait", "-o", opts, "start"
        )

    def stop(self) -> None:
        self._run("pg_ctl", f"--pgdata={self.dir / 'data'}", "--mode=immediate", "--wait", "stop")

    def remove(self) -> None:
        try:
            self.stop()
        except RuntimeError:
            pass  # already stopped
        shutil.rmtree(self.dir, ignore_errors=True)
