// @ts-check
/**
 * Builds DOM elements without innerHTML, so run names, model outputs and reasons from the API are
 * always text, never markup.
 */

/**
 * An event listener. Written as a method's type so that a handler may name the event it expects
 * (`KeyboardEvent`), which TypeScript allows for methods only.
 * @typedef {{ handle(event: Event): void }["handle"]} EventHandler
 */

/**
 * Attributes of `el`: `on<event>` handlers, `dataset` (data-* values), or attribute values.
 * @typedef {{
 *   [name: string]: string | number | boolean | null | undefined | EventHandler | Readonly<Record<string, string>>
 * }} Attributes
 */

/**
 * One child of `el` or `replaceChildren`: a node, text, a number, or `false`, `null` or
 * `undefined` (skipped, so `condition && el(...)` reads naturally).
 * @typedef {Node | string | number | false | null | undefined} ChildItem
 */

/**
 * A child, or arrays of them nested up to three deep (JSDoc types cannot refer to themselves,
 * and the views nest two deep at most).
 * @typedef {ChildItem | ReadonlyArray<ChildItem | ReadonlyArray<ChildItem | ReadonlyArray<ChildItem>>>} Child
 */

/**
 * Create an element. Attributes: `on<event>` functions become listeners, `dataset` an object of
 * data-* values; `false`, `null` and `undefined` omit the attribute, `true` sets it empty.
 * Children may be nodes, strings, numbers, arrays of them, or nullish (skipped).
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Attributes} [attributes]
 * @param {...Child} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      node.addEventListener(name.slice(2), value);
    } else if (name === "dataset") {
      Object.assign(node.dataset, value);
    } else {
      node.setAttribute(name, value === true ? "" : String(value));
    }
  }
  node.append(...flattenChildren(children));
  return node;
}

/**
 * Replace every child of `parent` with `children` (same forms as `el`).
 * @param {ParentNode} parent
 * @param {...Child} children
 */
export function replaceChildren(parent, ...children) {
  parent.replaceChildren(...flattenChildren(children));
}

/**
 * Create a `table.data-table` with a caption, one header row of `th scope="col"` and a tbody.
 * `className` adds classes after `data-table` (default none); `caption` is hidden from sight but
 * read by screen readers unless `captionVisible` (default false), and omitted when absent;
 * `headers` are strings or nodes, falsy ones skipped, and no thead when empty (default none);
 * `rows` are built `tr` elements (default none); `id` and `onkeydown` go on the table as with `el`.
 * @param {{
 *   className?: string,
 *   caption?: string,
 *   captionVisible?: boolean,
 *   headers?: ReadonlyArray<Node | string | false | null | undefined>,
 *   rows?: ReadonlyArray<Node>,
 *   id?: string,
 *   onkeydown?: EventHandler,
 * }} options
 * @returns {HTMLTableElement}
 */
export function dataTable({ className, caption, captionVisible = false, headers = [], rows = [], ...attributes }) {
  const columnHeaders = headers.filter(Boolean).map((header) => el("th", { scope: "col" }, header));
  return el(
    "table",
    { class: className ? `data-table ${className}` : "data-table", ...attributes },
    caption !== undefined && el("caption", captionVisible ? {} : { class: "visually-hidden" }, caption),
    columnHeaders.length > 0 && el("thead", {}, el("tr", {}, columnHeaders)),
    el("tbody", {}, rows),
  );
}

/**
 * @param {ReadonlyArray<Child>} children
 * @returns {Array<Node | string>}
 */
function flattenChildren(children) {
  return /** @type {ChildItem[]} */ (children.flat(Number.POSITIVE_INFINITY))
    .filter((child) => child !== null && child !== undefined && child !== false)
    .map((child) => (typeof child === "number" ? String(child) : /** @type {Node | string} */ (child)));
}
