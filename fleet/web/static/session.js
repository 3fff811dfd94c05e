// The page's sign-in: a bearer token from the API's token endpoint (OAuth2 password grant), kept in
// sessionStorage so that it ends with the tab. When the API refuses the token (expired, revoked),
// the dialog asks again.

const TOKEN_KEY = "vettabbia.token";

export class Session {
  /**
   * @param {object} options
   * @param {string} options.tokenUrl  token endpoint, relative to the page
   * @param {HTMLDialogElement} options.dialog  holds a form with username and password fields
   */
  constructor({ tokenUrl, dialog }) {
    this.tokenUrl = tokenUrl;
    this.dialog = dialog;
    this.form = dialog.querySelector("form");
    this.error = dialog.querySelector("[data-testid=sign-in-error]");
    this.waiting = [];
    this.name = null;
    this.role = null;
    this.fleet = null;
    this.siteTimezone = null;
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
  }

  get token() {
    return sessionStorage.getItem(TOKEN_KEY);
  }

  /** Headers that authenticate a request to the API. */
  headers() {
    const token = this.token;
    return token === null ? {} : { Authorization: `Bearer ${token}` };
  }

  /** Resolves once a token is held, asking for one if needed. */
  ready() {
    if (this.token !== null) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      if (!this.dialog.open) this.dialog.showModal();
    });
  }

  /**
   * Who holds the token (GET /auth/me): sets `name`, `role` and `fleet`.
   * @param {string} meUrl  relative to the page
   * @returns {Promise<boolean>} false if the token was refused (the dialog asks again)
   */
  async identify(meUrl, parse) {
    const response = await fetch(meUrl, { headers: { Accept: "application/json", ...this.headers() }, cache: "no-store" });
    if (response.status === 401) {
      this.expired();
      return false;
    }
    if (!response.ok) throw new Error(`${meUrl}: HTTP ${response.status}`);
    Object.assign(this, parse(await response.json()));
    return true;
  }

  /** The API refused the token: forget it and ask again. */
  expired() {
    sessionStorage.removeItem(TOKEN_KEY);
    this.error.textContent = "Your session ended; please sign in again.";
    if (!this.dialog.open) this.dialog.showModal();
  }

  async submit() {
    const data = new FormData(this.form);
    const body = new URLSearchParams({
      grant_type: "password",
      username: String(data.get("username") ?? ""),
      password: String(data.get("password") ?? ""),
    });
    let response;
    try {
      response = await fetch(this.tokenUrl, { method: "POST", body, cache: "no-store" });
    } catch {
      this.error.textContent = "The site does not answer; try again.";
      return;
    }
    if (!response.ok) {
      this.error.textContent = response.status === 400 ? "Wrong username or password." : `HTTP ${response.status}`;
      return;
    }
    sessionStorage.setItem(TOKEN_KEY, (await response.json()).access_token);
    this.error.textContent = "";
    this.form.reset();
    this.dialog.close();
    for (const resolve of this.waiting.splice(0)) resolve();
  }
}
