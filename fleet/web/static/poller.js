// Polls one endpoint. The next request is scheduled only after the previous one has settled, so a
// slow API never sees more than one request per endpoint from a page; failures back off
// exponentially and the first success returns to the normal interval.

export class RequestError extends Error {
  constructor(message) {
    super(message);
    this.name = "RequestError";
  }
}

export class Poller {
  /**
   * @param {object} options
   * @param {string} options.url  endpoint, relative to the page
   * @param {(json: unknown) => unknown} options.parse  throws on a malformed body
   * @param {(value: unknown) => void} options.onData
   * @param {(poller: Poller) => void} options.onStatus  called after every attempt
   * @param {number} [options.intervalMs]  delay between successful polls [ms]
   * @param {number} [options.maxBackoffMs]  longest delay after repeated failures [ms]
   * @param {number} [options.timeoutMs]  a request slower than this counts as failed [ms]
   * @param {() => object} [options.headers]  extra request headers (the bearer token)
   * @param {() => void} [options.onUnauthorized]  called when the API refuses the token (401)
   */
  constructor({
    url,
    parse,
    onData,
    onStatus,
    intervalMs = 2000,
    maxBackoffMs = 30000,
    timeoutMs = 8000,
    headers = () => ({}),
    onUnauthorized = () => {},
  }) {
    this.url = url;
    this.headers = headers;
    this.onUnauthorized = onUnauthorized;
    this.parse = parse;
    this.onData = onData;
    this.onStatus = onStatus;
    this.intervalMs = intervalMs;
    this.maxBackoffMs = maxBackoffMs;
    this.timeoutMs = timeoutMs;
    this.failures = 0;
    this.lastError = null;
    this.lastSuccessAt = null;
    this.nextAttemptAt = null;
    this.running = false;
    this.inFlight = false;
    this.timer = null;
  }

  start() {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  stop() {
    this.running = false;
    clearTimeout(this.timer);
    this.timer = null;
  }

  /** Poll as soon as the request in flight (if any) is done, e.g. when the tab becomes visible. */
  pollSoon() {
    if (!this.running || this.inFlight) return;
    this.schedule(0);
  }

  schedule(delayMs) {
    clearTimeout(this.timer);
    this.nextAttemptAt = Date.now() + delayMs;
    this.timer = setTimeout(() => this.poll(), delayMs);
  }

  get ok() {
    return this.lastSuccessAt !== null && this.failures === 0;
  }

  async poll() {
    if (!this.running || this.inFlight) return;
    if (document.hidden) {
      // Nobody is looking: wait for visibilitychange (see pollSoon) rather than polling a hidden tab.
      this.nextAttemptAt = null;
      return;
    }
    await this.attempt();
    if (this.running) this.schedule(this.delayAfterAttempt());
    this.onStatus(this);
  }

  /** One request outside the polling rhythm, for data fetched only when something changed. */
  async once() {
    if (this.inFlight) return;
    await this.attempt();
    this.onStatus(this);
  }

  async attempt() {
    this.inFlight = true;
    let value;
    try {
      value = this.parse(await this.fetchJson());
      this.failures = 0;
      this.lastError = null;
      this.lastSuccessAt = Date.now();
    } catch (error) {
      this.failures += 1;
      this.lastError = error instanceof Error ? error.message : String(error);
      // Data that does not match the API contract is a bug to fix, not a network hiccup: say so.
      if (error instanceof Error && error.name === "ShapeError") console.error(error.message);
      return;
    } finally {
      this.inFlight = false;
    }
    try {
      this.onData(value);
    } catch (error) {
      // A rendering bug must not stop the polling; it is reported where developers look.
      console.error(error);
    }
  }

  delayAfterAttempt() {
    if (this.failures === 0) return this.intervalMs;
    return Math.min(this.intervalMs * 2 ** this.failures, this.maxBackoffMs);
  }

  async fetchJson() {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.timeoutMs);
    try {
      const response = await fetch(this.url, {
        headers: { Accept: "application/json", ...this.headers() },
        cache: "no-store",
        signal: controller.signal,
      });
      if (response.status === 401) this.onUnauthorized();
      if (!response.ok) throw new RequestError(`${this.url}: HTTP ${response.status}`);
      return await response.json();
    } catch (error) {
      if (error instanceof RequestError) throw error;
      if (controller.signal.aborted) {
        throw new RequestError(`${this.url}: no answer within ${this.timeoutMs / 1000} s`);
      }
      if (error instanceof SyntaxError) throw new RequestError(`${this.url}: the answer is not JSON`);
      throw new RequestError(`${this.url}: unreachable`);
    } finally {
      clearTimeout(timer);
    }
  }
}
