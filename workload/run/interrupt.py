"""Ctrl-C during a run: stop at a safe point, so the run directory agrees with itself.

A KeyboardInterrupt raised wherever Python happens to be can land between writing an
event to events.jsonl and adding its job to the metrics or schedule.swf. Instead, the
first Ctrl-C asks the generator to stop between two events, and the run writes its
directory as usual; a second Ctrl-C raises KeyboardInterrupt at once (for a run that
does not stop).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def stop_on_interrupt(request_stop: Callable[[], None]) -> Iterator[None]:
    """Within the block, SIGINT calls ``request_stop`` once; the next one interrupts.

    Signal handlers belong to the main thread: elsewhere this does nothing (and a
    KeyboardInterrupt still ends the run, as before)."""
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is signal.SIG_IGN):
        yield     # (a caller that ignores SIGINT, like `nohup`, keeps ignoring it)
        return
    asked = False

    def on_sigint(signum: int, frame: object) -> None:
        nonlocal asked
        if asked:
            raise KeyboardInterrupt
        asked = True
        request_stop()

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous if previous is not None
                      else signal.default_int_handler)
