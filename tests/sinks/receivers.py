"""Private, real receivers for sink tests: carbon-cache, graphite-web, rsyslog (JSON lines).

Each runs from a config directory of its own, on free loopback ports, as a child process
that ``stop()`` ends by its pid. ``stop()`` then ``start()`` brings a receiver back on the
same ports, which is how tests take one away in the middle of a run. Reusable by any test:

    with Carbon(tmp / "carbon") as carbon, GraphiteWeb(tmp / "web", carbon) as web: ...
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from workload.cluster.wait import wait_for as poll_until
from workload.errors import ClusterError
from workload.testing.require import SYSTEM_PYTHON


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def not_up_yet_is_no(check: Callable[[], Any]) -> Callable[[], Any]:
    """``check`` with a refused or reset connection (OSError: the receiver is not up yet)
    as a "no" answer; any other failure still stops the wait."""
    def probe() -> Any:
        try:
            return check()
        except OSError:
            return None
    return probe


def wait_for(check: Callable[[], Any], timeout: float, what: str, poll: float = 0.1) -> Any:
    """The one polling helper (workload.cluster.wait_for) on a receiver that may not be
    up yet; ClusterError("timed out ... waiting for <what>") after ``timeout``."""
    return poll_until(not_up_yet_is_no(check), timeout, what, interval=poll)


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


class Service:
    """A child process with a log file; subclasses write configs and say when it's ready."""

    name = "service"

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.log = root / f"{self.name}.log"
        self._proc: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        raise NotImplementedError

    def env(self) -> dict[str, str] | None:
        return None

    def ready(self) -> bool:
        raise NotImplementedError

    def start(self, timeout: float = 30.0) -> None:
        with open(self.log, "ab") as log:
            self._proc = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT,
                                          env=self.env(), start_new_session=True)
        try:
            wait_for(self._ready_or_dead, timeout, f"{self.name} to start")
        except ClusterError:    # the shared wait_for's timeout
            self.stop()
            raise RuntimeError(f"{self.name} did not start; log:\n{self.tail()}") from None

    def _ready_or_dead(self) -> bool:
        if self._proc is not None and self._proc.poll() is not None:
            raise RuntimeError(f"{self.name} exited ({self._proc.returncode}):\n{self.tail()}")
        return self.ready()

    def stop(self) -> None:
        if self._proc is None:
            return
        if self._proc.poll() is None:
            self._proc.send_signal(signal.SIGTERM)
            try:
                self._proc.wait(15)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(5)
        self._proc = None

    def freeze(self, frozen: bool) -> None:
        """Stop (SIGSTOP) or continue the process: connections are accepted by the kernel
        and not answered, as by a receiver too busy to run; read once it continues."""
        assert self._proc is not None, f"{self.name} is not running"
        self._proc.send_signal(signal.SIGSTOP if frozen else signal.SIGCONT)

    def tail(self, lines: int = 30) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def __enter__(self) -> "Service":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class Carbon(Service):
    """carbon-cache: plaintext on ``port``, 1-second whisper retention, cache query port."""

    name = "carbon"

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.port, self.pickle_port, self.query_port = free_port(), free_port(), free_port()
        self.whisper = root / "whisper"
        self.conf = root / "carbon.conf"
        self._write_config()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _write_config(self) -> None:
        (self.root / "storage-schemas.conf").write_text(
            "[default]\npattern = .*\nretentions = 1s:1d\n")
        settings = {
            "STORAGE_DIR": self.root, "LOCAL_DATA_DIR": self.whisper, "CONF_DIR": self.root,
            "WHITELISTS_DIR": self.root, "LOG_DIR": self.root, "PID_DIR": self.root,
            "DATABASE": "whisper", "ENABLE_LOGROTATION": "False", "MAX_CACHE_SIZE": "inf",
            "MAX_UPDATES_PER_SECOND": "inf", "MAX_CREATES_PER_MINUTE": "inf",
            "LINE_RECEIVER_INTERFACE": "127.0.0.1", "LINE_RECEIVER_PORT": self.port,
            "ENABLE_UDP_LISTENER": "False", "PICKLE_RECEIVER_INTERFACE": "127.0.0.1",
            "PICKLE_RECEIVER_PORT": self.pickle_port, "CACHE_QUERY_INTERFACE": "127.0.0.1",
            "CACHE_QUERY_PORT": self.query_port, "USE_FLOW_CONTROL": "True",
        }
        lines = ["[cache]"] + [f"{key} = {value}" for key, value in settings.items()]
        self.conf.write_text("\n".join(lines) + "\n")

    def command(self) -> list[str]:
        return ["carbon-cache", f"--config={self.conf}", "--nodaemon",
                f"--pidfile={self.root / 'carbon.pid'}", "start"]

    def ready(self) -> bool:
        return port_open(self.port) and port_open(self.query_port)


MONITORING = Path(__file__).parents[2] / "containers" / "monitoring"


class GraphiteWeb(Service):
    """graphite-web (Debian) under runserver, reading ``carbon``'s whisper files and cache.
    With ``bulk``, it also serves the monitoring image's ``/wlgen/events/`` (the image's
    URL conf, containers/monitoring/wlgen_graphite_urls.py), as a cluster's does."""

    name = "graphite-web"

    def __init__(self, root: Path, carbon: Carbon, bulk: bool = False) -> None:
        super().__init__(root)
        self.port = free_port()
        self.carbon, self.bulk = carbon, bulk
        self._write_settings()
        self._migrated = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _write_settings(self) -> None:
        settings = {
            "SECRET_KEY": "wlgen-tests", "GRAPHITE_ROOT": "/usr/share/graphite-web",
            "CONF_DIR": str(self.root), "STORAGE_DIR": str(self.carbon.root),
            "STATIC_ROOT": "/usr/share/graphite-web/static", "LOG_DIR": str(self.root),
            "INDEX_FILE": str(self.root / "search_index"),
            "WHISPER_DIR": str(self.carbon.whisper), "STANDARD_DIRS": [str(self.carbon.whisper)],
            "CARBONLINK_HOSTS": [f"127.0.0.1:{self.carbon.query_port}"],
            "DATABASES": {"default": {"NAME": str(self.root / "graphite.db"),
                                      "ENGINE": "django.db.backends.sqlite3"}},
            "ALLOWED_HOSTS": ["127.0.0.1", "localhost"], "TIME_ZONE": "UTC",
            "FUNCTION_PLUGINS": [],
        }
        text = "".join(f"{key} = {value!r}\n" for key, value in settings.items())
        if self.bulk:   # as the image's settings: app settings first, then its URL conf
            text += ("from graphite.app_settings import *  # noqa\n"
                     "ROOT_URLCONF = 'wlgen_graphite_urls'\n")
        (self.root / "wlgen_graphite_settings.py").write_text(text)

    def env(self) -> dict[str, str]:
        path = f"{self.root}:{MONITORING}" if self.bulk else str(self.root)
        return {"PATH": "/usr/bin:/bin", "PYTHONPATH": path,
                "GRAPHITE_SETTINGS_MODULE": "wlgen_graphite_settings",
                "DJANGO_SETTINGS_MODULE": "graphite.settings"}

    def start(self, timeout: float = 60.0) -> None:
        if not self._migrated:
            subprocess.run([SYSTEM_PYTHON, "-m", "django", "migrate", "--noinput"],
                           env=self.env(), check=True, capture_output=True, timeout=120)
            self._migrated = True
        super().start(timeout)

    def command(self) -> list[str]:
        return [SYSTEM_PYTHON, "-m", "django", "runserver", "--noreload",
                f"127.0.0.1:{self.port}"]

    def ready(self) -> bool:
        return self.get("/render", target="wlgen.ready", format="json") == []

    def get(self, path: str, **query: Any) -> Any:
        url = f"{self.url}{path}?{urllib.parse.urlencode(query)}"
        with urllib.request.urlopen(url, timeout=30) as answer:
            return json.load(answer)

    def render(self, target: str, start: float, end: float) -> dict[int, float]:
        """Non-null points of ``target`` between ``start`` and ``end`` (epoch seconds)."""
        series = self.get("/render", target=target, format="json", **{
            "from": int(start), "until": int(end)})
        return {int(t): v for item in series for v, t in item["datapoints"] if v is not None}

    def events(self, tags: str, start: float, end: float) -> list[dict[str, Any]]:
        """Annotations carrying every tag in ``tags`` (space separated), oldest first.

        ``until`` is put 2 s past ``end`` (give an ``end`` after the last event): graphite-web
        1.1.8 answers 500 when an event falls exactly on the ``until`` second.
        """
        return self.get("/events/get_data", tags=tags, **{
            "from": int(start), "until": int(end) + 2})


class Rsyslog(Service):
    """rsyslogd with imtcp + imudp + mmjsonparse: every JSON line received, written as is."""

    name = "rsyslog"

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.port = free_port()
        self.output = root / "received.jsonl"
        self.conf = root / "rsyslog.conf"
        self._write_config()

    def url(self, scheme: str = "tcp") -> str:
        return f"{scheme}://127.0.0.1:{self.port}"

    def _write_config(self) -> None:
        # maxMessageSize before the inputs load; imtcp, not imptcp (which mangles big lines).
        self.conf.write_text(f"""\
global(workDirectory="{self.root}" maxMessageSize="1m")
module(load="imtcp")
module(load="imudp")
module(load="mmjsonparse")
template(name="jsonline" type="string" string="%$!%\\n")
ruleset(name="json") {{
  action(type="mmjsonparse" cookie="" useRawMsg="on")
  if $parsesuccess == "OK" then {{
    action(type="omfile" file="{self.output}" template="jsonline")
  }}
}}
input(type="imtcp" port="{self.port}" address="127.0.0.1" ruleset="json")
input(type="imudp" port="{self.port}" address="127.0.0.1" ruleset="json")
""")

    def command(self) -> list[str]:
        return ["rsyslogd", "-n", "-f", str(self.conf), "-i", str(self.root / "rsyslog.pid")]

    def ready(self) -> bool:
        return port_open(self.port)

    def records(self) -> list[dict[str, Any]]:
        """Every JSON object received so far, in arrival order."""
        if not self.output.exists():
            return []
        with open(self.output, encoding="utf-8") as lines:
            return [json.loads(line) for line in lines if line.strip()]
