import type { PbStatusResponse, PbTimestamp } from './proto.js';
import type { StatusUpdate } from './types.js';

function ms(ts: PbTimestamp | null | undefined): number | undefined {
  if (!ts || (ts.seconds === 0 && ts.nanos === 0)) return undefined;
  return ts.seconds * 1000 + Math.floor(ts.nanos / 1e6);
}

/** Wire StatusResponse → tsbake's StatusUpdate (timestamps in epoch ms, texts decoded). */
export function translateStatus(r: PbStatusResponse): StatusUpdate {
  return {
    vertexes: r.vertexes.map((v) => {
      const started = ms(v.started);
      const completed = ms(v.completed);
      return {
        digest: v.digest,
        name: v.name,
        cached: v.cached,
        inputs: v.inputs,
        ...(started !== undefined ? { started } : {}),
        ...(completed !== undefined ? { completed } : {}),
        ...(v.error ? { error: v.error } : {}),
      };
    }),
    statuses: r.statuses.map((s) => {
      const started = ms(s.started);
      const completed = ms(s.completed);
      return {
        id: s.ID,
        vertex: s.vertex,
        name: s.name,
        current: s.current,
        total: s.total,
        ...(started !== undefined ? { started } : {}),
        ...(completed !== undefined ? { completed } : {}),
      };
    }),
    logs: r.logs.map((l) => ({ vertex: l.vertex, stream: l.stream === 2 ? 2 : 1, data: new Uint8Array(l.msg) })),
    warnings: r.warnings.map((w) => ({
      vertex: w.vertex,
      level: w.level,
      short: Buffer.from(w.short).toString('utf8'),
      detail: w.detail.map((d) => Buffer.from(d).toString('utf8')),
      url: w.url,
      ...(w.info
        ? {
            sourceInfo: {
              filename: w.info.filename,
              ranges: w.ranges.map((rg) => ({
                start: { line: rg.start?.line ?? 0, character: rg.start?.character ?? 0 },
                end: { line: rg.end?.line ?? 0, character: rg.end?.character ?? 0 },
              })),
            },
          }
        : {}),
    })),
  };
}
