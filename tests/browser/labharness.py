"""Drive JupyterLab in headless Chromium: server, browser and page helpers.

Plain functions, imported by ``conftest.py`` here and by browser tests
(``from labharness import open_notebook, ...``). Playwright is imported lazily so that
collecting the suite works without it. See ``conftest.py`` for the fixtures and
``shared/notes/jupyter-testing-recipe.md`` for why each step is done this way.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import nbformat

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Playwright

CHROMIUM = Path(os.environ.get("OPTWIDGETS_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
# Without a kernelspec JupyterLab stops at its "Select Kernel" dialog and Run All waits forever.
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}
# App settings: no autosave (the copies stay as written), no news toast over the page.
LAB_OVERRIDES = {
    "@jupyterlab/docmanager-extension:plugin": {"autosave": False},
    "@jupyterlab/apputils-extension:notification": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}


# ---------------------------------------------------------------- notebooks


def make_notebook(cells: Iterable[str | nbformat.NotebookNode]) -> nbformat.NotebookNode:
    """A notebook with the python3 kernelspec; strings become code cells.

    Example: ``make_notebook(["import ipywidgets as w", "w.Button()"])``
    """
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) if isinstance(c, str) else c for c in cells]
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def write_notebook(path: Path, cells: Iterable[str | nbformat.NotebookNode]) -> Path:
    """Write ``make_notebook(cells)`` to ``path`` and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(make_notebook(cells), path)
    return path


# ---------------------------------------------------------------- server


@dataclass
class LabServer:
    """A running ``jupyter lab``: ``url`` ends with ``/``; notebooks live in ``root``."""

    url: str
    token: str
    root: Path
    work: Path
    proc: subprocess.Popen
    log: Path

    def add_notebook(self, name: str, cells: Iterable[str | nbformat.NotebookNode]) -> str:
        """Write a generated notebook into the server's folder; returns ``name``."""
        write_notebook(self.root / name, cells)
        return name

    def api(self, method: str, path: str) -> Any:
        req = urllib.request.Request(
            self.url + path, method=method, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            body = resp.read()
        return json.loads(body) if body else None

    def shutdown_kernels(self) -> None:
        """Shut every session's kernel down (between tests; the server keeps running)."""
        for session in self.api("GET", "api/sessions"):
            self.api("DELETE", f"api/sessions/{session['id']}")

    def log_tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""


REPO = Path(__file__).resolve().parents[2]


def _env(dirs: dict[str, Path], work: Path) -> dict[str, str]:
    """Isolated Jupyter folders, a data home of its own (the runs notebooks store by
    default go there, not into the user's cache; datasets are found as usual), and this
    checkout first on the kernels' path: they test the code next to these tests, even when
    ``pip install -e`` was last run in another copy."""
    home = os.environ.get("OPTWIDGETS_DATA")
    path = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)
    return dict(
        os.environ,
        JUPYTER_CONFIG_DIR=str(dirs["config"]),
        JUPYTER_DATA_DIR=str(dirs["data"]),
        JUPYTER_RUNTIME_DIR=str(dirs["runtime"]),
        IPYTHONDIR=str(dirs["ipython"]),
        JUPYTER_PLATFORM_DIRS="1",
        OPTWIDGETS_DATA=str(work / "optwidgets-data") if home is None else home,
        PYTHONPATH=path,
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_lab(work: Path, notebooks: Iterable[Path] = (), *, timeout: float = 60) -> LabServer:
    """Start JupyterLab on 127.0.0.1 in ``work``, serving copies of ``notebooks``.

    Config, data, runtime, settings, workspaces and IPython dirs are all under ``work``.
    Returns once ``/api/status`` answers.
    """
    work = Path(work)
    dirs = {
        name: work / name
        for name in ("root", "config", "data", "runtime", "ipython")
        + ("app-settings", "user-settings", "workspaces")
    }
    for d in dirs.values():
        d.mkdir(parents=True, exist_ok=True)
    for nb in notebooks:
        shutil.copy2(nb, dirs["root"] / Path(nb).name)
    (dirs["app-settings"] / "overrides.json").write_text(json.dumps(LAB_OVERRIDES, indent=1))

    port, token = _free_port(), secrets.token_hex(24)
    env = _env(dirs, work)
    cmd = [
        sys.executable, "-m", "jupyterlab",
        "--allow-root", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={dirs['root']}",
        f"--LabApp.app_settings_dir={dirs['app-settings']}",
        f"--LabApp.user_settings_dir={dirs['user-settings']}",
        f"--LabApp.workspaces_dir={dirs['workspaces']}",
        "--LabApp.extension_manager=readonly",
        "--expose-app-in-browser",
    ]  # fmt: skip
    log = work / "jupyter-lab.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            cmd, cwd=dirs["root"], env=env, stdout=out, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
    server = LabServer(f"http://127.0.0.1:{port}/", token, dirs["root"], work, proc, log)
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"jupyter lab exited with {proc.returncode}:\n{server.log_tail()}")
        try:
            server.api("GET", "api/status")
            return server
        except OSError:
            if time.monotonic() > deadline:
                stop_lab(server)
                msg = f"jupyter lab not ready in {timeout} s:\n{server.log_tail()}"
                raise TimeoutError(msg) from None
            time.sleep(0.2)


def start_app(
    kind: str, work: Path, notebooks: Iterable[Path] = (), *, notebook: str = "",
    timeout: float = 90,
) -> LabServer:
    """Start Notebook 7 (``kind="notebook"``) or Voilà (``kind="voila"``, serving the one
    ``notebook``) like :func:`start_lab`: a free port, a random token (Notebook 7), temp
    folders. Voilà runs the whole notebook when the page is opened."""
    work = Path(work)
    dirs = {name: work / name for name in ("root", "config", "data", "runtime", "ipython")}
    for d in dirs.values():
        d.mkdir(parents=True, exist_ok=True)
    for nb in notebooks:
        shutil.copy2(nb, dirs["root"] / Path(nb).name)
    port, token = _free_port(), secrets.token_hex(24)
    env = _env(dirs, work)
    if kind == "notebook":
        cmd = [
            sys.executable, "-m", "notebook", "--allow-root", "--no-browser",
            "--ip=127.0.0.1", f"--port={port}", "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={dirs['root']}",
            "--expose-app-in-browser",
        ]  # fmt: skip
    elif kind == "voila":
        token = ""
        cmd = [
            sys.executable, "-m", "voila", str(dirs["root"] / notebook), "--no-browser",
            "--Voila.ip=127.0.0.1", f"--port={port}", "--show_tracebacks=True",
            "--Voila.port_retries=0",
        ]  # fmt: skip
    else:
        raise ValueError(f"kind={kind!r}: expected 'notebook' or 'voila'")
    log = work / f"{kind}.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            cmd, cwd=dirs["root"], env=env, stdout=out, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
    server = LabServer(f"http://127.0.0.1:{port}/", token, dirs["root"], work, proc, log)
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"{kind} exited with {proc.returncode}:\n{server.log_tail()}")
        try:
            with urllib.request.urlopen(server.url + ("api/status" if token else ""),
                                        timeout=5):  # fmt: skip
                return server
        except urllib.error.HTTPError as exc:
            if exc.code < 500:  # it answers (404 / 403 on the root): up
                return server
        except OSError:
            pass
        if time.monotonic() > deadline:
            stop_lab(server)
            raise TimeoutError(f"{kind} not ready in {timeout} s:\n{server.log_tail()}")
        time.sleep(0.3)


def stop_lab(server: LabServer, *, timeout: float = 15) -> None:
    """SIGTERM (the server stops its kernels); SIGKILL to the whole group on timeout."""
    if server.proc.poll() is None:
        server.proc.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.proc.wait(timeout)
    # Whatever is left of the group (kernels of a server that hung).
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(server.proc.pid, signal.SIGKILL)
    server.proc.wait(5)


# ---------------------------------------------------------------- browser


def launch_chromium(playwright: Playwright, **kwargs: Any) -> Browser:
    """Debian's Chromium (Playwright's own browser build cannot be downloaded here)."""
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS, **kwargs
    )


_console_errors: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def collect_console_errors(page: Page) -> list[str]:
    """The page's console errors and uncaught exceptions, a list that fills as they come.

    Call it before ``page.goto``; calling it again returns the same list.
    """
    if page not in _console_errors:
        errors: list[str] = []

        def on_console(msg: Any) -> None:
            if msg.type == "error":
                loc = msg.location or {}
                errors.append(f"console: {msg.text} ({loc.get('url', '')}:{loc.get('lineNumber')})")

        page.on("console", on_console)
        page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
        _console_errors[page] = errors
    return _console_errors[page]


def screenshot(page: Page, path: Path | str) -> Path:
    """Save a full-page PNG at ``path`` (folders made as needed)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    return path


# ---------------------------------------------------------------- JupyterLab

# The notebook panel named `name` (or the current widget): JupyterLab's own state,
# read through `window.jupyterapp` (server started with --expose-app-in-browser).
_FIND_PANEL = """
const findPanel = (name) => {
  const app = window.jupyterapp;
  if (!app || !app.shell) return null;
  if (!name) return app.shell.currentWidget;
  for (const w of app.shell.widgets('main')) {
    if (w.context && w.context.path === name) return w;
  }
  return null;
};
"""

_KERNEL_IDLE = (
    "(name) => {"
    + _FIND_PANEL
    + """
  const panel = findPanel(name);
  if (!panel || !panel.context || !panel.context.isReady || !panel.sessionContext) return false;
  const sc = panel.sessionContext;
  const kernel = sc.session && sc.session.kernel;
  return sc.isReady && !!kernel && kernel.connectionStatus === 'connected'
    && kernel.status === 'idle' && panel.content.widgets.length > 0;
}"""
)

_CELL_STATE = (
    "(name) => {"
    + _FIND_PANEL
    + """
  const panel = findPanel(name);
  const state = {total: 0, pending: 0, errors: [], kernel: null};
  if (!panel || !panel.content || !panel.content.model) return state;
  const cells = panel.content.model.cells;
  for (let i = 0; i < cells.length; i++) {
    const cell = cells.get(i);
    if (cell.type !== 'code' || !cell.sharedModel.getSource().trim()) continue;
    state.total++;
    if (cell.executionCount == null || cell.executionState === 'running') state.pending++;
    for (let j = 0; j < cell.outputs.length; j++) {
      const out = cell.outputs.get(j).toJSON();
      if (out.output_type === 'error') state.errors.push(`cell ${i}: ${out.ename}: ${out.evalue}`);
    }
  }
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  state.kernel = kernel ? kernel.status : null;
  return state;
}"""
)


def open_notebook(page: Page, name: str, *, timeout: float = 60) -> None:
    """Open ``name`` (relative to the server root) with a fresh workspace; wait for its kernel.

    The page's context must have the server as ``base_url`` and be logged in,
    as ``lab_page`` is.
    """
    page.goto(f"lab/tree/{urllib.parse.quote(name)}?reset", wait_until="domcontentloaded")
    wait_kernel_idle(page, name, timeout=timeout)


def wait_kernel_idle(page: Page, name: str | None = None, *, timeout: float = 60) -> None:
    """Wait until the notebook's kernel is connected and idle (read from ``window.jupyterapp``:
    the DOM's idle indicator alone is not enough, Run All then sometimes does nothing)."""
    page.wait_for_function(_KERNEL_IDLE, arg=name, timeout=timeout * 1000, polling=100)


def run_all(page: Page) -> None:
    """Clear outputs and execution counts, then start Run All (returns at once)."""
    page.evaluate(
        """async () => {
          const app = window.jupyterapp;
          await app.commands.execute('notebook:clear-all-cell-outputs');
          app.commands.execute('notebook:run-all-cells');
        }"""
    )


def cell_state(page: Page, name: str | None = None) -> dict:
    """``{total, pending, errors, kernel}`` over the notebook's non-empty code cells."""
    return page.evaluate(_CELL_STATE, name)


def wait_all_cells_executed(
    page: Page, timeout: float = 120, *, name: str | None = None, allow_errors: bool = False
) -> dict:
    """Wait until every non-empty code cell has its ``[n]`` and the kernel is idle.

    Raises ``AssertionError`` as soon as a cell shows a traceback (unless ``allow_errors``),
    ``TimeoutError`` with the last state otherwise. Returns the final ``cell_state``.
    """
    deadline = time.monotonic() + timeout
    while True:
        state = cell_state(page, name)
        idle = state["kernel"] == "idle"
        if state["errors"] and idle and not allow_errors:
            raise AssertionError("cells failed:\n" + "\n".join(state["errors"]))
        if state["total"] and not state["pending"] and idle:
            return state
        if time.monotonic() > deadline:
            raise TimeoutError(f"cells not all executed after {timeout} s: {state}")
        page.wait_for_timeout(250)
