/** The few rendering helpers the screens need: elements from attributes and children, SVG alike. */
export type Child = Node | string | number | null | undefined | false | Child[];
type Attrs = Record<string, unknown>;

/** Whether a property can be set: some reflect their attribute read-only (an input's `list`, `form`). */
function settable(el: Element, k: string): boolean {
  for (let o: object | null = el; o; o = Object.getPrototypeOf(o) as object | null) {
    const d = Object.getOwnPropertyDescriptor(o, k);
    if (d) return Boolean(d.set) || d.writable === true;
  }
  return true;
}

function apply(el: Element, attrs: Attrs | null | undefined): void {
  if (!attrs) return;
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2).toLowerCase(), v as EventListener);
    else if (k === 'class') el.setAttribute('class', Array.isArray(v) ? v.filter(Boolean).join(' ') : String(v));
    else if (k === 'style' && typeof v === 'object') Object.assign((el as HTMLElement).style, v);
    else if (k in el && !k.includes('-') && !(el instanceof SVGElement) && settable(el, k)) (el as unknown as Record<string, unknown>)[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
}

function append(el: Element, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
}

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Attrs | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  apply(el, attrs);
  append(el, children);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';
export function s<K extends keyof SVGElementTagNameMap>(tag: K, attrs?: Attrs | null, ...children: Child[]): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag);
  apply(el, attrs);
  append(el, children);
  return el;
}

export const $ = <T extends Element = HTMLElement>(sel: string, root: ParentNode = document): T | null => root.querySelector<T>(sel);

/** Replaces a container's content. */
export function mount(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

/**
 * Makes `children` a container's content, in order, without detaching a node that stays: Chromium
 * drops a click whose button left the document between press and release, so a screen refreshed while
 * a form is tapped must leave that form where it is. Nodes not listed are removed; new ones inserted.
 */
export function place(el: Element, ...children: (Node | null)[]): void {
  const want = children.filter((c): c is Node => c !== null);
  const keep = new Set(want);
  for (const c of Array.from(el.childNodes)) if (!keep.has(c)) c.remove();
  want.forEach((child, i) => {
    const at = el.childNodes[i] ?? null;
    if (at !== child) el.insertBefore(child, at);
  });
}

/** Form values by name: text trimmed, checkboxes as booleans, multi-checkboxes of one name as arrays. */
export function formValues(form: HTMLFormElement): Record<string, string | boolean | string[]> {
  const out: Record<string, string | boolean | string[]> = {};
  for (const el of Array.from(form.elements) as (HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement)[]) {
    if (!el.name) continue;
    if (el instanceof HTMLInputElement && el.type === 'checkbox') {
      if (el.dataset.multi) {
        const list = (out[el.name] as string[] | undefined) ?? [];
        if (el.checked) list.push(el.value);
        out[el.name] = list;
      } else out[el.name] = el.checked;
    } else if (el instanceof HTMLInputElement && el.type === 'radio') {
      if (el.checked) out[el.name] = el.value;
    } else if (!(el instanceof HTMLInputElement && el.type === 'file')) out[el.name] = el.value.trim();
  }
  return out;
}

/**
 * A list's rows by key, each rebuilt only when what it shows changed (`shows`): with `place`, a row that
 * did not change stays in the page while the list refreshes, and a tap on it lands.
 */
export function keyedRows<T>(key: (item: T) => string, shows: (item: T) => string, build: (item: T) => HTMLElement): (items: readonly T[]) => HTMLElement[] {
  let rows = new Map<string, { shown: string; el: HTMLElement }>();
  return (items) => {
    const next = new Map<string, { shown: string; el: HTMLElement }>();
    const out = items.map((item) => {
      const shown = shows(item);
      const old = rows.get(key(item));
      const el = old && old.shown === shown ? old.el : build(item);
      next.set(key(item), { shown, el });
      return el;
    });
    rows = next;
    return out;
  };
}

/** One part of a page, rebuilt only when what it shows changed (`keyedRows` of a single row). */
export function keptPart<T>(shows: (item: T) => string, build: (item: T) => HTMLElement): (item: T) => HTMLElement {
  const one = keyedRows<T>(() => '', shows, build);
  return (item) => one([item])[0]!;
}
