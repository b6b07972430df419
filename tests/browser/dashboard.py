"""Reading the Explorer in a real page the way a user's eye does (JupyterLab, Notebook 7,
Voilà alike): where it is, whether anything spills, whether the plots are on screen,
how long Train takes to draw its first point.

Everything is found through the dashboard's CSS hooks (``ow-explorer`` root,
``ow-train`` / ``ow-stop`` buttons, ``ow-status``, ``ow-loss`` / ``ow-tradeoff`` /
``ow-boundary`` plot boxes, ``ow-runs`` grid, ``ow-ready`` once its figures exist).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

ROOT = ".ow-explorer"
# Elements allowed to be wider than their box: the runs grid's own scrolling parts, and
# form fields whose text scrolls inside them.
_SCROLLERS = ".dt-scroll-head, .dt-scroll-body, .dt-scroll-foot"

OVERFLOW_JS = """([sel, scrollers]) => {
  const root = document.querySelector(sel);
  if (!root) return ['no dashboard'];
  const box = root.getBoundingClientRect();
  const out = [];
  const name = (el) => {
    const cls = (typeof el.className === 'string' ? el.className : '').split(/\\s+/)
      .filter(c => c.startsWith('ow-') || c.startsWith('widget-') || c.startsWith('dt-')
              || c.startsWith('lm-') || c.startsWith('js-')).slice(0, 3).join('.');
    const text = (el.innerText || '').trim().slice(0, 40).replace(/\\s+/g, ' ');
    return `${el.tagName.toLowerCase()}${cls ? '.' + cls : ''} "${text}"`;
  };
  const check = (el) => {
    if (el.closest(".noUi-target") && !el.matches(".noUi-target")) return;  // a slider's own parts
    if (el.closest(scrollers) && el.closest(scrollers) !== el) return;
    if (['INPUT', 'TEXTAREA', 'SELECT', 'OPTION'].includes(el.tagName)) return;
    if (el instanceof SVGElement) return;
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) return;  // not shown
    const cs = getComputedStyle(el);
    if (cs.visibility === 'hidden' || cs.display === 'none') return;
    const scroller = el.matches(scrollers);
    if (!scroller && el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1)
      out.push(`${name(el)}: scrollWidth ${el.scrollWidth} > clientWidth ${el.clientWidth}`);
    if (r.right > box.right + 1 || r.left < box.left - 1)
      out.push(`${name(el)}: [${Math.round(r.left)}, ${Math.round(r.right)}] outside the dashboard [${Math.round(box.left)}, ${Math.round(box.right)}]`);
  };
  check(root);
  for (const el of root.querySelectorAll('*')) check(el);
  // the dashboard in its page: the output area (JupyterLab, Notebook 7) or the body (Voilà)
  const host = root.closest('.jp-OutputArea-output') || document.body;
  const h = host.getBoundingClientRect();
  if (box.right > h.right + 1) out.push(`dashboard right ${box.right} > its output's ${h.right}`);
  return out;
}"""

# The plots' rectangles against what the page shows: the notebook's scrolling panel
# (JupyterLab, Notebook 7) or the window (Voilà).
IN_VIEW_JS = """([sel, names]) => {
  const root = document.querySelector(sel);
  const panel = root.closest('.jp-WindowedPanel-outer') || root.closest('.jp-Notebook')
    || null;
  const view = panel ? panel.getBoundingClientRect()
    : {top: 0, bottom: window.innerHeight, left: 0, right: window.innerWidth};
  const out = {view: {top: view.top, bottom: Math.min(view.bottom, window.innerHeight)},
               innerHeight: window.innerHeight, plots: {}};
  for (const n of names) {
    const el = root.querySelector('.' + n + ' .js-plotly-plot') || root.querySelector('.' + n);
    if (!el) { out.plots[n] = null; continue; }
    const r = el.getBoundingClientRect();
    out.plots[n] = {top: r.top, bottom: r.bottom, left: r.left, right: r.right,
      inside: r.width > 0 && r.top >= view.top - 1 && r.bottom <= Math.min(view.bottom,
        window.innerHeight) + 1};
  }
  return out;
}"""

# Arm before clicking Train: window.__ow = {click, first} in performance.now() ms. The
# loss traces are the first three of the live figure (train loss, smoothed, val loss).
ARM_TIMER_JS = """(sel) => {
  const root = document.querySelector(sel);
  const plot = root.querySelector('.ow-loss .js-plotly-plot');
  const button = root.querySelector('button.ow-train');
  const t = window.__ow = {click: null, first: null};
  const drawn = () => {
    const traces = Array.from(plot.querySelectorAll('.scatterlayer .trace')).slice(0, 3);
    return traces.some(tr => tr.querySelector('path.point') ||
      Array.from(tr.querySelectorAll('path.js-line')).some(p => /L/.test(p.getAttribute('d') || '')));
  };
  button.addEventListener('click', () => { if (t.click === null) t.click = performance.now(); },
                          {capture: true});
  const observer = new MutationObserver(() => {
    if (t.click !== null && t.first === null && drawn()) {
      t.first = performance.now();
      observer.disconnect();
    }
  });
  observer.observe(plot, {subtree: true, childList: true, attributes: true});
}"""


def root(page: Any) -> Any:
    return page.locator(ROOT).first


# Every plot box that is shown holds a drawn plotly figure.
_ALL_DRAWN = """(sel) => {
  const root = document.querySelector(sel);
  if (!root || !root.classList.contains('ow-ready')) return false;
  const slots = Array.from(root.querySelectorAll('.ow-slot')).filter(s => s.offsetParent !== null);
  return slots.length > 0 && slots.every(s => s.querySelector('.js-plotly-plot .main-svg'));
}"""


def wait_ready(page: Any, timeout: float = 120) -> float:
    """Wait until the dashboard is drawn as a user sees it: its figures made
    (``ow-ready``) and every plot on the page drawn, then a moment for the page to settle;
    returns seconds waited."""
    t0 = time.monotonic()
    page.wait_for_function(_ALL_DRAWN, arg=ROOT, timeout=timeout * 1000, polling=200)
    page.wait_for_timeout(1000)
    return time.monotonic() - t0


def status(page: Any) -> str:
    return root(page).locator(".ow-status").first.inner_text().strip()


def wait_status(page: Any, prefix: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while True:
        text = status(page)
        if text.startswith(prefix):
            return text
        if time.monotonic() > deadline:
            raise TimeoutError(f"status never became {prefix!r}; last: {text!r}")
        page.wait_for_timeout(100)


def button(page: Any, name: str) -> Any:
    return root(page).locator(f"button.ow-{name}").first


def click_train_timed(page: Any, timeout: float = 30) -> float:
    """Click Train; milliseconds from the click to the first loss mark drawn."""
    page.evaluate(ARM_TIMER_JS, ROOT)
    button(page, "train").click()
    page.wait_for_function("() => window.__ow.first !== null", timeout=timeout * 1000, polling=20)
    t = page.evaluate("() => window.__ow")
    return t["first"] - t["click"]


def overflowing(page: Any) -> list[str]:
    """Every element of the dashboard wider than its box or outside the dashboard."""
    return page.evaluate(OVERFLOW_JS, [ROOT, _SCROLLERS])


def scroll_to_top(page: Any) -> None:
    """Scroll the page so that the dashboard's top is at the top of what is shown."""
    root(page).evaluate("el => el.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(400)


def plots_in_view(page: Any, names: tuple[str, ...] = ("ow-loss", "ow-tradeoff")) -> dict:
    return page.evaluate(IN_VIEW_JS, [ROOT, list(names)])


def shot(page: Any, path: Path) -> Path:
    """A screenshot of the window as the user sees it (not the full page)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path))
    return path
