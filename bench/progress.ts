/**
 * The progress line on stderr. On a terminal one line is rewritten in place; elsewhere
 * (CI logs) a line is printed at most every few seconds, plus every `step` and `done`.
 */
export class Progress {
  readonly #stream: NodeJS.WriteStream;
  readonly #tty: boolean;
  readonly #started = performance.now();
  #scenario = "";
  #lastPrint = 0;
  #open = false;

  constructor(stream: NodeJS.WriteStream = process.stderr) {
    this.#stream = stream;
    this.#tty = Boolean(stream.isTTY);
  }

  /** Starts a scenario's section of the line. */
  scenario(name: string): void {
    this.#scenario = name;
    this.step("starting");
  }

  /** A milestone: always shown. */
  step(message: string): void {
    this.#write(message, true);
  }

  /** A frequent update (a counter): shown as often as the medium allows. */
  update(message: string): void {
    this.#write(message, false);
  }

  /** A line that stays (warnings, results of a step). */
  note(message: string): void {
    this.#clear();
    this.#stream.write(`${this.#prefix()}${message}\n`);
  }

  /** Clears the line before the report is printed. */
  done(): void {
    this.#clear();
  }

  #prefix(): string {
    const s = Math.round((performance.now() - this.#started) / 1000);
    const clock = `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
    return `[bench ${clock}] ${this.#scenario ? `${this.#scenario}: ` : ""}`;
  }

  #write(message: string, always: boolean): void {
    const now = performance.now();
    if (this.#tty) {
      if (!always && now - this.#lastPrint < 100) return;
      const line = `${this.#prefix()}${message}`;
      const width = this.#stream.columns ?? 120;
      this.#stream.write(`\r\x1b[K${line.slice(0, width - 1)}`);
      this.#open = true;
    } else {
      if (!always && now - this.#lastPrint < 5000) return;
      this.#stream.write(`${this.#prefix()}${message}\n`);
    }
    this.#lastPrint = now;
  }

  #clear(): void {
    if (this.#tty && this.#open) this.#stream.write("\r\x1b[K");
    this.#open = false;
  }
}
