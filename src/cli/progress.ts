/** A progress bar on a terminal (stderr); silent when stderr is not a TTY. */
export class Progress {
  private last = -1;
  private readonly tty: boolean;
  constructor(enabled: boolean, private readonly label: string) {
    this.tty = enabled && Boolean(process.stderr.isTTY);
  }
  update(f: number): void {
    if (!this.tty) return;
    const pct = Math.floor(f * 100);
    if (pct === this.last) return;
    this.last = pct;
    const width = 30;
    const fill = Math.round((pct / 100) * width);
    process.stderr.write(`\r${this.label} [${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${String(pct).padStart(3)}%`);
  }
  done(): void {
    if (this.tty && this.last >= 0) process.stderr.write('\r' + ' '.repeat(this.label.length + 40) + '\r');
  }
}
