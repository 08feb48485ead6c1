/** The registry of designs (strategies). */
import type { ProxyDesign } from './design.ts';
import { none } from './design.ts';
import { forceReturn } from './force-return.ts';

export const DESIGNS: readonly ProxyDesign[] = [none, forceReturn];

export function designByName(name: string): ProxyDesign | undefined {
  return DESIGNS.find((d) => d.name === name);
}
export function designIndex(name: string): number { return DESIGNS.findIndex((d) => d.name === name); }
