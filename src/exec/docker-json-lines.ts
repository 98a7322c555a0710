/**
 * Docker's JSON-lines progress streams (`POST /images/{name}/push`, `POST /images/load`): each line is
 * handed over parsed, or as `undefined` with its text when it is not JSON.
 */
export function onJsonLines<T>(stream: NodeJS.ReadableStream, onLine: (msg: T | undefined, line: string) => void): void {
  let buf = '';
  stream.on('data', (chunk: Buffer) => {
    buf += chunk.toString('utf8');
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i).trim();
      buf = buf.slice(i + 1);
      if (!line) continue;
      let msg: T | undefined;
      try {
        msg = JSON.parse(line) as T;
      } catch {
        msg = undefined;
      }
      onLine(msg, line);
    }
  });
}
