/**
 * Builds DOM elements without innerHTML, so run names, model outputs and reasons from the API are
 * always text, never markup.
 */

/**
 * Create an element. Attributes: `on<event>` functions become listeners, `dataset` an object of
 * data-* values; `false`, `null` and `undefined` omit the attribute, `true` sets it empty.
 * Children may be nodes, strings, numbers, arrays of them, or nullish (skipped).
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

/** Replace every child of `parent` with `children` (same forms as `el`). */
export function replaceChildren(parent, ...children) {
  parent.replaceChildren(...flattenChildren(children));
}

/**
 * Create a `table.data-table` with a caption, one header row of `th scope="col"` and a tbody.
 * `className` adds classes after `data-table` (default none); `caption` is hidden from sight but
 * read by screen readers unless `captionVisible` (default false), and omitted when absent;
 * `headers` are strings or nodes, falsy ones skipped, and no thead when empty (default none);
 * `rows` are built `tr` elements (default none); other attributes go on the table as with `el`.
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

function flattenChildren(children) {
  return children
    .flat(Number.POSITIVE_INFINITY)
    .filter((child) => child !== null && child !== undefined && child !== false)
    .map((child) => (typeof child === "number" ? String(child) : child));
}
