"""Keyboard checks in the browser, for tests/browser/test_keyboard.py: `assert_focus_visible`
judges the focused element after a key press (not <body>, on screen and not covered, not
hidden, and ringed: an outline of 2px or more on it or on its wrapper, at least 3:1 against
the colours around the ring, that goes away when focus leaves), and `tab_to` / `arrow_to`
press keys until focus reaches a control, judging every stop on the way."""
from __future__ import annotations

import pytest

TAB_LIMIT = 120   # Tab stops tried before a control counts as unreachable

# The focused element, judged; window.__kbLast keeps the previous stop's ring for the
# next call, which checks that the ring went away when focus left it.
FOCUS_FACTS = """async (selector) => {
  const el = document.activeElement;
  // A control that fades in as it takes focus (plotly's toolbar) is judged once it has.
  const fading = [];
  for (let n = el; n && n.nodeType === 1; n = n.parentElement) {
    fading.push(...n.getAnimations().filter(a => a instanceof CSSTransition).map(a => a.finished.catch(() => null)));
  }
  await Promise.race([Promise.all(fading), new Promise(done => setTimeout(done, 1000))]);
  const describe = n => n.tagName.toLowerCase() + (n.id ? '#' + n.id : '') +
    (typeof n.className === 'string' && n.className.trim() ? '.' + n.className.trim().split(/\\s+/).join('.') : '');
  if (!el || el === document.body || el === document.documentElement) {
    return {lost: true, where: el ? describe(el) : 'nothing'};
  }
  const name = (el.getAttribute('aria-label') || el.innerText || el.value || el.title || '').trim().slice(0, 60);
  const problems = [];
  const ringOf = n => {
    const s = getComputedStyle(n);
    return {width: s.outlineStyle === 'none' ? 0 : parseFloat(s.outlineWidth), color: s.outlineColor,
            offset: parseFloat(s.outlineOffset) || 0, shadow: s.boxShadow,
            key: [s.outlineStyle, s.outlineWidth, s.outlineColor, s.boxShadow, s.borderColor].join('|')};
  };
  const previous = window.__kbLast;
  if (previous && previous.holder.isConnected && previous.el !== el && !previous.holder.contains(el)
      && ringOf(previous.holder).key === previous.key) {
    problems.push(`the ring of the previous stop "${previous.name}" stayed after focus left it`);
  }
  const box = el.getBoundingClientRect();
  const seenW = Math.min(box.right, innerWidth) - Math.max(box.left, 0);
  const seenH = Math.min(box.bottom, innerHeight) - Math.max(box.top, 0);
  // What shows the control: itself, or the wrapper that draws it over a hidden input (a label).
  let shown = el;
  if (box.width < 1 || box.height < 1) problems.push('has no size');
  else if (seenW < Math.min(box.width, 8) || seenH < Math.min(box.height, 8)) {
    problems.push(`is off screen (${Math.round(box.left)},${Math.round(box.top)})`);
  } else {
    const top = document.elementFromPoint(Math.max(box.left, 0) + seenW / 2, Math.max(box.top, 0) + seenH / 2);
    if (top && top !== el && !el.contains(top) && !top.contains(el)) {
      let wrapper = el.parentElement;
      for (let depth = 0; wrapper && depth < 2 && !wrapper.contains(top); depth++) wrapper = wrapper.parentElement;
      if (wrapper && wrapper.contains(top) && wrapper.matches('label, [role=option], .dash-options-list-option')) shown = wrapper;
      else problems.push('is covered by ' + describe(top));
    }
  }
  const hiding = el.closest('[aria-hidden="true"], [inert], [hidden]');
  if (hiding) problems.push('is inside ' + describe(hiding) + ' (hidden from assistive technology)');
  for (let n = el; n && n.nodeType === 1; n = n.parentElement) {
    const s = getComputedStyle(n);
    if (s.display === 'none' || s.visibility !== 'visible' || parseFloat(s.opacity) < 0.1) {
      problems.push(`is hidden by ${describe(n)} (display ${s.display}, visibility ${s.visibility}, opacity ${s.opacity})`);
      break;
    }
  }
  // The ring: an outline on the element or on one of its three nearest wrappers, or a box-shadow on it.
  let holder = null, ring = null;
  for (let n = shown, depth = 0; n && depth < 4 && n !== document.body; n = n.parentElement, depth++) {
    const r = ringOf(n);
    if (r.width >= 2 && !/rgba\\(.*, 0\\)$/.test(r.color)) { holder = n; ring = r; break; }
  }
  if (!holder && ringOf(shown).shadow !== 'none') { holder = shown; ring = ringOf(shown); }
  let contrast = null;
  if (!holder) problems.push('shows no focus ring (no outline of 2px or more, no box-shadow)');
  else if (ring.width >= 2) {
    contrast = lowestContrast(holder, ring);
    if (contrast !== null && contrast < 3) problems.push(`has a focus ring of contrast ${contrast.toFixed(2)}:1 (< 3:1)`);
  }
  if (holder) window.__kbLast = {el, holder, name, key: ring.key};
  return {lost: false, name, where: describe(el), problems, matched: selector ? el.matches(selector) : false,
          ring: holder ? `${ring.width}px on ${describe(holder)}` : null, contrast};

  // The colours under the ring's middle line, sampled outside each side, against the ring's colour.
  function lowestContrast(holder, ring) {
    const b = holder.getBoundingClientRect(), d = ring.offset + ring.width / 2;
    const points = [[b.left - d, b.top + b.height / 2], [b.right + d, b.top + b.height / 2],
                    [b.left + b.width / 2, b.top - d], [b.left + b.width / 2, b.bottom + d]];
    let lowest = null;
    for (const [x, y] of points) {
      if (x < 0 || y < 0 || x >= innerWidth || y >= innerHeight) continue;
      const ratio = contrastOf(parse(ring.color), backgroundAt(x, y));
      lowest = lowest === null ? ratio : Math.min(lowest, ratio);
    }
    return lowest;
  }
  function backgroundAt(x, y) {
    let colour = [255, 255, 255];
    for (const n of document.elementsFromPoint(x, y).reverse()) {
      const [r, g, b, a] = parse(getComputedStyle(n).backgroundColor);
      colour = [r * a + colour[0] * (1 - a), g * a + colour[1] * (1 - a), b * a + colour[2] * (1 - a)];
    }
    return colour;
  }
  function parse(text) {
    const v = (text.match(/[\\d.]+/g) || [0, 0, 0, 0]).map(Number);
    return [v[0], v[1], v[2], v.length > 3 ? v[3] : 1];
  }
  function contrastOf(a, b) {
    const lum = c => c.slice(0, 3).map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
      .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
    const [hi, lo] = [lum(a), lum(b)].sort((p, q) => q - p);
    return (hi + 0.05) / (lo + 0.05);
  }
}"""


# A dropdown option's value: the option (a label) has the focus, its input holds the value.
OPTION_VALUE = "const optionValue = el => el.value !== undefined ? el.value : (el.querySelector('input') || {}).value;"


def assert_focus_visible(page, selector: str | None = None) -> dict:
    """The focused element is on screen, not hidden and visibly ringed (see the module's
    docstring); returns what was found, `matched` telling whether it matches `selector`."""
    facts = page.evaluate(FOCUS_FACTS, selector)
    assert not facts["lost"], f"{page.url}: focus fell to {facts['where']} (lost, or past the page's end)"
    assert not facts["problems"], f"{page.url}: the focused {facts['where']} “{facts['name']}” " + \
        "; ".join(facts["problems"])
    return facts


def press(page, key: str, selector: str | None = None) -> dict:
    page.keyboard.press(key)
    return assert_focus_visible(page, selector)


def tab_to(page, selector: str, key: str = "Tab") -> dict:
    """Press Tab (or Shift+Tab) until the focused element matches `selector`, checking
    every stop on the way."""
    for _ in range(TAB_LIMIT):
        facts = press(page, key, selector)
        if facts["matched"]:
            return facts
    pytest.fail(f"{page.url}: {TAB_LIMIT} presses of {key} never reached {selector}")


def arrow_to(page, key: str, script: str, limit: int = 60) -> None:
    """Press an arrow key until `script` (a JS predicate on document.activeElement) holds."""
    for _ in range(limit):
        page.keyboard.press(key)
        # Dash's lists move focus on the next frame: a person is never faster than that.
        page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
        assert_focus_visible(page)
        if page.evaluate(f"() => {{ {OPTION_VALUE} return ({script})(document.activeElement); }}"):
            return
    pytest.fail(f"{page.url}: {limit} presses of {key} never reached an element where {script}")
