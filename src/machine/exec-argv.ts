/**
 * How a worker thread that runs TypeScript is started: with the parent's Node flags, plus tsx's
 * loader when the parent was started without it (vitest, a tinypool thread).
 */
import { fileURLToPath, pathToFileURL } from 'node:url';

const REGISTER = pathToFileURL(fileURLToPath(new URL('../../workers/register-tsx.mjs', import.meta.url))).href;

export function workerExecArgv(): string[] {
  const argv = [...process.execArgv];
  if (!argv.some((x) => x.includes('register-tsx'))) argv.push('--import', REGISTER);
  return argv;
}
