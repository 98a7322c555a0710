/**
 * Which node of a multi-node builder builds what. A pure rule, used by `tsbake plan` (with the nodes'
 * declared platforms) and by exec/ (with what the reachable daemons report):
 *
 * 1. A platform goes to a node that builds it natively: one that declares it, or, when a node declares
 *    no platforms, one whose daemon reports it. Among several such nodes the least loaded one is taken,
 *    the first declared on a tie (so an idle builder always starts with its first node).
 * 2. When no node of the builder builds the platform natively, the first reachable node builds it
 *    under emulation (as buildx does: QEMU on that daemon).
 * 3. When the only nodes that build a platform natively are unreachable, nothing else takes it: the
 *    run refuses before any solve rather than emulate what a native node was declared for.
 *
 * The platforms a target asks for are split by node: those that land on one node are one solve there.
 * A target without platforms builds for the daemon's own platform on the least loaded reachable node.
 */
import type { Plan } from './types.js';

export interface NodeView {
  /** The node's name within its builder. */
  name: string;
  /** Declared platforms, else what its daemon reports (empty when unknown). */
  platforms: string[];
  /** False for a node that did not answer at the start of the run. */
  reachable: boolean;
  /** Solves assigned to it and not finished yet. */
  load: number;
}

export interface NodePart {
  node: string;
  /** The target's platforms built there, in the target's order; empty for a target without platforms. */
  platforms: string[];
  /** Platforms built there under emulation (no node builds them natively). */
  emulated: string[];
}

export type NodeAssignment =
  | { ok: true; parts: NodePart[] }
  /** `platform` undefined: no node is reachable at all. */
  | { ok: false; platform?: string; nativeNodes: string[] };

/** `linux/arm64/v8` and `linux/arm64` are one platform; os/arch are compared lower-cased. */
export function normalizePlatform(p: string): string {
  const [os = '', arch = '', variant] = p.trim().toLowerCase().split('/');
  if (arch === 'arm64' && (variant === undefined || variant === 'v8')) return `${os}/arm64`;
  if ((arch === 'amd64' || arch === 'x86_64') && (variant === undefined || variant === 'v1')) return `${os}/amd64`;
  return variant !== undefined ? `${os}/${arch}/${variant}` : `${os}/${arch}`;
}

function builds(node: NodeView, platform: string): boolean {
  const wanted = normalizePlatform(platform);
  return node.platforms.some((p) => normalizePlatform(p) === wanted);
}

function leastLoaded(nodes: NodeView[], extra: Map<string, number>): NodeView | undefined {
  let best: NodeView | undefined;
  for (const n of nodes) {
    const load = n.load + (extra.get(n.name) ?? 0);
    if (!best || load < best.load + (extra.get(best.name) ?? 0)) best = n;
  }
  return best;
}

/** Where a target with these platforms is built. `nodes` in declaration order. */
export function assignPlatforms(platforms: readonly string[], nodes: readonly NodeView[]): NodeAssignment {
  const reachable = nodes.filter((n) => n.reachable);
  if (reachable.length === 0) return { ok: false, nativeNodes: [] };
  if (platforms.length === 0) return { ok: true, parts: [{ node: leastLoaded(reachable, new Map())!.name, platforms: [], emulated: [] }] };
  // Platforms placed by this call count as load, so two platforms that two idle nodes both build go one to each.
  const placed = new Map<string, number>();
  const parts = new Map<string, NodePart>();
  for (const p of platforms) {
    const native = nodes.filter((n) => builds(n, p));
    let chosen: NodeView | undefined;
    let emulated = false;
    if (native.length > 0) {
      chosen = leastLoaded(
        native.filter((n) => n.reachable),
        placed,
      );
      if (!chosen) return { ok: false, platform: p, nativeNodes: native.map((n) => n.name) };
    } else {
      chosen = reachable[0]!;
      emulated = true;
    }
    placed.set(chosen.name, (placed.get(chosen.name) ?? 0) + 1);
    const part = parts.get(chosen.name) ?? { node: chosen.name, platforms: [], emulated: [] };
    part.platforms.push(p);
    if (emulated) part.emulated.push(p);
    parts.set(chosen.name, part);
  }
  // Parts in the nodes' declaration order: the same config always prints the same plan.
  const order = new Map(nodes.map((n, i) => [n.name, i]));
  return { ok: true, parts: [...parts.values()].sort((a, b) => order.get(a.node)! - order.get(b.node)!) };
}

/** One line for a refusal: which platform, which nodes would have built it. */
export function describeUnassignable(builder: string, target: string, a: Extract<NodeAssignment, { ok: false }>): string {
  if (a.platform === undefined) return `target "${target}": no node of builder "${builder}" is reachable`;
  return (
    `target "${target}": no reachable node of builder "${builder}" builds ${a.platform} ` +
    `(it is built natively by ${a.nativeNodes.map((n) => `"${n}"`).join(', ')}, which did not answer); ` +
    `start ${a.nativeNodes.length > 1 ? 'one of them' : 'it'}, or build the other platforms only (--set ${target}.platform=…)`
  );
}

/**
 * `tsbake plan`'s view: each target of a multi-node builder placed with the nodes' declared platforms,
 * every node taken as reachable, and the targets before it in the plan's order counted as load (as
 * they would be queued at the start of a run). The run places with what the daemons report and their
 * live load, so a node that declares no platforms may be chosen differently there.
 */
export function planNodeParts(plan: Plan): Map<string, NodePart[] | string> {
  const out = new Map<string, NodePart[] | string>();
  const loads = new Map<string, number>();
  for (const name of plan.order) {
    const t = plan.targets[name]!;
    const b = plan.builders[t.builder];
    if (!b?.nodes) continue;
    const views = b.nodes.map((n) => ({ name: n.node ?? n.name, platforms: n.platforms, reachable: true, load: loads.get(n.name) ?? 0 }));
    const a = assignPlatforms(t.platforms, views);
    if (!a.ok) {
      out.set(name, describeUnassignable(b.name, name, a));
      continue;
    }
    for (const p of a.parts) loads.set(`${b.name}.${p.node}`, (loads.get(`${b.name}.${p.node}`) ?? 0) + 1);
    out.set(name, a.parts);
  }
  return out;
}

export function formatNodeParts(parts: NodePart[] | string): string {
  if (typeof parts === 'string') return parts;
  return parts.map((p) => `${p.platforms.join(',') || 'default platform'} on ${p.node}${p.emulated.length ? ' (emulated)' : ''}`).join('; ');
}
