// @ts-check
/**
 * The dashboard's entry point: sign-in and sign-out, choosing the instructor's or the learner's
 * view from the session's role, and the `#run=<id>` links that open a run. Everything the page
 * shows comes from the lab-controller's API with the session cookie.
 */
import { ApiError, api, describeError } from "./api.js";
import { createConnectionIndicator } from "./connection-indicator.js";
import { reconnectDelayMs } from "./event-stream.js";
import { createInstructorView } from "./instructor-view.js";
import { createLearnerView } from "./learner-view.js";

/**
 * The page's element matching `selector`: index.html holds every one the app asks for.
 * @param {string} selector
 * @returns {HTMLElement}
 */
function $(selector) {
  const element = document.querySelector(selector);
  if (!(element instanceof HTMLElement)) throw new Error(`index.html has no element ${selector}`);
  return element;
}
const tokenInput = /** @type {HTMLInputElement} */ ($("#token"));
const connection = createConnectionIndicator($("#connection"));
const announcer = $("#announcer");
/** The signed-in person's view; null while signed out. @type {import("./instructor-view.js").DashboardView | null} */
let view = null;

/** @param {string} text */
function announce(text) {
  announcer.textContent = text;
}

/** @param {string} text */
function setTitle(text) {
  $("#cohort-title").textContent = text;
  document.title = `${text} · labkit dashboard`;
}

/** @param {string} [message] why the sign-in form is shown; default none */
function showLogin(message = "") {
  view?.destroy();
  view = null;
  $("#view").replaceChildren();
  $("#account").hidden = true;
  $("#login-view").hidden = false;
  $("#login-error").textContent = message;
  connection.signedOut();
  setTitle("dashboard");
  tokenInput.focus();
}

/** @param {import("./api.js").Session} me */
function start(me) {
  $("#login-view").hidden = true;
  $("#login-error").textContent = "";
  tokenInput.value = "";
  $("#account").hidden = false;
  $("#account-name").textContent = `${me.name ?? me.id} (${me.role})`;
  /** @type {import("./instructor-view.js").ViewOptions} */
  const options = {
    me,
    connection,
    announce,
    setTitle,
    onSessionEnded: () => showLogin("Your session has ended. Sign in again with your token."),
  };
  view = me.role === "instructor" ? createInstructorView($("#view"), options) : createLearnerView($("#view"), options);
  if (me.role !== "instructor") setTitle(`${me.name ?? me.id}'s runs`);
  document.body.dataset.role = me.role;
  openRunFromHash({ focus: false });
}

/** @param {{ focus: boolean }} options */
function openRunFromHash({ focus }) {
  const match = /^#run=(.+)$/.exec(window.location.hash);
  if (match && view) view.openRun(decodeURIComponent(match[1]), { focus });
}

// Section anchors (#gpus, #queue, …) are plain in-page links; only #run=<id> opens a run.
window.addEventListener("hashchange", () => openRunFromHash({ focus: true }));

$("#login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const token = tokenInput.value.trim();
  if (token === "") {
    $("#login-error").textContent = "Enter your access token.";
    tokenInput.focus();
    return;
  }
  const button = /** @type {HTMLButtonElement} */ (event.submitter ?? $("#login-form button"));
  button.disabled = true;
  try {
    const me = await api.login(token);
    start(me);
    $("#main").focus();
  } catch (error) {
    $("#login-error").textContent =
      error instanceof ApiError && (error.status === 401 || error.status === 403)
        ? "That token was not accepted. Check it for typos; learners find theirs in LABKIT_TOKEN in their lab."
        : `Sign-in failed: ${describeError(error)}`;
    tokenInput.focus();
  } finally {
    button.disabled = false;
  }
});

$("#logout").addEventListener("click", async () => {
  try {
    await api.logout();
  } finally {
    showLogin("You are signed out.");
  }
});

/**
 * Ask who is signed in; while the controller cannot be reached, retry with backoff.
 * @param {number} [attempt] 0-based; default 0
 */
async function boot(attempt = 0) {
  try {
    start(await api.me());
  } catch (error) {
    if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
      showLogin();
      return;
    }
    const status = connection.source("boot");
    status({ state: "reconnecting" });
    setTimeout(() => {
      status({ state: "closed" });
      boot(attempt + 1);
    }, reconnectDelayMs(attempt));
  }
}

boot();
