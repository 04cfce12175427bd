// Review workspace: select text in a turn → an evidence quote anchored to the turn index and a
// character span of that turn's `Turn.text` (Unicode code points, end exclusive), plus the
// "cannot judge" toggles. The server re-derives each quote from its span, so nothing here is trusted.
(() => {
  "use strict";

  const form = document.getElementById("review-form");
  const transcript = document.getElementById("review-transcript");
  if (!form || !transcript) return;
  const list = document.getElementById("evidence-list");
  const empty = document.getElementById("evidence-empty");
  const hidden = form.querySelector("input[name=evidence_json]");
  const button = document.getElementById("quote-button");
  const metricsNode = document.getElementById("review-metrics");
  const metrics = metricsNode ? JSON.parse(metricsNode.textContent) : [];
  const SEPARATOR = 2; // text blocks are joined by "\n\n" in Turn.text

  let items = [];
  try {
    const parsed = JSON.parse(hidden.value || "[]");
    if (Array.isArray(parsed)) items = parsed;
  } catch (err) {
    items = [];
  }

  const chars = (text) => Array.from(text);

  // --- positions -------------------------------------------------------------------------------

  function textBlocks(turn) {
    return Array.from(turn.querySelectorAll(".block.text[data-offset]")).map((el) => ({
      el,
      chars: chars(el.textContent),
      serverStart: Number(el.dataset.offset),
      crlf: (el.dataset.crlf || "").split(",").filter(Boolean).map(Number),
    }));
  }

  // Code points from the start of `block.el` to the boundary (node, offset).
  function pointInBlock(block, node, offset) {
    const range = document.createRange();
    range.setStart(block.el, 0);
    range.setEnd(node, offset);
    return chars(range.toString()).length;
  }

  // Index in the turn's text as displayed (blocks joined by the separator).
  function displayIndex(blocks, i, point) {
    let index = 0;
    for (let k = 0; k < i; k += 1) index += blocks[k].chars.length + SEPARATOR;
    return index + point;
  }

  // Displayed index → offset in Turn.text (adds back carriage returns the browser dropped).
  function serverOffset(blocks, index) {
    let start = 0;
    for (let i = 0; i < blocks.length; i += 1) {
      const block = blocks[i];
      const end = start + block.chars.length;
      if (index <= end || i === blocks.length - 1) {
        const point = Math.max(0, Math.min(index - start, block.chars.length));
        return block.serverStart + point + block.crlf.filter((p) => p < point).length;
      }
      start = end + SEPARATOR;
    }
    return 0;
  }

  function displayText(blocks) {
    const parts = [];
    blocks.forEach((block, i) => {
      if (i > 0) parts.push("\n", "\n");
      parts.push(...block.chars);
    });
    return parts;
  }

  // The current selection as {turn, start, end, quote}, or null when it is not inside one turn's text.
  function selectedSpan() {
    const selection = window.getSelection();
    if (!selection || selection.rangeCount === 0 || selection.isCollapsed) return null;
    const range = selection.getRangeAt(0);
    const common = range.commonAncestorContainer;
    const anchor = common.nodeType === Node.ELEMENT_NODE ? common : common.parentElement;
    const turn = anchor && anchor.closest(".turn[data-turn]");
    if (!turn || !transcript.contains(turn)) return null;
    const blocks = textBlocks(turn);
    const touched = blocks.map((b, i) => [b, i]).filter(([b]) => range.intersectsNode(b.el));
    if (touched.length === 0) return null;
    const [first, firstIndex] = touched[0];
    const [last, lastIndex] = touched[touched.length - 1];
    let start = first.el.contains(range.startContainer)
      ? displayIndex(blocks, firstIndex, pointInBlock(first, range.startContainer, range.startOffset))
      : displayIndex(blocks, firstIndex, 0);
    let end = last.el.contains(range.endContainer)
      ? displayIndex(blocks, lastIndex, pointInBlock(last, range.endContainer, range.endOffset))
      : displayIndex(blocks, lastIndex, last.chars.length);
    const text = displayText(blocks);
    while (start < end && /\s/u.test(text[start])) start += 1;
    while (end > start && /\s/u.test(text[end - 1])) end -= 1;
    if (end <= start) return null;
    return {
      turn: Number(turn.dataset.turn),
      start: serverOffset(blocks, start),
      end: serverOffset(blocks, end),
      quote: text.slice(start, end).join(""),
    };
  }

  // --- the floating button -----------------------------------------------------------------------

  let pending = null;

  function placeButton() {
    pending = selectedSpan();
    if (!pending) {
      button.hidden = true;
      return;
    }
    const rect = window.getSelection().getRangeAt(0).getBoundingClientRect();
    button.style.top = `${window.scrollY + rect.bottom + 6}px`;
    button.style.left = `${window.scrollX + Math.max(8, rect.left)}px`;
    button.hidden = false;
  }

  transcript.addEventListener("mouseup", () => window.setTimeout(placeButton, 0));
  transcript.addEventListener("keyup", () => window.setTimeout(placeButton, 0));
  document.addEventListener("selectionchange", () => {
    if (!button.hidden && !selectedSpan()) button.hidden = true;
  });
  button.addEventListener("mousedown", (event) => event.preventDefault()); // keep the selection
  button.addEventListener("click", () => {
    const span = pending || selectedSpan();
    if (!span) return;
    const duplicate = items.some((it) => it.turn === span.turn && it.start === span.start && it.end === span.end);
    if (!duplicate) items.push({ ...span, metric: "", note: "" });
    window.getSelection().removeAllRanges();
    button.hidden = true;
    pending = null;
    render();
    const added = list.lastElementChild;
    if (added) added.scrollIntoView({ block: "nearest" });
  });

  // --- the evidence list -------------------------------------------------------------------------

  function flash(turnIndex) {
    const turn = document.getElementById(`turn-${turnIndex}`);
    if (!turn) return;
    turn.scrollIntoView({ behavior: "smooth", block: "center" });
    turn.classList.add("is-flashing");
    window.setTimeout(() => turn.classList.remove("is-flashing"), 1200);
  }

  function element(tag, props = {}, children = []) {
    const el = document.createElement(tag);
    Object.entries(props).forEach(([key, value]) => {
      if (key === "text") el.textContent = value;
      else if (key === "className") el.className = value;
      else el.setAttribute(key, value);
    });
    children.forEach((child) => el.append(child));
    return el;
  }

  function render() {
    list.replaceChildren();
    items.forEach((item, i) => {
      const quote = item.quote || "";
      const shown = chars(quote).length > 400 ? `${chars(quote).slice(0, 400).join("")}…` : quote;
      const select = element("select", { "aria-label": "Metric this quote supports" },
        [element("option", { value: "", text: "General evidence" }),
          ...metrics.map((m) => element("option", { value: m.id, text: m.name }))]);
      select.value = item.metric || "";
      select.addEventListener("change", () => { item.metric = select.value; sync(); });
      const note = element("input", { type: "text", placeholder: "Note (optional)", "aria-label": "Note", maxlength: "2000" });
      note.value = item.note || "";
      note.addEventListener("input", () => { item.note = note.value; sync(); });
      const remove = element("button", { type: "button", className: "small secondary", text: "Remove" });
      remove.addEventListener("click", () => { items.splice(i, 1); render(); });
      const jump = element("button", { type: "button", className: "link small", text: `turn #${item.turn}` });
      jump.addEventListener("click", () => flash(item.turn));
      list.append(element("li", { className: "evidence-item", "data-turn": String(item.turn) }, [
        element("blockquote", { text: shown }),
        element("div", { className: "evidence-meta" }, [jump, select, note, remove]),
      ]));
    });
    empty.hidden = items.length > 0;
    sync();
  }

  function sync() {
    hidden.value = JSON.stringify(items);
  }

  // --- "cannot judge" ------------------------------------------------------------------------------

  form.querySelectorAll("input.cannot-judge").forEach((box) => {
    const row = box.closest(".metric-row");
    const input = row && row.querySelector("input.score-number");
    const update = () => {
      if (row) row.classList.toggle("is-missing", box.checked);
      if (input) input.disabled = box.checked;
    };
    box.addEventListener("change", update);
    update();
  });
  form.querySelectorAll("select[data-metric]").forEach((select) => {
    const row = select.closest(".metric-row");
    const update = () => row && row.classList.toggle("is-missing", select.value === "cannot-judge");
    select.addEventListener("change", update);
    update();
  });

  render();
})();
