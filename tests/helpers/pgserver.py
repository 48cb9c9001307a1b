"""A throwaway PostgreSQL server from Debian's binaries, for the tests and the benchmarks.

``Server.start()`` runs ``initdb`` in a new temporary folder and ``pg_ctl start``
with the server listening only on a Unix socket in that folder (no TCP port, so
nothing else on the machine can reach it or clash with it). PostgreSQL refuses
to run as root, so under root (as CI runs) both run as an unprivileged user
(``postgres`` if the package created it, else ``nobody``) through ``runuser``,
with the folder handed to that user. ``stop()`` stops the server and deletes
the folder.

Roles made in every server: ``cspr_admin`` (the superuser), ``cspr_owner``
(owns the cspr schema) and ``cspr_app`` (what cspr runs as), as the README
describes for a real deployment.

``Server(tls=True)`` also listens on a random loopback TCP port with TLS on (a
self-signed certificate made by ``openssl``), as a shared deployment would be reached.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

SUPERUSER, OWNER, APP = "cspr_admin", "cspr_owner", "cspr_app"
HOW_TO_ENABLE = ("the PostgreSQL tests need Debian's postgresql package (initdb and pg_ctl under "
                 "/usr/lib/postgresql/*/bin: apt-get install postgresql) and psycopg 3 (pip install -e '.[test]'); "
                 "set CSPR_REQUIRE_SERVICES=1 to make their absence a failure")


def find_bindir() -> Path | None:
    """Where initdb and pg_ctl are: $CSPR_PG_BINDIR if set (only there), else the newest
    /usr/lib/postgresql/N/bin, else pg_config's."""
    given = os.environ.get("CSPR_PG_BINDIR")
    if given:
        return Path(given) if (Path(given) / "initdb").exists() and (Path(given) / "pg_ctl").exists() else None
    candidates = sorted((Path(p) for p in glob.glob("/usr/lib/postgresql/*/bin")),
                         key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0, reverse=True)
    if shutil.which("pg_config"):
        found = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=False).stdout.strip()
        if found:
            candidates.append(Path(found))
    return next((c for c in candidates if (c / "initdb").exists() and (c / "pg_ctl").exists()), None)


def runuser() -> str | None:
    """util-linux's runuser (in sbin, which a root PATH may leave out)."""
    return shutil.which("runuser") or next((p for p in ("/usr/sbin/runuser", "/sbin/runuser") if Path(p).exists()), None)


def missing() -> str | None:
    """Why a server cannot be started here, or None."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed; " + HOW_TO_ENABLE
    if find_bindir() is None:
        return "PostgreSQL's server programs were not found; " + HOW_TO_ENABLE
    if os.geteuid() == 0 and not runuser():
        return "running as root, and runuser (util-linux) is missing to start PostgreSQL as another user"
    return None


class Server:
    """One PostgreSQL server in a temporary folder, reached through a Unix socket there."""

    def __init__(self, *, durable: bool = False, settings: dict[str, str] | None = None, tls: bool = False):
        self.bindir = find_bindir()
        if self.bindir is None:
            raise RuntimeError(HOW_TO_ENABLE)
        self.durable = durable
        self.settings = settings or {}
        self.folder = Path(tempfile.mkdtemp(prefix="cspr-pg-"))
        self.data = self.folder / "data"
        self.user = None
        if os.geteuid() == 0:
            self.user = "postgres" if _user_exists("postgres") else "nobody"
            info = pwd.getpwnam(self.user)
            os.chown(self.folder, info.pw_uid, info.pw_gid)
        os.chmod(self.folder, 0o700)
        self.started = False
        self.port_picked = False
        if tls:
            self._listen_with_tls()

    def _listen_with_tls(self) -> None:
        """Listen on a loopback TCP port too, encrypted with a self-signed certificate made by openssl."""
        openssl = shutil.which("openssl")
        if openssl is None:
            raise RuntimeError("openssl is missing (Debian's openssl package) to make the test server's certificate")
        key, certificate = self.folder / "server.key", self.folder / "server.crt"
        subprocess.run([openssl, "req", "-new", "-x509", "-days", "1", "-nodes", "-subj", "/CN=localhost",
                        "-keyout", str(key), "-out", str(certificate)], check=True, capture_output=True)
        os.chmod(key, 0o600)  # the server refuses a key others can read
        if self.user:
            info = pwd.getpwnam(self.user)
            for made in (key, certificate):
                os.chown(made, info.pw_uid, info.pw_gid)
        self.settings = {**self.settings, "port": _free_port(), "listen_addresses": "'127.0.0.1'", "ssl": "on",
                         "ssl_cert_file": f"'{certificate}'", "ssl_key_file": f"'{key}'"}
        self.certificate = certificate
        self.port_picked = True  # another program may take it before the server binds it: start() picks again

    def tcp_url(self, database: str = "postgres", user: str = APP, **options: str) -> str:
        """The loopback TCP address of a server started with ``tls=True``."""
        query = "&".join(f"{k}={v}" for k, v in options.items())
        return f"postgresql://{user}@127.0.0.1:{self.settings['port']}/{database}" + (f"?{query}" if query else "")

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [str(self.bindir / args[0]), *args[1:]]
        if self.user:
            command = [str(runuser()), "-u", self.user, "--", *command]
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env["LC_ALL"] = "C"
        return subprocess.run(command, capture_output=True, text=True, check=check, env=env, cwd=self.folder)

    def start(self) -> Server:
        self._run("initdb", "-D", str(self.data), "-U", SUPERUSER, "--auth=trust", "-E", "UTF8", "--locale=C",
                  *([] if self.durable else ["--no-sync"]))
        options = {"listen_addresses": "''", "unix_socket_directories": f"'{self.folder}'", "max_connections": "60",
                   "shared_buffers": "128MB"}
        if not self.durable:  # a test server: losing it in a power cut loses nothing
            options |= {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
        options |= self.settings
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.writelines(f"{k} = {v}\n" for k, v in options.items())
        server_log = self.folder / "server.log"
        for _ in range(3):
            done = self._run("pg_ctl", "-D", str(self.data), "-l", str(server_log), "-w", "-t", "60", "start",
                             check=False)
            log = server_log.read_text(errors="replace") if server_log.exists() else ""
            if done.returncode == 0 or not self.port_picked or "could not bind" not in log:
                break
            self.settings["port"] = _free_port()  # the last setting in postgresql.conf wins
            with open(self.data / "postgresql.conf", "a") as conf:
                conf.write(f"port = {self.settings['port']}\n")
        if done.returncode != 0:
            self.stop()
            raise RuntimeError(f"PostgreSQL did not start: {done.stderr or done.stdout}\n{log[-2000:]}")
        self.started = True
        try:
            self.sql(f"CREATE ROLE {OWNER} LOGIN", f"CREATE ROLE {APP} LOGIN")
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self.started:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop", check=False)
            self.started = False
        shutil.rmtree(self.folder, ignore_errors=True)

    # -- reaching it ------------------------------------------------------------------

    def url(self, database: str = "postgres", user: str = APP) -> str:
        port = self.settings.get("port")
        return f"postgresql://{user}@/{database}?host={self.folder}" + (f"&port={port}" if port else "")

    def connect(self, database: str = "postgres", user: str = SUPERUSER):
        import psycopg

        return psycopg.connect(self.url(database, user), autocommit=True)

    def sql(self, *statements: str, database: str = "postgres", user: str = SUPERUSER) -> list[tuple]:
        """Run statements (as the superuser by default); return the last one's rows."""
        rows: list[tuple] = []
        with self.connect(database, user) as conn:
            for statement in statements:
                cursor = conn.execute(statement)
                rows = cursor.fetchall() if cursor.description else []
        return rows

    def create_database(self, name: str, template: str | None = None) -> str:
        """A new database owned by the owner role (a copy of ``template`` if given)."""
        clause = f" TEMPLATE {template}" if template else ""
        for attempt in range(20):
            try:
                self.sql(f"CREATE DATABASE {name}{clause} OWNER {OWNER}")
                return name
            except Exception as exc:
                if "being accessed by other users" not in str(exc) or attempt == 19:
                    raise
                time.sleep(0.1)
        return name

    def drop_database(self, name: str) -> None:
        self.sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _free_port() -> str:
    """A loopback TCP port free just now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return str(probe.getsockname()[1])


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False
