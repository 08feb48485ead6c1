/** `proxysim shrink <artifact>`: a smaller reproducer (src/hunt/shrink.ts). */
import type { ShrinkOptions } from './args.ts';
import { InfraError } from '../errors.ts';

export async function cmdShrink(_o: ShrinkOptions): Promise<number> {
  throw new InfraError('shrink: not built yet');
}
