/** A one-line progress bar on a terminal; a line every few seconds otherwise. */
export class Progress {
  readonly #total: number;
  #files = 0;
  #entries = 0;
  #last = 0;
  readonly #tty = process.stderr.isTTY === true;
  readonly #t0 = performance.now();

  constructor(total: number) {
    this.#total = total;
  }

  file(): void {
    this.#files += 1;
    this.#draw();
  }

  entries(n: number): void {
    this.#entries = n;
    this.#draw();
  }

  end(): void {
    this.#draw(true);
    if (this.#tty) process.stderr.write("\n");
  }

  #draw(force = false): void {
    const now = performance.now();
    if (!force && now - this.#last < (this.#tty ? 100 : 5000)) return;
    this.#last = now;
    const width = 30;
    const filled = Math.round((this.#files / Math.max(this.#total, 1)) * width);
    const rate = this.#entries / Math.max((now - this.#t0) / 1000, 1e-6);
    const line = `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${this.#files}/${this.#total} files, ${this.#entries} resources, ${Math.round(rate)}/s`;
    process.stderr.write(this.#tty ? `\r${line}` : `${line}\n`);
  }
}
