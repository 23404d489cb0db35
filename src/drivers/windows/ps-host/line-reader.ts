/** Splits a byte stream into lines (\n or \r\n), with a cap on how long an unterminated line may grow. */
export class LineReader {
  private parts: Buffer[] = [];
  private size = 0;

  constructor(private readonly maxBytes: number) {}

  push(chunk: Buffer): { lines: string[]; overflow: boolean } {
    const lines: string[] = [];
    let start = 0;
    for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, start)) {
      this.parts.push(chunk.subarray(start, i));
      lines.push(Buffer.concat(this.parts).toString('utf8').replace(/\r$/, ''));
      this.parts = [];
      this.size = 0;
      start = i + 1;
    }
    if (start < chunk.length) {
      this.parts.push(chunk.subarray(start));
      this.size += chunk.length - start;
    }
    if (this.size > this.maxBytes) {
      this.parts = [];
      this.size = 0;
      return { lines, overflow: true };
    }
    return { lines, overflow: false };
  }
}
