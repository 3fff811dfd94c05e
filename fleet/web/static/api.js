// One-off requests to the API (commands, what-if, bookings, detail reads), with the answer's
// problem document (RFC 9457) turned into a sentence an operator can act on.

/**
 * @param {object} session  holds the bearer token (session.js)
 * @param {string} method
 * @param {string} url  relative to the page
 * @param {object} [body]  sent as JSON
 * @returns {Promise<{ok: boolean, status: number, body: unknown, message: string}>}
 */
export async function requestJson(session, method, url, body) {
  const headers = { Accept: "application/json", ...session.headers() };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
    });
  } catch {
    return { ok: false, status: 0, body: null, message: "the site does not answer" };
  }
  if (response.status === 401) session.expired();
  let parsed = null;
  try {
    parsed = response.status === 204 ? null : await response.json();
  } catch {
    parsed = null;
  }
  return { ok: response.ok, status: response.status, body: parsed, message: problemText(response.status, parsed) };
}

/** The sentence to show for an answer: the problem's detail, or what the status means. */
export function problemText(status, body) {
  if (status >= 200 && status < 300) return "";
  const detail = body !== null && typeof body === "object" ? body.detail ?? body.title : null;
  const meaning = {
    401: "Not signed in",
    403: "Refused for your role",
    404: "Not found",
    409: "Not possible now",
    422: "Invalid request",
    504: "No answer in time",
  }[status];
  const head = meaning ?? `HTTP ${status}`;
  return detail ? `${head}: ${detail}` : head;
}
