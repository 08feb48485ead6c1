/** The registry of designs (strategies). */
import type { ProxyDesign } from './design.ts';
import { none } from './design.ts';
import { forceReturn } from './force-return.ts';
import { ttwuReturn } from './ttwu-return.ts';
import { ttwuBlocks, ttwuBlocksFixed } from './ttwu-blocks.ts';

export const DESIGNS: readonly ProxyDesign[] = [none, forceReturn, ttwuReturn, ttwuBlocks, ttwuBlocksFixed];

export function designByName(name: string): ProxyDesign | undefined {
  return DESIGNS.find((d) => d.name === name);
}
export function designIndex(name: string): number { return DESIGNS.findIndex((d) => d.name === name); }
