// Preloaded into every CPU worker: lets a worker_thread load .ts files on Node 20.
import { register } from 'tsx/esm/api';
register();
