"""Drive a full-screen terminal program the way a user does: a pty (pexpect) and a terminal emulator (pyte) that
renders the screen, like ``tmux capture-pane``. Waits are on screen conditions with timeouts, never fixed sleeps."""
import time
from typing import Callable, Dict, List, Optional, Sequence, Union

import pexpect
import pyte

ENTER = "\r"


class TerminalSession:
    """A program in a ``cols``×``rows`` pseudo-terminal whose screen is rendered by pyte."""

    def __init__(self, argv: Sequence[str], env: Dict[str, str], cwd: str, cols: int = 160, rows: int = 48):
        self.screen = pyte.Screen(cols, rows)
        self.stream = pyte.ByteStream(self.screen)
        self.child = pexpect.spawn(argv[0], list(argv[1:]), env=env, cwd=cwd, dimensions=(rows, cols),
                                   encoding=None, timeout=None)
        # Answer the terminal queries (cursor position reports) a real terminal answers.
        self.screen.write_process_input = lambda data: self.child.send(data.encode())
        self.snapshots: List[str] = []

    def pump(self, wait_s: float = 0.1) -> None:
        """Feed whatever the program wrote (waiting up to ``wait_s`` for something) into the screen."""
        try:
            while True:
                data = self.child.read_nonblocking(65536, timeout=wait_s)
                self.stream.feed(data)
                wait_s = 0.01
        except pexpect.TIMEOUT:
            return
        except pexpect.EOF:
            return

    def text(self) -> str:
        return "\n".join(line.rstrip() for line in self.screen.display)

    def wait_for(self, condition: Union[str, Callable[[str], bool]], timeout: float = 60.0, what: str = "") -> str:
        """Pump until ``condition`` (a substring, or a predicate on the screen text) holds; return the screen.

        :raises AssertionError: after ``timeout`` seconds, with the screen as it is.
        """
        check = (lambda screen: condition in screen) if isinstance(condition, str) else condition
        deadline = time.monotonic() + timeout
        while True:
            self.pump()
            screen = self.text()
            if check(screen):
                return screen
            if not self.child.isalive() or time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what or condition!r}; screen:\n{screen}")

    def send(self, keys: str) -> None:
        self.child.send(keys.encode())

    def snapshot(self, label: str) -> str:
        screen = self.text()
        self.snapshots.append(f"--- {label} ---\n{screen}")
        return screen

    def close(self, timeout: float = 20.0) -> Optional[int]:
        deadline = time.monotonic() + timeout
        while self.child.isalive() and time.monotonic() < deadline:
            self.pump()
        if self.child.isalive():
            self.child.terminate(force=True)
        self.child.close()
        return self.child.exitstatus
