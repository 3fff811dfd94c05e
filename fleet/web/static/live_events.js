// The API's server-sent events (GET /api/v1/events) read with fetch, because EventSource cannot send
// the bearer token. Each event names what changed; the page then fetches that part again at once
// instead of waiting for its next poll. A dropped stream is reopened with a growing delay.

const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 30000;

/** Splits a text/event-stream buffer into complete events; returns [events, rest]. */
export function parseEventStream(buffer) {
  const events = [];
  const blocks = buffer.split(/\r?\n\r?\n/);
  const rest = blocks.pop();
  for (const block of blocks) {
    let name = "message";
    const data = [];
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "event") name = value;
      else if (field === "data") data.push(value);
    }
    if (data.length > 0) events.push({ name, data: data.join("\n") });
  }
  return [events, rest];
}

export class LiveEvents {
  /**
   * @param {object} options
   * @param {string} options.url  the events endpoint, relative to the page
   * @param {() => object} options.headers  the bearer token
   * @param {(name: string, data: unknown) => void} options.onEvent
   * @param {(connected: boolean) => void} [options.onState]
   * @param {() => void} [options.onUnauthorized]
   */
  constructor({ url, headers, onEvent, onState = () => {}, onUnauthorized = () => {} }) {
    Object.assign(this, { url, headers, onEvent, onState, onUnauthorized });
    this.running = false;
    this.retryMs = RETRY_MIN_MS;
    this.controller = null;
  }

  start() {
    if (this.running) return;
    this.running = true;
    this.loop();
  }

  stop() {
    this.running = false;
    this.controller?.abort();
  }

  async loop() {
    while (this.running) {
      try {
        await this.readOnce();
      } catch (error) {
        if (!this.running) return;
        console.debug(`events: ${error instanceof Error ? error.message : error}`);
      }
      this.onState(false);
      if (!this.running) return;
      await new Promise((resolve) => setTimeout(resolve, this.retryMs));
      this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
    }
  }

  async readOnce() {
    this.controller = new AbortController();
    const response = await fetch(this.url, {
      headers: { Accept: "text/event-stream", ...this.headers() },
      cache: "no-store",
      signal: this.controller.signal,
    });
    if (response.status === 401) this.onUnauthorized();
    if (!response.ok || response.body === null) throw new Error(`${this.url}: HTTP ${response.status}`);
    this.onState(true);
    this.retryMs = RETRY_MIN_MS;
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      const [events, rest] = parseEventStream(buffer);
      buffer = rest;
      for (const event of events) {
        let data;
        try {
          data = JSON.parse(event.data);
        } catch {
          console.error(`events: ${event.name} is not JSON`);
          continue;
        }
        try {
          this.onEvent(event.name, data);
        } catch (error) {
          console.error(error);
        }
      }
    }
  }
}
