/**
 * Placeholder until the stdlib branch lands (it owns this file and replaces it whole): bake's standard
 * library, lower-case names as bake spells them.
 */
import type { StdlibFunction } from '../value.js';

export const stdlib: Record<string, StdlibFunction> = Object.create(null) as Record<string, StdlibFunction>;
