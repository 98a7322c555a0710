/** `tsbake plan`: the build order as text, a Graphviz or Mermaid graph, or JSON. */
import { formatCsvEntry } from './csv.js';
import { formatNamedContext } from './target.js';
import type { Plan, ResolvedTarget } from './types.js';
import { formatNodeParts, planNodeParts } from './nodes.js';

/** A resolved target as JSON: absolute paths, the outputs the loading rules decided, CSV entries. */
function resolvedJson(t: ResolvedTarget): Record<string, unknown> {
  const { name: _name, builder: _builder, dependsOn: _deps, ...rest } = t;
  return {
    ...rest,
    contexts: Object.fromEntries(Object.entries(t.contexts).map(([k, v]) => [k, formatNamedContext(v)])),
    cacheFrom: t.cacheFrom.map(formatCsvEntry),
    cacheTo: t.cacheTo.map(formatCsvEntry),
    outputs: t.outputs.map(formatCsvEntry),
    attest: t.attest.map(formatCsvEntry),
    secrets: t.secrets.map((s) => (s.source.kind === 'env' ? `id=${s.id},env=${s.source.env}` : `id=${s.id},src=${s.source.path}`)),
    ssh: t.ssh.map((s) => (s.paths.length > 0 ? `${s.id}=${s.paths.join(',')}` : s.id)),
  };
}

function depsTexts(plan: Plan): Map<string, string> {
  const parts = new Map<string, string[]>();
  for (const e of plan.edges) {
    const list = parts.get(e.from) ?? [];
    list.push(e.kind === 'context' ? `${e.to} (context ${e.via})` : e.to);
    parts.set(e.from, list);
  }
  return new Map([...parts].map(([k, v]) => [k, `  after: ${v.join(', ')}`]));
}

function quoteDot(s: string): string {
  return `"${s.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

export function formatPlan(plan: Plan, format: 'text' | 'dot' | 'mermaid' | 'json'): string {
  switch (format) {
    case 'json': {
      const targets: Record<string, { builder: string; nodes?: unknown; dependsOn: string[]; resolved: Record<string, unknown> }> = {};
      const nodes = planNodeParts(plan);
      for (const name of plan.order) {
        const t = plan.targets[name]!;
        const parts = nodes.get(name);
        targets[name] = { builder: t.builder, ...(parts !== undefined ? { nodes: typeof parts === 'string' ? { error: parts } : parts } : {}), dependsOn: t.dependsOn, resolved: resolvedJson(t) };
      }
      return `${JSON.stringify({ order: plan.order, levels: plan.levels, edges: plan.edges, targets }, null, 2)}\n`;
    }
    case 'dot': {
      const lines = ['digraph tsbake {', '  rankdir=LR;', '  node [shape=box];'];
      for (const name of plan.order) lines.push(`  ${quoteDot(name)} [label=${quoteDot(`${name}\\nbuilder: ${plan.targets[name]!.builder}`)}];`);
      for (const e of plan.edges) {
        const label = e.kind === 'context' ? `context ${e.via}` : 'depends-on';
        lines.push(`  ${quoteDot(e.from)} -> ${quoteDot(e.to)} [label=${quoteDot(label)}${e.kind === 'depends-on' ? ', style=dashed' : ''}];`);
      }
      lines.push('}');
      return `${lines.join('\n')}\n`;
    }
    case 'mermaid': {
      // Node ids are generated: target names may contain "-", which Mermaid reads as part of an arrow.
      const id = new Map(plan.order.map((n, i) => [n, `t${i}`]));
      const lines = ['graph LR'];
      for (const name of plan.order) lines.push(`  ${id.get(name)}["${name}<br/>builder: ${plan.targets[name]!.builder}"]`);
      for (const e of plan.edges) {
        const arrow = e.kind === 'context' ? `-->|context ${e.via}|` : '-.->|depends-on|';
        lines.push(`  ${id.get(e.from)} ${arrow} ${id.get(e.to)}`);
      }
      return `${lines.join('\n')}\n`;
    }
    case 'text': {
      const lines: string[] = [];
      const deps = depsTexts(plan);
      const nodes = planNodeParts(plan);
      const width = Math.max(0, ...plan.order.map((n) => n.length));
      plan.levels.forEach((level, i) => {
        lines.push(`level ${i}:`);
        for (const name of level) {
          const parts = nodes.get(name);
          lines.push(`  ${name.padEnd(width)}  builder: ${plan.targets[name]!.builder}${parts !== undefined ? `  nodes: ${formatNodeParts(parts)}` : ''}${deps.get(name) ?? ''}`);
        }
      });
      return `${lines.join('\n')}\n`;
    }
  }
}
